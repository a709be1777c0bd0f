#!/usr/bin/env node
// Send throughput and memory: `gazette send` against a bare nodemailer pool (the anchor)
// sending the same message over the same connections to Postfix's smtp-sink, in the same run.
//   node bench/send.mjs [subscribers=5000] [--flat]
// --flat also sends to 1,000 and 100,000 subscribers and compares gazette's peak memory.
// Needs Postfix's smtp-sink (Debian: apt-get install postfix) and a built Gazette (npm install).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared real digest beside the project when there is one, else the project's own fixture. */
function seedDigest(root) {
  const shared = path.resolve(root, '../shared/fixtures/seed-digest.md');
  return existsSync(shared) ? shared : path.join(root, 'test', 'fixtures', 'digest-zh.md');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 5000);
const flat = args.includes('--flat');
const CONNECTIONS = 5;
const SINK = '/usr/sbin/smtp-sink';

if (spawnSync(SINK, ['-h'], { stdio: 'ignore' }).error) {
  console.error(`${SINK} not found: apt-get install postfix`);
  process.exit(1);
}

const { openDatabase } = await import(path.join(root, 'dist/store/db.js'));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Run a command; returns wall time and peak resident memory (VmHWM), polled from /proc. */
function measure(cmd, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKb = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ms, peakMb: peakKb / 1024 });
    });
  });
}

async function site(subscribers) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gazette-send-bench-'));
  mkdirSync(path.join(dir, 'content'));
  cpSync(seedDigest(root), path.join(dir, 'content', 'seed-digest.md'));
  writeFileSync(
    path.join(dir, 'gazette.toml'),
    `[site]\ntitle = "AI 技术深度日报"\nbase_url = "https://news.example.com/"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\n` +
      `[email]\nfrom = "AI 技术深度日报 <digest@news.example.com>"\npostal_address = "1 Example Street"\n` +
      `[server]\npublic_url = "https://news.example.com/newsletter/"\n[send]\nmax_connections = ${CONNECTIONS}\nretry_attempts = 0\n`,
  );
  const db = openDatabase(path.join(dir, 'data', 'gazette.db'));
  const insert = db.prepare(
    "INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at) VALUES (?, ?, ?, 'subscribed', 'bench', '', '')",
  );
  const addresses = [];
  db.transaction(() => {
    for (let i = 0; i < subscribers; i++) {
      const email = `reader${i}@example.org`;
      insert.run(email, email, `Reader ${i}`);
      addresses.push(email);
    }
  })();
  db.close();
  writeFileSync(path.join(dir, 'addresses.txt'), addresses.join('\n'));
  return dir;
}

async function gazetteSend(dir, url) {
  return measure(process.execPath, [path.join(root, 'bin/gazette.js'), 'send', '--yes', '--config', path.join(dir, 'gazette.toml')], {
    GAZETTE_SMTP_URL: url,
    GAZETTE_SECRET: 'bench-secret-0123456789',
  });
}

const port = await freePort();
// As root, smtp-sink must drop privileges (-u).
const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
const sink = spawn(SINK, [...asRoot, `127.0.0.1:${port}`, '512'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 300));
const url = `smtp://127.0.0.1:${port}`;
try {
  const dir = await site(count);
  // The same message as gazette sends (one subscriber's), for the bare pool.
  spawnSync(process.execPath, [path.join(root, 'bin/gazette.js'), 'send', '--dry-run', '--config', path.join(dir, 'gazette.toml')], { stdio: 'ignore' });
  const { simpleParser } = await import('mailparser').catch(() => ({}));
  const eml = readFileSync(path.join(dir, 'out', 'outbox', 'seed-digest', '000001-reader0@example.org.eml'), 'utf8');
  const parsed = simpleParser ? await simpleParser(eml) : null;
  const message = parsed
    ? { from: parsed.from.text, subject: parsed.subject, text: parsed.text, html: parsed.html }
    : { from: 'digest@news.example.com', subject: 'AI', text: eml, html: eml };
  writeFileSync(path.join(dir, 'message.json'), JSON.stringify(message));

  // Alternate the two, three times each, and compare medians: the machine's load drifts.
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const bareRuns = [];
  const gazetteRuns = [];
  for (let i = 0; i < runs; i++) {
    bareRuns.push(
      await measure(process.execPath, [
        path.join(root, 'bench/bare-pool.mjs'),
        url,
        path.join(dir, 'message.json'),
        path.join(dir, 'addresses.txt'),
        String(CONNECTIONS),
      ]),
    );
    // A fresh ledger for every run: the subscribers are owed the issue again.
    const db = openDatabase(path.join(dir, 'data', 'gazette.db'));
    db.exec('DELETE FROM deliveries');
    db.close();
    gazetteRuns.push(await gazetteSend(dir, url));
  }
  const median = (xs, key) => xs.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const bare = { ms: median(bareRuns, 'ms'), peakMb: Math.max(...bareRuns.map((r) => r.peakMb)) };
  const gazette = { ms: median(gazetteRuns, 'ms'), peakMb: Math.max(...gazetteRuns.map((r) => r.peakMb)) };
  console.log(`${count} subscribers, ${CONNECTIONS} connections, Postfix smtp-sink on loopback, median of ${runs} alternating runs`);
  console.log(`bare nodemailer pool: ${(bare.ms / 1000).toFixed(2)} s (${((count / bare.ms) * 1000).toFixed(0)} msg/s), peak ${bare.peakMb.toFixed(0)} MB`);
  console.log(
    `gazette send:         ${(gazette.ms / 1000).toFixed(2)} s (${((count / gazette.ms) * 1000).toFixed(0)} msg/s), peak ${gazette.peakMb.toFixed(0)} MB`,
  );
  console.log(`ratio gazette/bare: ${(gazette.ms / bare.ms).toFixed(2)}x (goal: within 1.25x; peak memory goal: under 200 MB)`);
  rmSync(dir, { recursive: true, force: true });

  if (flat) {
    for (const n of [1000, 100000]) {
      const d = await site(n);
      // As an author would: build (which renders and caches the email), then send.
      spawnSync(process.execPath, [path.join(root, 'bin/gazette.js'), 'build', '--config', path.join(d, 'gazette.toml')], { stdio: 'ignore' });
      const r = await gazetteSend(d, url);
      console.log(`gazette send to ${n}: ${(r.ms / 1000).toFixed(1)} s, peak ${r.peakMb.toFixed(0)} MB`);
      rmSync(d, { recursive: true, force: true });
    }
  }
} finally {
  sink.kill();
}
