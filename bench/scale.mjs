#!/usr/bin/env node
// Past one machine: a list of N subscribers (default 1,000,000) on PostgreSQL, imported with
// `gazette subscribers import`, then one, two and four `gazette send` workers on one issue against a
// local SMTP sink that answers each message after 50 ms (a distant relay: sending is bound by waiting),
// and again against one that answers at once (bound by this machine's cores). Each configuration runs
// for a fixed time on a fresh issue; the anchor is one worker, measured in the same run, and the
// ratios are against it. Then four workers on a 20,000-reader list, two killed with SIGKILL mid-run,
// the other two and one more finishing: readers missed and doubled. Not a test:
//   npm run build && node bench/scale.mjs postgres://user:password@127.0.0.1:5432/postgres [N] [--seconds=20]
// The URL names a server and a user that may create databases; each list is a new database, dropped at the end.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const admin = args.find((a) => /^postgres(ql)?:\/\//.test(a));
if (!admin) {
  console.error('usage: node bench/scale.mjs postgres://user:password@host:5432/postgres [N] [--seconds=20]');
  process.exit(1);
}
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const seconds = Number(/^--seconds=(\d+)$/.exec(args.find((a) => a.startsWith('--seconds=')) ?? '')?.[1] ?? 20);
const CONNECTIONS = 5;
const WARMUP_MS = 3000;
const SECRET = 'bench-secret-0123456789abcdef';

/** A new database on the server: its URL. */
async function createDatabase(name) {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name}`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name) {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.end();
}

/** An SMTP sink on loopback, answering each message after `delay` ms; counts what it accepted, by recipient. */
async function sink(delay) {
  const copies = new Map();
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 200,
    onRcptTo(address, session, done) {
      session.to = address.address;
      done();
    },
    onData(stream, session, done) {
      stream.resume();
      stream.on('end', () =>
        setTimeout(() => {
          accepted++;
          copies.set(session.to, (copies.get(session.to) ?? 0) + 1);
          done();
        }, delay),
      );
    },
  });
  // A worker killed mid-message resets its connections: nothing to report.
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${server.server.address().port}`, copies, accepted: () => accepted, close: () => new Promise((r) => server.close(r)) };
}

/** A site folder whose issues are the shared seed digest, under slugs of our own. */
function site() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gazette-scale-'));
  mkdirSync(path.join(dir, 'content'));
  writeFileSync(
    path.join(dir, 'gazette.toml'),
    `[site]\ntitle = "Scale bench"\nbase_url = "https://news.example.com/"\n[email]\nfrom = "Bench <news@news.example.com>"\npostal_address = "1 Example Street"\n` +
      `[server]\npublic_url = "https://news.example.com/newsletter/"\n[send]\nmax_connections = ${CONNECTIONS}\nretry_attempts = 0\nlease = 10\n`,
  );
  return dir;
}

const seed = existsSync(path.resolve(root, '../shared/fixtures/seed-digest.md'))
  ? path.resolve(root, '../shared/fixtures/seed-digest.md')
  : path.join(root, 'test', 'fixtures', 'digest-zh.md');
let issues = 0;
/** A new issue in `dir` (each configuration sends its own, to a list owed it whole): its slug. */
function issue(dir) {
  const slug = `scale-${++issues}`;
  cpSync(seed, path.join(dir, 'content', `${slug}.md`));
  // Its own slug and title (an issue that looks like one already sent asks before it goes).
  const text = readFileSync(path.join(dir, 'content', `${slug}.md`), 'utf8')
    .replace(/^title = .*$/m, `title = "Scale ${issues}"`)
    .replace(/^\+\+\+\n/, `+++\nslug = "${slug}"\n`);
  writeFileSync(path.join(dir, 'content', `${slug}.md`), text);
  return slug;
}

function gazette(dir, url, argv, env = {}) {
  const child = spawn(process.execPath, [path.join(root, 'bin/gazette.js'), ...argv, '--config', path.join(dir, 'gazette.toml')], {
    env: { ...process.env, GAZETTE_DATABASE_URL: url, GAZETTE_SECRET: SECRET, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let peakKb = 0;
  child.stderr.on('data', (d) => (stderr += d));
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {}
  }, 100);
  const done = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, peakMb: peakKb / 1024 });
    }),
  );
  return { child, done };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `workers` workers on a fresh issue for `seconds` (after a warm-up): messages a second, and each worker's peak memory. */
async function rate(dir, url, workers, delay) {
  const smtp = await sink(delay);
  const slug = issue(dir);
  const running = Array.from({ length: workers }, () => gazette(dir, url, ['send', '--issue', slug, '--yes'], { GAZETTE_SMTP_URL: smtp.url }));
  // The window opens a warm-up after the first message (the workers' start, counting the list, is not sending).
  while (smtp.accepted() === 0) await sleep(50);
  await sleep(WARMUP_MS);
  const from = smtp.accepted();
  const started = Date.now();
  await sleep(seconds * 1000);
  const sent = smtp.accepted() - from;
  const elapsed = (Date.now() - started) / 1000;
  for (const w of running) w.child.kill('SIGINT');
  const ended = await Promise.all(running.map((w) => w.done));
  await smtp.close();
  return { perSecond: sent / elapsed, peakMb: Math.max(...ended.map((e) => e.peakMb)) };
}

const name = `gazette_scale_${process.pid}`;
const dir = site();
try {
  const url = await createDatabase(name);
  const csv = path.join(dir, 'list.csv');
  writeFileSync(csv, `email\n${Array.from({ length: count }, (_, i) => `reader${i}@example.org`).join('\n')}\n`);
  let t = Date.now();
  const imported = await gazette(dir, url, ['subscribers', 'import', csv]).done;
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  console.log(
    `${count.toLocaleString('en')} subscribers imported into PostgreSQL in ${((Date.now() - t) / 1000).toFixed(1)} s (peak ${imported.peakMb.toFixed(0)} MB)\n`,
  );

  for (const [label, delay] of [
    ['a relay that answers after 50 ms (bound by waiting)', 50],
    ['a sink that answers at once (bound by the two cores)', 0],
  ]) {
    console.log(`${label}, ${CONNECTIONS} connections a worker, ${seconds} s each:\n`);
    console.log('| workers | messages/s | vs. one worker | peak memory, a worker |\n| --- | --- | --- | --- |');
    let one;
    for (const workers of [1, 2, 4]) {
      const r = await rate(dir, url, workers, delay);
      one ??= r.perSecond;
      console.log(`| ${workers} | ${r.perSecond.toFixed(0)} | ${(r.perSecond / one).toFixed(2)}x | ${r.peakMb.toFixed(0)} MB |`);
    }
    console.log('');
  }

  // Kills: four workers on a list of 20,000, two killed mid-run; the other two and one more finish.
  const small = `${name}_kill`;
  const killUrl = await createDatabase(small);
  writeFileSync(csv, `email\n${Array.from({ length: 20_000 }, (_, i) => `reader${i}@example.org`).join('\n')}\n`);
  await gazette(dir, killUrl, ['subscribers', 'import', csv]).done;
  const smtp = await sink(5);
  const slug = issue(dir);
  const env = { GAZETTE_SMTP_URL: smtp.url };
  const four = Array.from({ length: 4 }, () => gazette(dir, killUrl, ['send', '--issue', slug, '--yes'], env));
  while (smtp.accepted() < 5000) await sleep(50);
  four[0].child.kill('SIGKILL');
  four[1].child.kill('SIGKILL');
  t = Date.now();
  const rest = await Promise.all([four[2].done, four[3].done, gazette(dir, killUrl, ['send', '--issue', slug, '--yes'], env).done]);
  const missed = 20_000 - smtp.copies.size;
  const doubled = [...smtp.copies.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(
    `Kills: 4 workers on 20,000 readers, 2 killed with SIGKILL after 5,000 messages; the other 2 and one more finished (exit ${rest.map((r) => r.code).join(', ')}) ` +
      `in ${((Date.now() - t) / 1000).toFixed(1)} s: ${missed} readers missed, ${doubled} mailed twice (at most ${2 * CONNECTIONS}: the killed workers' connections).`,
  );
  await smtp.close();
  await dropDatabase(small);
} finally {
  await dropDatabase(name).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
