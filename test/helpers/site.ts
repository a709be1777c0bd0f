import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The project's own Chinese digest fixture (CJK emphasis beside full-width punctuation, code, numbered sections, quotes, `---`, reference links). */
export const DIGEST = path.join(ROOT, 'test', 'fixtures', 'digest-zh.md');
/** The shared real digest beside the project, when there is one: an extra case, skipped without it. */
export const SHARED_SEED = path.resolve(ROOT, '../shared/fixtures/seed-digest.md');

export const BASE_CONFIG = `[site]
title = "Test Digest"
description = "A digest for tests"
base_url = "https://news.example.com/"
language = "zh-CN"
timezone = "Asia/Shanghai"

[site.author]
name = "Tester"
email = "tester@example.com"

[email]
from = "Test Digest <news@news.example.com>"
postal_address = "1 Test Street, Springfield"
`;

/** Folders made by this test file, removed after its last test (see cleanup.ts). */
export const madeFolders = new Set<string>();

/** Make a site folder: `files` maps relative paths to text (or bytes). Removed when the test file ends. */
export async function makeSite(files: Record<string, string | Uint8Array>, config = BASE_CONFIG): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-test-'));
  madeFolders.add(dir);
  await writeFile(path.join(dir, 'gazette.toml'), config);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process (fast). */
export async function gazette(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'gazette', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Run the compiled CLI as a real process, as a user would. */
export function gazetteProcess(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin/gazette.js'), ...args], { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir` with a hash of its bytes: to prove a folder did not change. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    result[path.relative(dir, full)] = createHash('sha256')
      .update(await readFile(full))
      .digest('hex');
  }
  return result;
}

export const read = (dir: string, rel: string) => readFile(path.join(dir, rel), 'utf8');
