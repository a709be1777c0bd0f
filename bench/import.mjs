#!/usr/bin/env node
// Subscriber import: `gazette subscribers import` of an N-row CSV (default
// 1,000,000), against csv-parse (the anchor) merely parsing the same file as a
// stream, in the same run. Prints time, rows a second and peak memory (RSS)
// of each, measured in a fresh process. Not a test:
//   npm run build && node bench/import.mjs [N]
// Memory should stay flat as N grows: try N = 100000 and N = 1000000.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(path.join(tmpdir(), 'gazette-bench-import-'));
try {
  writeFileSync(path.join(dir, 'gazette.toml'), '[site]\ntitle = "Bench"\nbase_url = "https://example.com/"\n');
  const csv = path.join(dir, 'list.csv');
  const out = createWriteStream(csv);
  out.write('Email Address,First Name,Last Name,Status\r\n');
  for (let i = 0; i < count; i++) {
    const line = `reader${i}@example${i % 97}.org,"Reader, the ${i}th",Lee,${i % 50 === 0 ? 'unsubscribed' : ''}\r\n`;
    if (!out.write(line)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));

  // Each measurement in its own process, reporting its own peak RSS.
  const measure = (label, script) => {
    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) throw new Error(`${label} failed:\n${run.stderr}`);
    const rss = Number(/maxrss=(\d+)/.exec(run.stdout)?.[1] ?? 0) / 1024;
    return { label, seconds, rss };
  };
  const gazette = measure(
    'gazette subscribers import',
    `import { main } from './dist/cli/index.js';
     const code = await main(['node', 'gazette', 'subscribers', 'import', ${JSON.stringify(csv)}, '--config', ${JSON.stringify(path.join(dir, 'gazette.toml'))}], { out: () => {}, err: (l) => process.stderr.write(l + '\\n') });
     if (code !== 0) process.exit(code);
     console.log('maxrss=' + process.resourceUsage().maxRSS);`,
  );
  const anchor = measure(
    'csv-parse, parsing only',
    `import { createReadStream } from 'node:fs';
     import { parse } from 'csv-parse';
     let n = 0;
     for await (const _ of createReadStream(${JSON.stringify(csv)}).pipe(parse({ bom: true, relax_column_count: true }))) n++;
     console.log('maxrss=' + process.resourceUsage().maxRSS);`,
  );
  console.log(`${count.toLocaleString('en')} rows`);
  for (const r of [anchor, gazette]) {
    console.log(
      `${r.label.padEnd(30)} ${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(count / r.seconds)
        .toLocaleString('en')
        .padStart(10)} rows/s  peak ${Math.round(r.rss)} MB`,
    );
  }
  console.log(`ratio (gazette / csv-parse): ${(gazette.seconds / anchor.seconds).toFixed(1)}x time, ${(gazette.rss / anchor.rss).toFixed(1)}x memory`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
