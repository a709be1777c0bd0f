import path from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { startServe } from '../../../src/serve/index.js';
import { describeOnPostgres } from '../../helpers/postgres.js';
import { gazetteWith, sendConfig } from '../../helpers/send.js';
import { form } from '../../helpers/serve.js';
import { makeSite } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/**
 * `gazette db copy`: a SQLite list that has sent an issue, moved to
 * PostgreSQL whole. Nobody is mailed it again, the old mail's links still
 * work, and a list already there is never overwritten.
 */

const ISSUE = '+++\ntitle = "Issue one"\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n**Hello** readers.\n';

describeOnPostgres('db copy', (server) => {
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  it('moves a list that has sent an issue: counts checked, nobody mailed again, old links still work, a full target refused', async () => {
    smtp = await startSmtp({ rcpt: (to) => (to === 'dead@example.org' ? { code: 550, message: '5.1.1 no such user' } : undefined) });
    const dir = await makeSite(
      {
        'content/issue-one.md': ISSUE,
        'list.csv': 'email,name,status\nann@example.org,Ann,\nbob@example.org,Bob,\ndead@example.org,,\ngone@example.org,,unsubscribed\n',
      },
      sendConfig(),
    );
    const config = path.join(dir, 'gazette.toml');
    const secretFile = path.join(dir, 'data', 'gazette.secret');
    // On SQLite, with the secret file beside the list (no GAZETTE_SECRET).
    const sqlite = { GAZETTE_SECRET: '', GAZETTE_SMTP_URL: smtp.url };
    expect((await gazetteWith(sqlite, 'subscribers', 'import', path.join(dir, 'list.csv'), '--config', config)).code).toBe(0);
    const sent = await gazetteWith(sqlite, 'send', '--yes', '--config', config);
    expect(sent.code, sent.stderr).toBe(0);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(['ann@example.org', 'bob@example.org']);
    const statusBefore = (await gazetteWith(sqlite, 'status', '--json', '--config', config)).stdout;

    const url = await server.createDatabase();
    const copied = await gazetteWith({}, 'db', 'copy', '--to', url, '--config', config);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).not.toContain(server.password);
    expect(copied.stdout).toMatch(/subscribers\s+4\n.*issues\s+1\n.*deliveries\s+3\n/s);
    expect(copied.stdout).toContain(`GAZETTE_SECRET_FILE=`);

    // On PostgreSQL, signing with the same secret file.
    const onPg = { GAZETTE_SECRET: '', GAZETTE_DATABASE_URL: url, GAZETTE_SECRET_FILE: secretFile, GAZETTE_SMTP_URL: smtp.url };
    const again = await gazetteWith(onPg, 'send', '--yes', '--config', config);
    expect(again.code, again.stderr).toBe(0);
    expect(smtp.received).toHaveLength(2);
    const statusAfter = (await gazetteWith(onPg, 'status', '--json', '--config', config)).stdout;
    expect(JSON.parse(statusAfter)).toEqual(JSON.parse(statusBefore));
    // New readers are numbered after the copied ones.
    expect((await gazetteWith(onPg, 'subscribers', 'add', 'new@example.org', '--config', config)).code).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT id::int AS id FROM subscribers WHERE email = 'new@example.org'")).rows[0].id).toBe(5);
      // The unsubscribe link in Ann's mail, sent from SQLite, works against the list on PostgreSQL.
      const { config: loaded } = await loadConfig(config, 'serve', { env: onPg });
      const running = await startServe(loaded, { host: '127.0.0.1', port: 0, log: () => undefined });
      try {
        const ann = smtp.received.find((r) => r.to === 'ann@example.org')!;
        const link = /^List-Unsubscribe:\s*<([^>]+)>/m.exec(ann.raw)![1]!.replace(loaded.server.publicUrl!, running.url);
        expect((await fetch(link, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200);
      } finally {
        await running.close();
      }
      expect((await client.query("SELECT status, unsubscribed_how FROM subscribers WHERE email = 'ann@example.org'")).rows[0]).toEqual({
        status: 'unsubscribed',
        unsubscribed_how: 'one-click',
      });
      // A second copy into the same database is refused, and changes nothing there.
      const before = (await client.query('SELECT COUNT(*)::int AS n FROM subscribers')).rows[0].n;
      const twice = await gazetteWith({}, 'db', 'copy', '--to', url, '--config', config);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/the target list is not empty \(5 in subscribers, 1 in issues, 3 in deliveries.*\): db copy only fills a new database/);
      expect((await client.query('SELECT COUNT(*)::int AS n FROM subscribers')).rows[0].n).toBe(before);
    } finally {
      await client.end();
    }
  });

  it('asks where to copy to when neither --to nor GAZETTE_DATABASE_URL says', async () => {
    const dir = await makeSite({});
    const r = await gazetteWith({}, 'db', 'copy', '--config', path.join(dir, 'gazette.toml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('name the PostgreSQL database to copy the list to: --to postgres://');
  });
});
