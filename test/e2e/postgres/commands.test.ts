import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { startServe } from '../../../src/serve/index.js';
import { freePort } from '../../helpers/imap.js';
import { describeOnPostgres } from '../../helpers/postgres.js';
import { DOMAIN, report } from '../../helpers/reports.js';
import { gazetteWith, SECRET, sendConfig } from '../../helpers/send.js';
import { form, linkIn } from '../../helpers/serve.js';
import { makeSite } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/**
 * Every command on a list kept in PostgreSQL, as a user runs them: the
 * same words as on SQLite, no SQLite file anywhere, and a send that mails
 * each reader once.
 */

const ISSUE = '+++\ntitle = "Issue one"\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n**Hello** readers.\n';
const CSV = 'email,name\nann@example.org,Ann\nbob@example.org,Bob\nann@example.org,Ann again\nnot-an-address,\ncat@example.org,Cat\n';

describeOnPostgres('the commands on PostgreSQL', (server) => {
  let smtp: TestSmtp | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  /** A site whose list is a new PostgreSQL database (or, with `sqlite`, the usual file). */
  async function site(sqlite = false) {
    const dir = await makeSite({ 'content/issue-one.md': ISSUE, 'list.csv': CSV }, sendConfig());
    const url = sqlite ? undefined : await server.createDatabase();
    const env = { GAZETTE_SECRET: SECRET, ...(url ? { GAZETTE_DATABASE_URL: url } : {}) };
    const run = (...args: string[]) => gazetteWith(env, ...args, '--config', path.join(dir, 'gazette.toml'));
    return { dir, url, env, run };
  }

  /** What a command printed, with the times and the folder taken out (they differ from run to run). */
  const plain = (text: string, dir: string) =>
    text
      .replaceAll(dir, '<site>')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      .replace(/postgres:\/\/\S+/g, '<database>');

  it('the subscriber commands say the same on PostgreSQL as on SQLite, and leave no SQLite file', async () => {
    const outputs: string[][] = [];
    for (const sqlite of [true, false]) {
      const s = await site(sqlite);
      const lines: string[] = [];
      for (const args of [
        ['subscribers', 'add', 'zed@example.org', '--name', 'Zed'],
        ['subscribers', 'import', path.join(s.dir, 'list.csv')],
        ['subscribers', 'add', 'ann@example.org'],
        ['subscribers', 'remove', 'bob@example.org'],
        ['subscribers', 'add', 'bob@example.org'],
        ['subscribers', 'count'],
        ['subscribers', 'list'],
        ['subscribers', 'list', '--status', 'unsubscribed'],
        ['subscribers', 'export'],
        ['subscribers', 'restore', '--bounced-since', '2026-01-01'],
        ['status'],
      ]) {
        const r = await s.run(...args);
        lines.push(`${args.slice(0, 2).join(' ')} → ${r.code}\n${plain(r.stdout, s.dir)}\n${plain(r.stderr, s.dir)}`);
      }
      outputs.push(lines);
      // No list file: only the issue cache `status` reads the issues through (to say what is pending).
      if (!sqlite) expect(readdirSync(s.dir).sort()).toEqual(['.gazette-cache', 'content', 'gazette.toml', 'list.csv']);
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[1]!.join('\n')).toContain('3 subscribed, 0 pending, 1 unsubscribed, 0 bounced');
  });

  it('send mails each reader once; a second send mails nobody; status counts it', async () => {
    smtp = await startSmtp();
    const s = await site();
    expect((await s.run('subscribers', 'import', path.join(s.dir, 'list.csv'))).code).toBe(1);
    const env = { ...s.env, GAZETTE_SMTP_URL: smtp.url };
    const config = path.join(s.dir, 'gazette.toml');
    const first = await gazetteWith(env, 'send', '--yes', '--config', config);
    expect(first.code, first.stderr).toBe(0);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(['ann@example.org', 'bob@example.org', 'cat@example.org']);
    const again = await gazetteWith(env, 'send', '--yes', '--config', config);
    expect(again.code, again.stderr).toBe(0);
    expect(smtp.received).toHaveLength(3);
    const status = await gazetteWith(env, 'status', '--json', '--config', config);
    expect(JSON.parse(status.stdout).issues[0]).toMatchObject({ slug: 'issue-one', sent: 3, owed: 0 });
    expect(existsSync(path.join(s.dir, 'data'))).toBe(false);
  });

  it('serve: a reader subscribes, confirms and leaves with one click, all recorded in PostgreSQL', async () => {
    smtp = await startSmtp();
    const s = await site();
    const { config } = await loadConfig(path.join(s.dir, 'gazette.toml'), 'serve', { env: { ...s.env, GAZETTE_SMTP_URL: smtp.url } });
    const running = await startServe(config, { host: '127.0.0.1', port: 0, log: () => undefined });
    const client = new pg.Client({ connectionString: s.url });
    await client.connect();
    const status = async () => (await client.query('SELECT status FROM subscribers WHERE email_key = $1', ['new@example.org'])).rows[0]?.status;
    try {
      expect((await fetch(`${running.url}healthz`)).status).toBe(200);
      expect((await fetch(`${running.url}subscribe`, form({ email: 'new@example.org' }))).status).toBe(200);
      // The confirmation is mailed in the background.
      for (let waited = 0; smtp.received.length === 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(smtp.received).toHaveLength(1);
      expect(await status()).toBe('pending');
      const token = new URL(linkIn(smtp.received[0]!.mail.text ?? '', 'confirm')).searchParams.get('token')!;
      expect((await fetch(`${running.url}confirm`, form({ token }))).status).toBe(200);
      expect(await status()).toBe('subscribed');
      const send = await gazetteWith({ ...s.env, GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', path.join(s.dir, 'gazette.toml'));
      expect(send.code, send.stderr).toBe(0);
      expect(smtp.received.map((r) => r.to)).toEqual(['new@example.org', 'new@example.org']);
      const oneClick = /^List-Unsubscribe:\s*<([^>]+)>/m.exec(smtp.received[1]!.raw)![1]!.replace(config.server.publicUrl!, running.url);
      expect((await fetch(oneClick, form({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200);
      expect(await status()).toBe('unsubscribed');
    } finally {
      await client.end();
      await running.close();
    }
  });

  it('bounces import: a DSN for a signed VERP address bounces that reader, once; invite asks the pending once', async () => {
    smtp = await startSmtp();
    const s = await site();
    const config = path.join(s.dir, 'gazette.toml');
    await writeFile(config, `${await readFile(config, 'utf8')}\n[bounces]\nreturn_path_domain = "${DOMAIN}"\n`);
    const env = { ...s.env, GAZETTE_SMTP_URL: smtp.url };
    expect((await gazetteWith(env, 'subscribers', 'import', path.join(s.dir, 'list.csv'), '--config', config)).code).toBe(1);
    expect((await gazetteWith(env, 'send', '--yes', '--config', config)).code).toBe(0);
    const bob = smtp.received.find((r) => r.to === 'bob@example.org')!;
    const dsn = path.join(s.dir, 'bounce.eml');
    await writeFile(dsn, report('postfix-hard.eml', { verp: bob.from, recipient: 'bob@example.org', messageId: bob.mail.messageId! }));
    const applied = await gazetteWith(env, 'bounces', 'import', dsn, '--config', config);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await gazetteWith(env, 'bounces', 'import', dsn, '--config', config)).code).toBe(0);
    const client = new pg.Client({ connectionString: s.url });
    await client.connect();
    try {
      const rows = await client.query("SELECT email, status FROM subscribers WHERE status <> 'subscribed' ORDER BY email");
      expect(rows.rows).toEqual([{ email: 'bob@example.org', status: 'bounced' }]);
      expect((await client.query('SELECT outcome FROM reports ORDER BY received_at')).rows).toEqual([{ outcome: 'bounced' }]);
    } finally {
      await client.end();
    }
    // Pending readers are asked to confirm once, however many times invite runs.
    await writeFile(path.join(s.dir, 'pending.csv'), 'email\npat@example.org\nquinn@example.org\n');
    expect((await gazetteWith(env, 'subscribers', 'import', path.join(s.dir, 'pending.csv'), '--status', 'pending', '--config', config)).code).toBe(0);
    const before = smtp.received.length;
    expect((await gazetteWith(env, 'subscribers', 'invite', '--yes', '--config', config)).code).toBe(0);
    expect((await gazetteWith(env, 'subscribers', 'invite', '--yes', '--config', config)).code).toBe(0);
    expect(
      smtp.received
        .slice(before)
        .map((r) => r.to)
        .sort(),
    ).toEqual(['pat@example.org', 'quinn@example.org']);
  });

  it('two serve replicas on one list count a client’s requests together, and share the hour’s confirmation caps', async () => {
    smtp = await startSmtp();
    const s = await site();
    const { config } = await loadConfig(path.join(s.dir, 'gazette.toml'), 'serve', { env: { ...s.env, GAZETTE_SMTP_URL: smtp.url } });
    const replicas = await Promise.all([0, 1].map(() => startServe(config, { host: '127.0.0.1', port: 0, log: () => undefined })));
    try {
      const codes: number[] = [];
      // Ten subscribe requests a minute per client: five to each replica pass, the eleventh is refused by either.
      for (let i = 0; i < 11; i++) {
        const r = await fetch(`${replicas[i % 2]!.url}subscribe`, form({ email: `reader${i}@example.org` }));
        codes.push(r.status);
      }
      expect(codes).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429]);
      expect((await fetch(`${replicas[1]!.url}subscribe`, form({ email: 'late@example.org' }))).status).toBe(429);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
    // One confirmation per mailbox an hour, whichever replica was asked.
    expect(smtp.received.map((r) => r.to).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `reader${i}@example.org`).sort());
  });

  it('a server that cannot be reached, or refuses the password, is one line naming it, exit 1', async () => {
    const s = await site();
    const wrong = await gazetteWith(
      { GAZETTE_DATABASE_URL: s.url!.replace(server.password, 'not-the-password') },
      'subscribers',
      'count',
      '--config',
      path.join(s.dir, 'gazette.toml'),
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^error: the PostgreSQL server at 127\\.0\\.0\\.1:${server.port} refused: password authentication failed`));
    expect(wrong.stderr).not.toContain('not-the-password');
    expect(wrong.stderr.split('\n')).toHaveLength(1);
    const port = await freePort();
    const nowhere = await gazetteWith(
      { GAZETTE_DATABASE_URL: `postgres://u:secret-pw@127.0.0.1:${port}/x` },
      'status',
      '--config',
      path.join(s.dir, 'gazette.toml'),
    );
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain(`cannot reach the PostgreSQL server at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(nowhere.stderr).not.toContain('secret-pw');
  }, 60_000);

  it('a password in gazette.toml is refused before anything is read', async () => {
    const dir = await makeSite({}, `${sendConfig()}\n[subscribers]\ndatabase = "postgres://news:hunter2@db.example/list"\n`);
    const r = await gazetteWith({}, 'subscribers', 'count', '--config', path.join(dir, 'gazette.toml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('subscribers.database holds a password');
    expect(r.stderr).not.toContain('hunter2');
  });
});
