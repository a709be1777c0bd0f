import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { openStore } from '../../../src/store/connect.js';
import { failure } from '../../helpers/expect.js';
import { freePort } from '../../helpers/imap.js';
import { describeOnPostgres } from '../../helpers/postgres.js';
import { makeSite } from '../../helpers/site.js';

const SECRET = 'a-strong-secret-0123456789abcdef';

async function configWith(env: NodeJS.ProcessEnv, database?: string) {
  const dir = await makeSite({}, `[site]\ntitle = "T"\nbase_url = "https://news.test/"\n${database ? `[subscribers]\ndatabase = "${database}"\n` : ''}`);
  return { dir, load: (use: Parameters<typeof loadConfig>[1] = 'subscribers') => loadConfig(path.join(dir, 'gazette.toml'), use, { env }) };
}

describe('where the list lives', () => {
  it('is a SQLite file beside the config by default, with the secret and the outbox beside it', async () => {
    const { dir, load } = await configWith({});
    const { config } = await load();
    expect(config.subscribers.database).toEqual({ kind: 'sqlite', file: path.join(dir, 'data/gazette.db') });
    expect(config.subscribers.secret).toBe(path.join(dir, 'data/gazette.secret'));
    expect(config.neverPublished.files).toContain(path.join(dir, 'data/gazette.db-wal'));
  });

  it('is a PostgreSQL server when GAZETTE_DATABASE_URL names one: its password is in no message, and there is no file', async () => {
    const { dir, load } = await configWith({ GAZETTE_DATABASE_URL: 'postgresql://news:s3cret-pass@db.internal:6432/list?sslmode=require' }, 'data/other.db');
    const { config } = await load();
    expect(config.subscribers.database).toEqual({
      kind: 'postgres',
      url: 'postgresql://news:s3cret-pass@db.internal:6432/list?sslmode=require',
      where: 'postgresql://news@db.internal:6432/list',
      host: 'db.internal:6432',
    });
    expect(config.subscribers.secret).toBeUndefined();
    expect(config.subscribers.outbox).toBe(path.join(dir, '.gazette-outbox'));
    expect(config.neverPublished.files).toEqual([path.join(dir, 'gazette.toml')]);
  });

  it('takes a postgres:// URL in gazette.toml only without a password', async () => {
    const plain = await configWith({}, 'postgres://news@db.internal/list');
    expect((await plain.load()).config.subscribers.database).toMatchObject({ kind: 'postgres', host: 'db.internal:5432' });
    for (const url of ['postgres://news:pw@db.internal/list', 'postgres://news@db.internal/list?password=pw']) {
      const err = await failure((await configWith({}, url)).load());
      expect(err.message).toContain('subscribers.database holds a password: gazette.toml is no place for it; set GAZETTE_DATABASE_URL');
      expect(err.message).not.toContain('pw');
    }
  });

  it('refuses a GAZETTE_DATABASE_URL that is not PostgreSQL, or names no database', async () => {
    expect((await failure((await configWith({ GAZETTE_DATABASE_URL: 'mysql://u:p@h/db' })).load())).message).toBe(
      'GAZETTE_DATABASE_URL must be a postgres:// or postgresql:// URL',
    );
    expect((await failure((await configWith({ GAZETTE_DATABASE_URL: 'postgres://u:p@h' })).load())).message).toBe(
      'GAZETTE_DATABASE_URL must name a host and a database (postgres://user@host:5432/database)',
    );
  });

  it('on PostgreSQL, a command that signs needs GAZETTE_SECRET: every sender and serve must sign alike', async () => {
    const env = { GAZETTE_DATABASE_URL: 'postgres://news:pw@127.0.0.1:1/list' };
    const dir = await makeSite(
      {},
      '[site]\ntitle = "T"\nbase_url = "https://news.test/"\n[email]\nfrom = "News <news@news.test>"\npostal_address = "1 Street"\n[server]\npublic_url = "https://news.test/"\n',
    );
    const file = path.join(dir, 'gazette.toml');
    const err = await failure(loadConfig(file, 'send --dry-run', { env }));
    expect(err.code).toBe('SECRET');
    expect(err.message).toBe(
      'the subscriber list is on PostgreSQL: set GAZETTE_SECRET (at least 16 random characters, e.g. openssl rand -hex 32), or GAZETTE_SECRET_FILE to the gazette.secret of the SQLite list it was copied from, the same for every send and serve of the list',
    );
    expect((await loadConfig(file, 'send --dry-run', { env: { ...env, GAZETTE_SECRET: SECRET } })).config.tokenSecret).toBe(SECRET);
    // A command that signs nothing does not ask for it.
    expect((await loadConfig(file, 'subscribers', { env })).config.subscribers.database.kind).toBe('postgres');
  });
});

describeOnPostgres('a list on PostgreSQL', (server) => {
  const location = (url: string) => {
    const u = new URL(url);
    const shown = new URL(url);
    shown.password = '';
    return { kind: 'postgres' as const, url, where: shown.toString(), host: `${u.hostname}:${u.port}` };
  };

  it('makes the tables of schema 19 on first use, once, however many processes open it at once', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => openStore(location(url))));
    try {
      const { rows } = await sql<{
        table_name: string;
      }>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(stores[0]!.db);
      expect(rows.map((r) => r.table_name)).toEqual([
        'claims',
        'confirmations_sent',
        'deliveries',
        'gazette_schema',
        'issues',
        'quota_hits',
        'rate_limits',
        'reports',
        'send_lock',
        'subscriber_topics',
        'subscribers',
        'webhook_events',
      ]);
      const versions = await sql<{ version: number }>`SELECT version FROM gazette_schema`.execute(stores[1]!.db);
      expect(versions.rows).toEqual([{ version: 19 }]);
      // Ids and counts come back as numbers.
      await sql`INSERT INTO subscribers (email, email_key, status, created_at, updated_at) VALUES ('a@b.test', 'a@b.test', 'subscribed', 'now', 'now')`.execute(
        stores[2]!.db,
      );
      const counted = await sql<{ n: number; id: number }>`SELECT COUNT(*) AS n, MAX(id) AS id FROM subscribers`.execute(stores[2]!.db);
      expect(counted.rows).toEqual([{ n: 1, id: 1 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const again = await openStore(location(url));
    expect(again.where).toBe(location(url).where);
    await again.close();
  });

  it('refuses a list from a newer Gazette', async () => {
    const url = await server.createDatabase();
    await (await openStore(location(url))).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE gazette_schema SET version = 99');
    await client.end();
    expect((await failure(openStore(location(url)))).message).toMatch(/^the subscriber database is from a newer Gazette \(schema 99, this one knows 19\)/);
  });

  it('a wrong password or an unreachable server is one line naming the server, never the password', async () => {
    const url = await server.createDatabase();
    const wrong = url.replace(server.password, 'not-the-password-42');
    const refused = await failure(openStore(location(wrong)));
    expect(refused.code).toBe('DB');
    expect(refused.message).toBe(
      `the PostgreSQL server at 127.0.0.1:${server.port} refused: password authentication failed for user "${server.user}" (${location(url).where})`,
    );
    expect(refused.message).not.toContain('not-the-password-42');
    const port = await freePort();
    const nowhere = await failure(openStore(location(`postgres://u:hunter2@127.0.0.1:${port}/x`), { attempts: 2 }));
    expect(nowhere.message).toBe(`cannot reach the PostgreSQL server at 127.0.0.1:${port} (ECONNREFUSED) (postgres://u@127.0.0.1:${port}/x)`);
  });

  it('makes no SQLite file: a site whose list is on PostgreSQL has no data folder', async () => {
    const url = await server.createDatabase();
    const { dir, load } = await configWith({ GAZETTE_DATABASE_URL: url });
    const { config } = await load();
    const store = await openStore(config.subscribers.database);
    expect(store.dialect).toBe('postgres');
    await store.close();
    expect(readdirSync(dir)).toEqual(['gazette.toml']);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });
});

describe('a list on SQLite through the same door', () => {
  it('answers queries and takes the write lock when a transaction begins', async () => {
    const dir = await makeSite({});
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'data/list.db') });
    try {
      expect(store.sqlite).toBeDefined();
      const inside = await store.db.transaction().execute(async (trx) => {
        // Another connection cannot write while this transaction holds the lock (BEGIN IMMEDIATE).
        const { default: Database } = await import('better-sqlite3');
        const other = new Database(path.join(dir, 'data/list.db'), { timeout: 0 });
        try {
          expect(() => other.prepare("INSERT INTO webhook_events (id, seen_at, keep_until) VALUES ('x', 'a', 'b')").run()).toThrow(/locked|busy/i);
        } finally {
          other.close();
        }
        return (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM subscribers`.execute(trx)).rows[0]!.n;
      });
      expect(inside).toBe(0);
    } finally {
      await store.close();
    }
  });
});
