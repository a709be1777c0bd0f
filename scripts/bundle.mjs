#!/usr/bin/env node
// The command line as the few files bin/gazette.js loads: dist/bundle/, made from tsc's dist/ by
// esbuild (run by `npm run build`, after tsc). Node loads ESM a file at a time (resolve, read,
// compile, link); Gazette and the Markdown pipeline are some 250 files, which took a quarter of a
// second to load before a one-issue rebuild could start. Bundled, they load in a fifth of that.
//
// Commands are still loaded when they run (each dynamic import() is a chunk of its own), and
// the packages that must stay files of their own stay out: MJML (its worker finds its modules on
// disk), native and server packages, and those loaded by path (Handlebars' one-file build, YAML).
// Paths relative to a module (templates, package.json, the worker) resolve from dist/bundle/ as
// from any dist/<folder>/, both two levels under the project.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');

export const EXTERNAL = [
  'better-sqlite3',
  'csv-parse',
  'csv-stringify',
  'fastify',
  '@fastify/*',
  'handlebars',
  'imapflow',
  'mailparser',
  'mjml',
  'nodemailer',
  'yaml',
];

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'index.js'), path.join(root, 'dist', 'email', 'mjml-worker.js')],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Some CommonJS packages call require(): give the bundle one.
  banner: { js: "import { createRequire as __gazetteRequire } from 'node:module'; const require = __gazetteRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The code's version for the caches' keys (util/disk-cache.ts codeVersion): a hash of every file
// of the bundle, so that a build of changed code makes every cache entry a miss.
const hash = createHash('sha256');
const names = readdirSync(outdir).filter((n) => n.endsWith('.js'));
for (const name of names.sort()) hash.update(name).update(readFileSync(path.join(outdir, name)));
writeFileSync(path.join(outdir, 'code-version.txt'), `${hash.digest('hex')}\n`);

// The templates Gazette ships, precompiled by Handlebars (email/template.ts): a site whose template is
// Gazette's, or an unchanged copy of it (`gazette init` copies them), fills it without compiling it
// (Handlebars' compiler takes a fiftieth of a second per template, cold). Keyed on the source's hash.
const require = createRequire(import.meta.url);
const handlebars = require('handlebars/dist/handlebars.min.js');
const precompiled = [];
for (const dir of ['email-templates', 'page-templates']) {
  for (const name of readdirSync(path.join(root, dir))
    .filter((n) => /\.(mjml|hbs)$/.test(n))
    .sort()) {
    const source = readFileSync(path.join(root, dir, name), 'utf8').replace(/^\uFEFF/, '');
    const key = createHash('sha256').update(source).digest('hex');
    precompiled.push(`  ${JSON.stringify(key)}: ${handlebars.precompile(source, { strict: true })}`);
  }
}
writeFileSync(
  path.join(outdir, 'precompiled-templates.cjs'),
  `// Made by scripts/bundle.mjs: Gazette's own templates, precompiled by Handlebars ${handlebars.VERSION}.\nmodule.exports = {\n version: ${JSON.stringify(handlebars.VERSION)},\n templates: {\n${precompiled.join(',\n')}\n }\n};\n`,
);
