#!/usr/bin/env node
// Build speed and memory: `gazette build` against Hugo (the anchor) on the same generated
// site of N digests, measured side by side in one run. Not a test: run it with
//   npm run bench                 (N = 1000 and N = 10000)
//   node bench/build.mjs 1000     (one size)
//   BENCH_RUNS=3 node bench/build.mjs 1000
// For each N it times, as medians of runs that alternate between the tools (so that the
// machine's drifting load falls on both alike):
//   hugo         a full build (no public/, no resources/): Hugo keeps no cache between builds
//   cold         gazette build with no out/, no cache and no spare: every issue parsed
//   add one      gazette build after one new issue is added to an already built site
// and prints the ratios to Hugo and each tool's peak memory (RSS, from GNU time when it is
// installed: apt-get install time). Needs Hugo on PATH (apt-get install hugo); without it,
// prints Gazette's figures alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = process.argv[2] ? [Number(process.argv[2])] : [1000, 10000];
const GOALS = { cold: 2.0, addOne: 0.5, memoryMb: 1024 };

/** The shared real digest beside the project when there is one, else the project's own fixture. */
function seedDigest() {
  const shared = path.resolve(root, '../shared/fixtures/seed-digest.md');
  return existsSync(shared) ? shared : path.join(root, 'test', 'fixtures', 'digest-zh.md');
}
const seedPath = seedDigest();
const body = readFileSync(seedPath, 'utf8').split('+++')[2];
const day = 86_400_000;
const issueText = (i) => {
  const date = new Date(Date.UTC(2000, 0, 1) + i * day).toISOString().slice(0, 10);
  return `+++\ntitle = "AI 技术深度日报｜${date} #${i}"\ndate = "${date}T08:00:00+08:00"\ntags = ["AI", "t${i % 7}"]\ncategories = ["AI"]\n+++\n${body}`;
};

const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
const hasHugo = spawnSync('hugo', ['version']).status === 0;

/** Run a command in `dir`: wall time in ms and peak RSS in MB (when GNU time is there). */
function run(dir, cmd, args) {
  const argv = gnuTime ? ['/usr/bin/time', '-f', 'GAZETTE_BENCH_RSS %M', cmd, ...args] : [cmd, ...args];
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error}`);
  const rss = /GAZETTE_BENCH_RSS (\d+)/.exec(r.stderr ?? '');
  return { ms, mb: rss ? Number(rss[1]) / 1024 : undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const mem = (mb) => (mb === undefined ? 'n/a' : `${Math.round(mb)} MB`);

function site(count) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gazette-bench-'));
  const content = path.join(dir, 'content', 'posts');
  mkdirSync(content, { recursive: true });
  for (let i = 0; i < count; i++) writeFileSync(path.join(content, `issue-${i}.md`), issueText(i));
  writeFileSync(
    path.join(dir, 'gazette.toml'),
    `[site]\ntitle = "Bench"\nbase_url = "https://example.com/"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\n[build]\nout = "public-gazette"\n[feeds]\nlimit = 20\n[email]\npostal_address = "1 Bench Street"\n`,
  );
  // Hugo: the same site, its built-in RSS, full content in the feed like Gazette, no theme.
  writeFileSync(
    path.join(dir, 'hugo.toml'),
    `baseURL = "https://example.com/"\nlanguageCode = "zh-CN"\ntitle = "Bench"\nhasCJKLanguage = true\ndisableKinds = ["taxonomy", "term"]\npublishDir = "public-hugo"\n[services.rss]\nlimit = 20\n[outputs]\nhome = ["HTML", "RSS", "JSON"]\n`,
  );
  mkdirSync(path.join(dir, 'layouts', '_default'), { recursive: true });
  writeFileSync(
    path.join(dir, 'layouts', '_default', 'single.html'),
    '<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n',
  );
  writeFileSync(
    path.join(dir, 'layouts', '_default', 'list.html'),
    '<!DOCTYPE html><html><body><ul>{{ range .Pages }}<li><a href="{{ .Permalink }}">{{ .Title }}</a>{{ .Summary }}</li>{{ end }}</ul></body></html>\n',
  );
  writeFileSync(
    path.join(dir, 'layouts', 'index.json'),
    '{{ $items := slice }}{{ range first 20 .Site.RegularPages }}{{ $items = $items | append (dict "id" .Permalink "title" .Title "content_html" .Content) }}{{ end }}{{ dict "version" "https://jsonfeed.org/version/1.1" "items" $items | jsonify }}\n',
  );
  return dir;
}

function bench(count) {
  const runs = Number(process.env.BENCH_RUNS ?? (count >= 10_000 ? 3 : 5));
  const dir = site(count);
  const gazette = [path.join(root, 'bin', 'gazette.js'), 'build', '--config', 'gazette.toml'];
  const clean = (...names) => {
    for (const name of names) rmSync(path.join(dir, name), { recursive: true, force: true });
  };
  const results = { hugo: [], cold: [], addOne: [] };
  let added = count;
  for (let i = 0; i < runs; i++) {
    if (hasHugo) {
      clean('public-hugo', 'resources');
      results.hugo.push(run(dir, 'hugo', ['--quiet', '--source', dir]));
    }
    clean('public-gazette', '.public-gazette.spare', '.gazette-cache');
    results.cold.push(run(dir, process.execPath, gazette));
    // Once more, untimed, so the next build starts from what a previous build left (out/ and its spare).
    run(dir, process.execPath, gazette);
    writeFileSync(path.join(dir, 'content', 'posts', `issue-${added}.md`), issueText(added++));
    results.addOne.push(run(dir, process.execPath, gazette));
  }
  const m = Object.fromEntries(
    Object.entries(results).map(([k, v]) => [k, { ms: median(v.map((x) => x.ms)), mb: v[0]?.mb === undefined ? undefined : Math.max(...v.map((x) => x.mb)) }]),
  );
  console.log(`\nN = ${count} digests (${path.basename(seedPath)}'s text), median of ${runs} alternating runs`);
  const row = (name, r, ratio) => console.log(`  ${name.padEnd(34)} ${fmt(r.ms).padStart(8)}  peak ${mem(r.mb).padStart(7)}${ratio ?? ''}`);
  if (hasHugo) row(`hugo ${execFileSync('hugo', ['version'], { encoding: 'utf8' }).split(' ')[1]} (full build)`, m.hugo);
  const vs = (r, goal) => (hasHugo ? `  ${(r.ms / m.hugo.ms).toFixed(2)}x hugo (goal ≤ ${goal}x: ${r.ms / m.hugo.ms <= goal ? 'met' : 'NOT met'})` : '');
  row('gazette build, cold', m.cold, vs(m.cold, GOALS.cold));
  row('gazette build, after adding one', m.addOne, vs(m.addOne, GOALS.addOne));
  if (m.cold.mb !== undefined)
    console.log(`  gazette peak memory ${mem(m.cold.mb)} (goal < ${GOALS.memoryMb} MB: ${m.cold.mb < GOALS.memoryMb ? 'met' : 'NOT met'})`);
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(`  kept ${dir}`);
}

console.log(
  `${process.version}, ${hasHugo ? '' : 'no hugo (apt-get install hugo), '}${gnuTime ? '' : 'no GNU time (apt-get install time): no memory figures, '}cores: ${(await import('node:os')).availableParallelism()}`,
);
for (const count of sizes) bench(count);
