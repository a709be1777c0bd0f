import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { describeOnPostgres } from '../../helpers/postgres.js';
import { gazetteWith, SECRET } from '../../helpers/send.js';
import { BASE_CONFIG, makeSite, ROOT } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/**
 * Several `gazette send` workers on one issue of a list in PostgreSQL, as
 * real processes: they share the work, keep one rate together, and a
 * killed worker's subscribers go to the others when its lease runs out.
 */

const ISSUE = '+++\ntitle = "Issue one"\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n**Hello** readers.\n';
const CONNECTIONS = 2;

function config(extra = ''): string {
  return `${BASE_CONFIG}
[server]
public_url = "https://news.example.com/newsletter/"

[send]
max_connections = ${CONNECTIONS}
retry_attempts = 1
retry_delay = 0.05
lease = 5
${extra}`;
}

interface Worker {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** `gazette send --yes` as its own process, on the list at `url`. */
function worker(dir: string, url: string, smtpUrl: string): Worker {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/gazette.js'), 'send', '--yes', '--config', path.join(dir, 'gazette.toml')], {
    env: { ...process.env, GAZETTE_DATABASE_URL: url, GAZETTE_SECRET: SECRET, GAZETTE_SMTP_URL: smtpUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

describeOnPostgres('several send workers on PostgreSQL', (server) => {
  let smtp: TestSmtp | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await smtp?.close();
    smtp = undefined;
  });

  /** A site whose list (on a new database) holds `count` subscribers. */
  async function list(count: number, extra = '') {
    const dir = await makeSite({ 'content/issue-one.md': ISSUE }, config(extra));
    const url = await server.createDatabase();
    await writeFile(path.join(dir, 'list.csv'), `email\n${Array.from({ length: count }, (_, i) => `sub${i}@example.org`).join('\n')}\n`);
    const imported = await gazetteWith(
      { GAZETTE_DATABASE_URL: url },
      'subscribers',
      'import',
      path.join(dir, 'list.csv'),
      '--config',
      path.join(dir, 'gazette.toml'),
    );
    expect(imported.code, imported.stderr).toBe(0);
    return { dir, url };
  }

  const copiesOf = (received: TestSmtp['received']) => {
    const copies = new Map<string, number>();
    for (const r of received) copies.set(r.to, (copies.get(r.to) ?? 0) + 1);
    return copies;
  };

  it('three workers share one issue: each reader mailed once, each worker’s part recorded', async () => {
    smtp = await startSmtp({ delay: 30 });
    const { dir, url } = await list(240);
    const workers = [0, 1, 2].map(() => worker(dir, url, smtp!.url));
    children.push(...workers.map((w) => w.child));
    const results = await Promise.all(workers.map((w) => w.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const copies = copiesOf(smtp.received);
    expect(copies.size).toBe(240);
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const by = (await client.query("SELECT sent_by, COUNT(*)::int AS n FROM deliveries WHERE state = 'sent' GROUP BY sent_by")).rows as Array<{ n: number }>;
      // Every worker took part (each claimed its own batches while the others sent theirs).
      expect(by.length).toBeGreaterThanOrEqual(2);
      expect(by.reduce((sum, row) => sum + row.n, 0)).toBe(240);
      expect((await client.query('SELECT COUNT(*)::int AS n FROM claims')).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
    // `status` says who sent how much.
    const status = await gazetteWith({ GAZETTE_DATABASE_URL: url }, 'status', '--config', path.join(dir, 'gazette.toml'));
    expect(status.stdout).toMatch(/^issue-one was sent by [23] workers: [^:\n]+:\d+:[0-9a-f]{6} \d+, /m);
    const json = JSON.parse((await gazetteWith({ GAZETTE_DATABASE_URL: url }, 'status', '--json', '--config', path.join(dir, 'gazette.toml'))).stdout);
    expect(Object.values(json.issues[0].senders as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(240);
  });

  it('two of three workers killed mid-run: the survivor and one more finish; nobody missed, doubles at most the killed workers’ connections', async () => {
    smtp = await startSmtp({ delay: 20 });
    const { dir, url } = await list(600);
    const workers = [0, 1, 2].map(() => worker(dir, url, smtp!.url));
    children.push(...workers.map((w) => w.child));
    // Mid-run: a sixth of the list delivered.
    for (let waited = 0; smtp.received.length < 100 && waited < 60_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(smtp.received.length).toBeLessThan(600);
    workers[0]!.child.kill('SIGKILL');
    workers[1]!.child.kill('SIGKILL');
    const killed = await Promise.all([workers[0]!.done, workers[1]!.done]);
    expect(killed.map((k) => k.signal)).toEqual(['SIGKILL', 'SIGKILL']);
    // The survivor waits out the killed workers' leases (5 s) and sends what they held.
    const survivor = await workers[2]!.done;
    expect(survivor.code, survivor.stderr).toBe(0);
    const more = worker(dir, url, smtp.url);
    children.push(more.child);
    expect((await more.done).code).toBe(0);
    const copies = copiesOf(smtp.received);
    expect(copies.size).toBe(600);
    const doubles = [...copies.values()].reduce((sum, n) => sum + (n - 1), 0);
    expect(doubles).toBeLessThanOrEqual(2 * CONNECTIONS);
  }, 120_000);

  it('the rate limit is the campaign’s: two workers at 10 a second send 10 a second together', async () => {
    smtp = await startSmtp();
    const { dir, url } = await list(40, 'rate_limit = 10');
    const started = Date.now();
    const workers = [0, 1].map(() => worker(dir, url, smtp!.url));
    children.push(...workers.map((w) => w.child));
    for (const r of await Promise.all(workers.map((w) => w.done))) expect(r.code, r.stderr).toBe(0);
    expect(copiesOf(smtp.received).size).toBe(40);
    // 40 messages at 10 a second take at least three seconds (the first second's ten go at once); at 20 a second, under two.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  }, 60_000);
});
