import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseLocation } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { type Db, openDatabase, SCHEMA_VERSION, SHARED_MIGRATIONS } from './db.js';
import { POSTGRES_BASELINE, POSTGRES_BASELINE_VERSION } from './postgres-schema.js';
import { LOCKS } from './sql.js';
import type { Tables } from './tables.js';

/**
 * The subscriber list's database, whichever it is: queries go through
 * Kysely (`db`), which speaks SQLite (better-sqlite3, in this process) and
 * PostgreSQL (a `pg` pool) alike.
 */
export interface Store {
  dialect: 'sqlite' | 'postgres';
  db: Kysely<Tables>;
  /** The SQLite connection itself (the same one `db` uses), for the modules that query it directly; none on PostgreSQL. */
  sqlite: Db | undefined;
  /** What messages name: the file, or the server's URL without its password. */
  where: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Tries to reach a PostgreSQL server that does not answer, a second apart and more (default 5). */
  attempts?: number;
  /** Connections kept open to PostgreSQL at most (default 10). */
  poolSize?: number;
}

/** Open the list's database, creating its tables (or bringing them up to date) first. */
export async function openStore(location: DatabaseLocation, options: ConnectOptions = {}): Promise<Store> {
  if (location.kind === 'sqlite') {
    const sqlite = openDatabase(location.file);
    const db = new Kysely<Tables>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
    return { dialect: 'sqlite', db, sqlite, where: location.file, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: location.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    // bigint ids and counts as numbers: a list is far from 2^53 rows.
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) },
  });
  // An idle connection the server drops is an error on the pool; the next query takes a new one.
  pool.on('error', () => undefined);
  try {
    await reach(pool, location, options.attempts ?? 5);
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    await migratePostgres(db, location);
    return { dialect: 'postgres', db, sqlite: undefined, where: location.where, close: () => db.destroy() };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/**
 * better-sqlite3 with its statements kept by their SQL: Kysely prepares each
 * query afresh, and preparing costs more than running the small statements
 * the ledger runs per message. A statement still being iterated is not
 * shared; one is prepared beside it.
 */
function withStatementCache(sqlite: Db): Db {
  const statements = new Map<string, ReturnType<Db['prepare']>>();
  return new Proxy(sqlite, {
    get(target, key) {
      if (key !== 'prepare') {
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        const kept = statements.get(source);
        if (kept && !kept.busy) return kept;
        const statement = target.prepare(source);
        if (!kept && statements.size < 500) statements.set(source, statement);
        return statement;
      };
    },
  });
}

/** A transaction on SQLite takes the write lock at its start (BEGIN IMMEDIATE), as `db.ts`'s do: two processes never deadlock on upgrading. */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver() {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/** Errors that another try cannot mend: a wrong password, a database or role that does not exist. */
const PERMANENT = new Set(['28P01', '28000', '3D000', '42501']);

/** Connect once, retrying with backoff while the server cannot be reached; one line naming the server (never its password) when it cannot. */
async function reach(pool: pg.Pool, location: Extract<DatabaseLocation, { kind: 'postgres' }>, attempts: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await pool.connect();
      client.release();
      return;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (PERMANENT.has(e.code ?? '') || attempt >= attempts) throw postgresError(err, location);
      await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 250 * 2 ** attempt)));
    }
  }
}

/** A PostgreSQL failure as one line naming the server: the driver's words, with the password taken out if it is there. */
export function postgresError(err: unknown, location: Extract<DatabaseLocation, { kind: 'postgres' }>): GazetteError {
  const e = err as { code?: string; message?: string };
  const password = new URL(location.url).password;
  let words = String(e.message ?? err).split('\n')[0]!;
  if (password) words = words.split(password).join('***').split(decodeURIComponent(password)).join('***');
  const why =
    e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH' || e.code === 'ETIMEDOUT' || /timeout/i.test(words)
      ? `cannot reach the PostgreSQL server at ${location.host} (${e.code ?? words})`
      : `the PostgreSQL server at ${location.host} refused: ${words}`;
  return new GazetteError('DB', `${why} (${location.where})`);
}

/** Bring a PostgreSQL list's tables up to date: under an advisory lock, so that workers starting at once migrate it once. */
async function migratePostgres(db: Kysely<Tables>, location: Extract<DatabaseLocation, { kind: 'postgres' }>): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${LOCKS.migrate})`.execute(trx);
      await sql`CREATE TABLE IF NOT EXISTS gazette_schema (version integer NOT NULL)`.execute(trx);
      const row = (await sql<{ version: number }>`SELECT version FROM gazette_schema`.execute(trx)).rows[0];
      const version = row?.version ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new GazetteError(
          'DB',
          `the subscriber database is from a newer Gazette (schema ${version}, this one knows ${SCHEMA_VERSION}) (${location.where})`,
        );
      }
      if (version === 0) {
        await sql.raw(POSTGRES_BASELINE).execute(trx);
        await sql`INSERT INTO gazette_schema (version) VALUES (${POSTGRES_BASELINE_VERSION})`.execute(trx);
      }
      for (let v = Math.max(version, POSTGRES_BASELINE_VERSION); v < SCHEMA_VERSION; v++) {
        await sql.raw(SHARED_MIGRATIONS[v - POSTGRES_BASELINE_VERSION]!).execute(trx);
        await sql`UPDATE gazette_schema SET version = ${v + 1}`.execute(trx);
      }
    });
  } catch (err) {
    if (err instanceof GazetteError) throw err;
    throw postgresError(err, location);
  }
}
