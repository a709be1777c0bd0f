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
