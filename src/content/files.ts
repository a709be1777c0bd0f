import path from 'node:path';
import { filesUnder, type Walker } from '../util/files.js';

export interface SourceFile {
  /** Absolute path of the Markdown file. */
  path: string;
  /** Set for a leaf bundle's `index.md`: the bundle's folder. */
  bundleDir?: string;
}

/**
 * Every `*.md` under `dir`, recursively, in a stable order. A folder with an
 * `index.md` is a Hugo leaf bundle: one issue, the rest of it resources.
 * `_index.md` (a Hugo section page) and hidden files are skipped.
 */
export async function findSources(walker: Walker, dir: string): Promise<SourceFile[]> {
  const found: SourceFile[] = [];
  const walk = async (current: string, isRoot: boolean) => {
    const entries = await walker.entries(current);
    if (!isRoot && entries.some((e) => e.file && e.name === 'index.md')) {
      found.push({ path: path.join(current, 'index.md'), bundleDir: current });
      return;
    }
    for (const e of entries) {
      if (e.dir) await walk(e.path, false);
      else if (e.name.toLowerCase().endsWith('.md') && e.name !== '_index.md') found.push({ path: e.path });
    }
  };
  await walk(dir, true);
  return found;
}

/** A bundle's resources: every file under it but its Markdown, relative paths. */
export function bundleResources(walker: Walker, bundleDir: string): Promise<string[]> {
  return filesUnder(walker, bundleDir, (e) => !e.name.toLowerCase().endsWith('.md'));
}
