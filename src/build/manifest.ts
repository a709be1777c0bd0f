import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../errors.js';

/**
 * What the last build left in one output folder. For each file: the key of
 * what it was made from (see OutputFile's `key`) and the file's identity
 * when it was written; for each folder, the folder's identity. A build that
 * finds a file of the same key and the same identity leaves it alone
 * without making it again. Anything else there (a file edited or replaced,
 * an entry added to a folder) has another identity, and is checked the
 * slow way: made, compared byte for byte, and rewritten if it differs.
 */
export interface FolderManifest {
  /** Relative path -> `<key> <identity>`. */
  files: Record<string, string>;
  /** Relative path of each folder -> identity. */
  dirs: Record<string, string>;
}

const empty = (): FolderManifest => ({ files: {}, dirs: {} });

function isManifest(value: unknown): value is FolderManifest {
  const v = value as FolderManifest;
  return typeof v?.files === 'object' && v.files !== null && typeof v.dirs === 'object' && v.dirs !== null;
}

/**
 * The manifests of one output folder's generations (`build.out` and its
 * spare), in `build.cache`/output, each named by the folder's device and
 * inode, which stay the same when the folder is renamed from spare to
 * output and back.
 */
export class Manifests {
  private readonly prefix: string;

  constructor(
    private readonly dir: string,
    outDir: string,
  ) {
    this.prefix = createHash('sha256').update(path.resolve(outDir)).digest('hex').slice(0, 16);
  }

  private file(folder: string): string | undefined {
    const st = lstatSync(folder, { throwIfNoEntry: false });
    return st?.isDirectory() ? path.join(this.dir, `${this.prefix}-${st.dev}-${st.ino}.json`) : undefined;
  }

  /** The manifest of `folder`, or an empty one (nothing is then trusted). */
  read(folder: string): FolderManifest {
    const file = this.file(folder);
    try {
      const value: unknown = file ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
      return isManifest(value) ? value : empty();
    } catch {
      return empty();
    }
  }

  /** Record `manifest` for `folder`, atomically. */
  write(folder: string, manifest: FolderManifest): void {
    const file = this.file(folder);
    if (!file) return;
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(temp, JSON.stringify(manifest));
      renameSync(temp, file);
    } catch (err) {
      rmSync(temp, { force: true });
      throw fileError(err, 'OUTPUT', 'write the cache (build.cache)', this.dir);
    }
  }

  /** Remove this output's manifests but those of `folders` (only files named as this class names them). */
  keepOnly(folders: string[]): void {
    const keep = new Set(folders.map((f) => this.file(f)).filter((f) => f !== undefined));
    const ours = new RegExp(`^${this.prefix}-\\d+-\\d+\\.json(?:\\.[0-9a-f]{8}\\.tmp)?$`);
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => ours.test(n))) {
      const file = path.join(this.dir, name);
      if (!keep.has(file)) rmSync(file, { force: true });
    }
  }
}
