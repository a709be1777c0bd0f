#!/usr/bin/env node
// A burst of genuine one-click unsubscribes from one address (a mailbox provider's unsubscribe
// servers, an office NAT after a big issue), against `gazette serve` as a process of its own:
// every request must be honoured. The anchor, measured in the same run against the same server
// and the same address, is its cheapest route (GET healthz).
//   node bench/unsubscribe.mjs [requests=2000] [--concurrency=16]
// Needs a built Gazette (npm install).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
const concurrency = Number(/^--concurrency=(\d+)$/.exec(args.find((a) => a.startsWith('--concurrency=')) ?? '')?.[1] ?? 16);
const SECRET = 'bench-secret-0123456789abcdef';

const { openDatabase } = await import(path.join(root, 'dist/store/db.js'));
const { unsubscribeToken } = await import(path.join(root, 'dist/tokens/index.js'));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'gazette-bench-unsub-'));
try {
  writeFileSync(
    path.join(dir, 'gazette.toml'),
    `[site]\ntitle = "Bench"\nbase_url = "https://bench.example/"\n\n[email]\nfrom = "Bench <news@bench.example>"\n\n[server]\npublic_url = "https://bench.example/newsletter/"\n`,
  );
  const db = openDatabase(path.join(dir, 'data', 'gazette.db'));
  // Written straight into the table (the store's own functions are asynchronous; this is setup, not what is measured).
  const insert = db.prepare(
    "INSERT INTO subscribers (email, email_key, status, source, created_at, updated_at) VALUES (?, ?, 'subscribed', 'bench', '', '') RETURNING id, email_key",
  );
  const tokens = db.transaction(() =>
    Array.from({ length: count }, (_, i) => unsubscribeToken(Buffer.from(SECRET), insert.get(`r${i}@example.org`, `r${i}@example.org`))),
  )();
  db.close();

  const port = await freePort();
  const server = spawn(process.execPath, [path.join(root, 'bin/gazette.js'), 'serve', '--port', String(port), '--config', path.join(dir, 'gazette.toml')], {
    env: { ...process.env, GAZETTE_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => (String(d).includes("Readers' pages at") ? resolve() : undefined));
    server.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}/newsletter/`;

  /** `count` requests, `concurrency` at a time: statuses, seconds, and the latencies' 99th percentile (ms). */
  async function burst(request) {
    const latencies = [];
    const statuses = new Map();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const t = performance.now();
          const res = await request(i);
          await res.arrayBuffer();
          latencies.push(performance.now() - t);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { statuses, seconds, rate: count / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] };
  }
  const oneClick = (i) =>
    fetch(`${base}unsubscribe?token=${tokens[i]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });

  // Warm both routes up first (the JIT), with requests that change nothing.
  for (let i = 0; i < 300; i++) await (await fetch(i % 2 ? `${base}healthz` : `${base}unsubscribe?token=${tokens[i % count]}`)).arrayBuffer();
  const anchor = await burst(() => fetch(`${base}healthz`));
  const first = await burst(oneClick);
  const repeat = await burst(oneClick);
  server.kill('SIGTERM');
  await new Promise((resolve) => server.on('exit', resolve));

  const check = openDatabase(path.join(dir, 'data', 'gazette.db'));
  const left = check.prepare(`SELECT COUNT(*) AS n FROM subscribers WHERE status = 'unsubscribed' AND unsubscribed_how = 'one-click'`).get().n;
  check.close();
  const row = (name, r) =>
    `| ${name} | ${[...r.statuses].map(([s, n]) => `${n}× ${s}`).join(', ')} | ${r.rate.toFixed(0)} req/s | ${r.p99.toFixed(1)} ms | ${(anchor.rate / r.rate).toFixed(2)}x |`;
  console.log(`${count} requests from one address, ${concurrency} at a time, one serve process on loopback:\n`);
  console.log('| requests | answers | rate | p99 | time vs. healthz |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(row('GET healthz (the anchor)', anchor));
  console.log(row('one-click unsubscribe, each token once', first));
  console.log(row('the same tokens again (repeats)', repeat));
  console.log(`\nUnsubscribed afterwards: ${left} of ${count}${left === count ? ' (every request honoured)' : ' — NOT ALL HONOURED'}.`);
  if (left !== count || first.statuses.get(200) !== count || repeat.statuses.get(200) !== count) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
