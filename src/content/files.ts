import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface SourceFile {
  /** Absolute path of the Markdown file. */
  path: string;
  /** Set for a leaf bundle's `index.md`: the bundle's folder. */
  bundleDir?: string;
}

const hidden = (name: string) => name.startsWith('.');

async function entriesOf(dir: string): Promise<Array<{ name: string; dir: boolean; file: boolean }>> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out = [];
  for (const e of entries) {
    if (hidden(e.name)) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await stat(path.join(dir, e.name)).catch(() => undefined);
      isDir = !!s?.isDirectory();
      isFile = !!s?.isFile();
    }
    out.push({ name: e.name, dir: isDir, file: isFile });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Every `*.md` under `dir`, recursively, in a stable order. A folder with an
 * `index.md` is a Hugo leaf bundle: one issue, the rest of it resources.
 * `_index.md` (a Hugo section page) and hidden files are skipped.
 */
export async function findSources(dir: string): Promise<SourceFile[]> {
  const found: SourceFile[] = [];
  const walk = async (current: string, isRoot: boolean) => {
    const entries = await entriesOf(current);
    if (!isRoot && entries.some((e) => e.file && e.name === 'index.md')) {
      found.push({ path: path.join(current, 'index.md'), bundleDir: current });
      return;
    }
    for (const e of entries) {
      const full = path.join(current, e.name);
      if (e.dir) await walk(full, false);
      else if (e.file && e.name.toLowerCase().endsWith('.md') && e.name !== '_index.md') found.push({ path: full });
    }
  };
  await walk(dir, true);
  return found;
}

/** A bundle's resources: every file under it but its Markdown, relative paths. */
export async function bundleResources(bundleDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string) => {
    for (const e of await entriesOf(current)) {
      const full = path.join(current, e.name);
      if (e.dir) await walk(full);
      else if (e.file && !e.name.toLowerCase().endsWith('.md')) files.push(path.relative(bundleDir, full));
    }
  };
  await walk(bundleDir);
  return files;
}
