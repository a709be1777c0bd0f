#!/usr/bin/env node
// Build speed: `gazette build` against Hugo (the anchor) on the same
// generated site of N digests, in the same run. Not a test: run it with
//   npm run bench            (N = 1000)
//   node bench/build.mjs 5000
// Needs Hugo on PATH (Debian: apt-get install hugo); without it, prints
// Gazette's own figures only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared real digest beside the project when there is one, else the project's own fixture. */
function seedDigest(root) {
  const shared = path.resolve(root, '../shared/fixtures/seed-digest.md');
  return existsSync(shared) ? shared : path.join(root, 'test', 'fixtures', 'digest-zh.md');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 1000);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const seedPath = seedDigest(root);
const seed = readFileSync(seedPath, 'utf8');
const body = seed.split('+++')[2];

const dir = mkdtempSync(path.join(tmpdir(), 'gazette-bench-'));
const content = path.join(dir, 'content', 'posts');
mkdirSync(content, { recursive: true });
const day = 86_400_000;
for (let i = 0; i < count; i++) {
  const date = new Date(Date.UTC(2020, 0, 1) + i * day).toISOString().slice(0, 10);
  writeFileSync(
    path.join(content, `issue-${i}.md`),
    `+++\ntitle = "AI 技术深度日报｜${date} #${i}"\ndate = "${date}T08:00:00+08:00"\ntags = ["AI", "t${i % 7}"]\ncategories = ["AI"]\n+++\n${body}`,
  );
}
writeFileSync(
  path.join(dir, 'gazette.toml'),
  `[site]\ntitle = "Bench"\nbase_url = "https://example.com/"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\n[build]\nout = "public-gazette"\n[feeds]\nlimit = 20\n`,
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

function time(cmd, args, before = () => {}, n = runs) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    before();
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.error}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const hasHugo = spawnSync('hugo', ['version']).status === 0;
console.log(`${count} digests (the seed digest's text), median of ${runs} runs, ${dir}`);
const gazetteArgs = [path.join(root, 'bin/gazette.js'), 'build', '--config', 'gazette.toml'];
// Cold: no cache, so every issue is parsed and its email rendered with MJML (Hugo renders no email).
const cold = time(process.execPath, gazetteArgs, () => rmSync(path.join(dir, '.gazette-cache'), { recursive: true, force: true }));
console.log(`gazette build, cold (${count} issues parsed, ${count} emails rendered): ${cold.toFixed(0)} ms (${(cold / count).toFixed(2)} ms per digest)`);
// Warm: the usual rebuild after adding an issue; unchanged issues and emails come from the cache.
// Alternated with Hugo, run for run, so that the machine's drifting load falls on both alike.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const warmRuns = [];
const hugoRuns = [];
for (let i = 0; i < runs; i++) {
  warmRuns.push(time(process.execPath, gazetteArgs, undefined, 1));
  if (hasHugo) hugoRuns.push(time('hugo', ['--quiet', '--source', dir], undefined, 1));
}
const gazette = median(warmRuns);
console.log(`gazette build, warm (issues and emails from the cache): ${gazette.toFixed(0)} ms (${(gazette / count).toFixed(2)} ms per digest)`);
if (hasHugo) {
  const version = execFileSync('hugo', ['version'], { encoding: 'utf8' }).split(' ')[1];
  const hugo = median(hugoRuns);
  console.log(`hugo ${version}: ${hugo.toFixed(0)} ms (${(hugo / count).toFixed(2)} ms per digest)`);
  console.log(`ratio gazette warm/hugo: ${(gazette / hugo).toFixed(2)}x; cold/hugo: ${(cold / hugo).toFixed(2)}x`);
} else {
  console.log('hugo: not installed (apt-get install hugo), no ratio');
}
if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
