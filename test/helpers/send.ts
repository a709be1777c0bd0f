import { hostname } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Kysely, type RawBuilder, SqliteDialect, sql } from 'kysely';
import { main } from '../../src/cli/index.js';
import type { SendEnv } from '../../src/cli/send.js';
import type { DatabaseLocation } from '../../src/config/index.js';
import { type Db, openDatabase } from '../../src/store/db.js';
import { openStore, type Q } from '../../src/store/index.js';
import type { Backend } from './backends.js';
import { BASE_CONFIG, makeSite, type Run } from './site.js';

export const SECRET = 'test-secret-0123456789abcdef';

export function sendConfig(extra = '', connections = 2): string {
  return `${BASE_CONFIG}
[server]
public_url = "https://news.example.com/newsletter/"

[send]
max_connections = ${connections}
retry_attempts = 2
retry_delay = 0.05
${extra}`;
}

export interface SendSite {
  dir: string;
  config: string;
  /** The list, on SQLite or on the test's PostgreSQL. */
  database: DatabaseLocation;
  /** The SQLite file (a test that reads it as a file runs on SQLite only: on PostgreSQL this throws). */
  dbFile: string;
}

/**
 * A site with one issue and `count` subscribers (sub0@example.org, sub1@…),
 * on SQLite, or on PostgreSQL with `backend` (its database named in
 * gazette.toml without the password, which the test process gives as
 * PGPASSWORD, as an operator may).
 */
export async function sendSite(
  count: number,
  options: { extraConfig?: string; title?: string; connections?: number; backend?: Backend | undefined } = {},
): Promise<SendSite> {
  const title = options.title ?? 'Issue one';
  const on = options.backend?.name === 'PostgreSQL' ? await options.backend.location() : undefined;
  if (on?.kind === 'postgres') process.env.PGPASSWORD = new URL(on.url).password;
  const dir = await makeSite(
    {
      'content/issue-one.md': `+++\ntitle = ${JSON.stringify(title)}\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n**Hello** readers. [A link](https://example.org/a).\n`,
    },
    `${sendConfig(options.extraConfig, options.connections)}${on?.kind === 'postgres' ? `\n[subscribers]\ndatabase = ${JSON.stringify(on.where)}\n` : ''}`,
  );
  const config = path.join(dir, 'gazette.toml');
  const file = path.join(dir, 'data', 'gazette.db');
  const database: DatabaseLocation = on ?? { kind: 'sqlite', file };
  await seedList(database, count);
  return {
    dir,
    config,
    database,
    get dbFile() {
      if (database.kind !== 'sqlite') throw new Error('this test reads the SQLite file: it runs on SQLite only');
      return file;
    },
  };
}

/** `count` subscribed readers, sub0@example.org and on, on either backend. */
export async function seedList(database: DatabaseLocation, count: number): Promise<void> {
  if (database.kind === 'sqlite') return seedSqlite(database.file, count);
  const store = await openStore(database);
  try {
    const t = new Date().toISOString();
    for (let i = 0; i < count; i += 500) {
      const rows = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const n = i + j;
        return sql`(${`sub${n}@example.org`}, ${`sub${n}@example.org`}, ${`Sub ${n}`}, 'subscribed', 'test', ${t}, ${t}, ${t})`;
      });
      await sql`INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at, subscribed_at) VALUES ${sql.join(rows)}`.execute(
        store.db,
      );
    }
  } finally {
    await store.close();
  }
}

/** Open the list a test reads and writes, on either backend; closed when `work` ends. */
export async function withList<T>(database: DatabaseLocation, work: (db: Q) => Promise<T>): Promise<T> {
  const store = await openStore(database);
  try {
    return await work(store.db);
  } finally {
    await store.close();
  }
}

/** Rows a query gives, on either backend. */
export const rowsOf = <T>(database: DatabaseLocation, query: RawBuilder<T>): Promise<T[]> => withList(database, async (db) => (await query.execute(db)).rows);

/** `count` subscribed readers, sub0@example.org and on, straight into a SQLite list (tests read and write its tables as they are). */
export function seedSqlite(dbFile: string, count: number, start = 0): void {
  const db = openDatabase(dbFile);
  try {
    const insert = db.prepare(
      `INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at, subscribed_at) VALUES (?, ?, ?, 'subscribed', 'test', ?, ?, ?)`,
    );
    const t = new Date().toISOString();
    db.transaction(() => {
      for (let i = start; i < start + count; i++) insert.run(`sub${i}@example.org`, `sub${i}@example.org`, `Sub ${i}`, t, t, t);
    })();
  } finally {
    db.close();
  }
}

export function openDb(dbFile: string): Db {
  return openDatabase(dbFile);
}

export interface Terminal {
  /** Pretend standard input is a terminal, answering every question with this. */
  answer: string;
  /** The questions asked. */
  questions: string[];
}

/** Run the CLI in-process with a controlled environment (SMTP URL; no terminal unless `terminal`). */
export async function gazetteWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return gazetteAt(undefined, env, ...args);
}

export async function gazetteAt(terminal: Terminal | undefined, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stderr = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;
  const senv: SendEnv = {
    env: { GAZETTE_SECRET: SECRET, ...env },
    stdinIsTty: Boolean(terminal),
    stderr,
    ask: async (question) => {
      terminal?.questions.push(question);
      return terminal?.answer ?? 'n';
    },
    onInterrupt: () => () => undefined,
  };
  const code = await main(['node', 'gazette', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, senv);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Every delivery, by subscriber. */
export function deliveries(database: DatabaseLocation): Promise<Array<{ email: string; state: string; attempts: number; last_response: string }>> {
  return rowsOf(
    database,
    sql<{
      email: string;
      state: string;
      attempts: number;
      last_response: string;
    }>`SELECT s.email, d.state, d.attempts, d.last_response FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY s.id`,
  );
}

/** Record `pid` as the holder of the database's send lock, as a running send would. */
export function holdLock(database: DatabaseLocation | string, pid: number): void {
  const db = openDatabase(typeof database === 'string' ? database : database.kind === 'sqlite' ? database.file : '');
  try {
    db.prepare("INSERT OR REPLACE INTO send_lock (id, pid, host, started_at) VALUES (1, ?, ?, '2026-01-01T00:00:00Z')").run(pid, hostname());
  } finally {
    db.close();
  }
}

const lists = new WeakMap<Db, Q>();

/** The store's view (Kysely) of a SQLite connection a test opened: the store's own functions run on it, beside the test's raw SQL. */
export function listOf(db: Db): Q {
  let list = lists.get(db);
  if (!list) {
    list = new Kysely({ dialect: new SqliteDialect({ database: db }) });
    lists.set(db, list);
  }
  return list;
}
