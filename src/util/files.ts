import { readdirSync, realpathSync, type Stats, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A file's or folder's identity: device, inode, size, and the modification
 * and change times. Writing a file (or an entry of a folder) changes them,
 * and the change time cannot be set back by anyone but the kernel.
 */
export function fileIdentity(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/**
 * Walking the author's folders (content, static files, bundles) safely: a
 * symbolic link is followed only when its target lies inside the site
 * folder, so no file from elsewhere (`/etc/passwd`, a CI secret) is ever
 * published, and a folder already visited is not entered again, so links
 * that point at each other cannot make a walk endless. Hidden names
 * (starting with `.`) are skipped.
 */
export interface Entry {
  name: string;
  /** The path under the folder walked (not the link's target). */
  path: string;
  dir: boolean;
  file: boolean;
}

export interface Walker {
  /** The visible entries of `dir`, sorted by name; links resolved as described above. */
  entries(dir: string): Promise<Entry[]>;
  /** Links that were not followed, one line each (for warnings). */
  skipped: string[];
}

/** Whether `child` is `parent` or lies under it (a name that only starts with two dots, `..a`, is under it). */
export const inside = (parent: string, child: string): boolean => {
  const rel = path.relative(parent, child);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
};

/**
 * What a walk never yields, whatever path reaches it: Gazette's own private
 * files and folders (the subscriber database, its secret, the config, the
 * cache, the outbox). Checked by real path, and for a file about to be
 * published by its inode too, which a hard link shares.
 */
export interface Guard {
  /** Why the file or folder at `real` (a real path; its stats, when known) is never published; undefined when it may be. */
  refuses(real: string | undefined, st?: Stats): string | undefined;
}

const guards = new WeakMap<object, Guard>();

/** The guard for a config's `neverPublished` (made once per config). */
export function guardOf(never: { files: readonly string[]; folders: readonly string[] }): Guard {
  let guard = guards.get(never);
  if (guard) return guard;
  const real = (p: string) => realOrNot(p) ?? path.join(realOrNot(path.dirname(p)) ?? path.dirname(p), path.basename(p));
  const files = new Set(never.files.map(real));
  const folders = never.folders.map(real);
  const underFolder = (p: string) => folders.some((folder) => p === folder || p.startsWith(folder + path.sep));
  const inodes = new Set<string>();
  for (const f of never.files) {
    const st = statSync(f, { throwIfNoEntry: false });
    if (st?.isFile()) inodes.add(`${st.dev}:${st.ino}`);
  }
  guard = {
    refuses(realPath, st) {
      if (realPath !== undefined && (files.has(realPath) || underFolder(realPath))) return 'private to Gazette';
      if (st?.isFile() && inodes.has(`${st.dev}:${st.ino}`)) return 'private to Gazette (the same file by a hard link)';
      return undefined;
    },
  };
  guards.set(never, guard);
  return guard;
}

const NEVER_PUBLISHED = 'the subscriber database, its secret, the config, the cache or the outbox';

/** A walker confined to `root` (the site folder), never yielding what `guard` refuses. */
export async function createWalker(root: string, guard?: Guard): Promise<Walker> {
  // Synchronous calls: a walk is many small ones that a build waits for (a thread-pool round trip each costs more).
  const realRoot = realOrNot(root) ?? path.resolve(root);
  const visited = new Set<string>();
  const skipped: string[] = [];
  return {
    skipped,
    async entries(dir) {
      const real = realOrNot(dir) ?? dir;
      if (visited.has(real)) return [];
      visited.add(real);
      const out: Entry[] = [];
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue;
        const full = path.join(dir, e.name);
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        if (e.isSymbolicLink()) {
          const target = realOrNot(full);
          if (!target || !inside(realRoot, target)) {
            skipped.push(`${full}: a link to ${target ?? 'nothing'}, outside the site folder; not followed, not published`);
            continue;
          }
          const s = statSync(target);
          if (guard?.refuses(target, s)) {
            skipped.push(`${full}: a link to ${target}, which is ${NEVER_PUBLISHED}; not followed, never published`);
            continue;
          }
          if (s.isDirectory() && visited.has(target)) continue;
          isDir = s.isDirectory();
          isFile = s.isFile();
        } else if (guard && (isDir || isFile) && guard.refuses(path.join(real, e.name))) {
          skipped.push(`${full}: ${isDir ? 'a folder' : 'a file'} that is ${NEVER_PUBLISHED}; never published`);
          continue;
        }
        if (isDir || isFile) out.push({ name: e.name, path: full, dir: isDir, file: isFile });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
}

/** A path's real path, or undefined if it cannot be resolved. */
function realOrNot(file: string): string | undefined {
  try {
    return realpathSync.native(file);
  } catch {
    return undefined;
  }
}

/** Every file under `dir` (relative paths), walked with `walker`. */
export async function filesUnder(walker: Walker, dir: string, keep: (entry: Entry) => boolean = () => true): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string) => {
    for (const e of await walker.entries(current)) {
      if (e.dir) await walk(e.path);
      else if (keep(e)) files.push(path.relative(dir, e.path));
    }
  };
  await walk(dir);
  return files;
}

/**
 * Whether a file about to be published (copied into the output, or read as
 * a template that every page shows) may be: a warning naming it when it is
 * one of Gazette's private files, by a link or another name (a hard link).
 */
export function publishable(guard: Guard, file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  return st && guard.refuses(realOrNot(file), st) ? `${file}: the same file as ${NEVER_PUBLISHED}; never published` : undefined;
}
