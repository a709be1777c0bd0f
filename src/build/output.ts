import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { cp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileError, GazetteError } from '../errors.js';
import { fileIdentity as identity, inside } from '../util/files.js';
import { inParallel } from '../util/pool.js';
import { processAlive } from '../util/process.js';
import { type FolderManifest, Manifests } from './manifest.js';

/**
 * A file to put in the output: text to write (or a function that makes it
 * when it is written, so that ten thousand pages are not all held at once;
 * one that returns a promise is written after all the others), or a file
 * to copy.
 *
 * `key`, when given, is a hash of everything the text is made from (its
 * issues' fingerprints, the config, the template, Gazette's code): a build
 * that finds the file it wrote last time under the same key, untouched,
 * does not make the text again. Without one, the text is made and compared.
 */
export type OutputFile = { text: string | (() => string | Promise<string>); key?: string | undefined } | { copyFrom: string };

/**
 * Written into every output folder Gazette makes. A build replaces only a
 * folder that holds it (or an empty one): anything else was not made by
 * Gazette, and is refused, never moved or deleted.
 */
export const OUTPUT_MARKER = '.gazette-output';
const MARKER_TEXT = 'This folder is written by `gazette build`, which replaces it whole on every build.\n';

// The calls before and after the files are written are synchronous: each is small, and the build
// waits for it (a thread-pool round trip each costs more).
async function hasMarker(dir: string): Promise<boolean> {
  try {
    return readFileSync(path.join(dir, OUTPUT_MARKER), 'utf8') === MARKER_TEXT;
  } catch {
    return false;
  }
}

/** Refuse to replace `outDir` unless Gazette made it, or it is empty (or absent). */
async function checkReplaceable(outDir: string): Promise<void> {
  let stats: Stats | undefined;
  try {
    stats = lstatSync(outDir, { throwIfNoEntry: false });
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'read the output folder', outDir);
  }
  if (!stats) return;
  const refuse = (why: string) => {
    throw new GazetteError('OUTPUT', `build.out ${why}; a build replaces its output folder whole, so it must be one Gazette made, or empty`, { file: outDir });
  };
  if (stats.isSymbolicLink()) refuse('is a symbolic link (Gazette never follows a link out of the site folder; name the real folder)');
  if (!stats.isDirectory()) refuse('is a file, not a folder');
  if (readdirSync(outDir).length > 0 && !(await hasMarker(outDir))) {
    refuse(`holds files Gazette did not write (there is no ${OUTPUT_MARKER} in it)`);
  }
}

/** Temporary and old output folders left by a build that was killed: removed if they are Gazette's. */
async function removeLeftovers(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const pattern = new RegExp(`^\\.${path.basename(outDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|old)-(\\d+)-[0-9a-f]{8}$`);
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    // An unreadable parent: nothing of ours to find in it.
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const dir = path.join(parent, name);
    if (await hasMarker(dir)) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Write `files` (relative path -> content) as the new `outDir`, atomically:
 * everything goes into a sibling folder that replaces `outDir` only when
 * all of it is written. On any failure `outDir` is untouched.
 *
 * The replaced output is kept beside it as `.<out>.spare` (it carries the
 * marker), and the next build starts from it: it rewrites only the files
 * whose bytes differ and removes those no longer planned, instead of
 * making every folder and file anew and deleting the old tree. After
 * adding one issue to a thousand, a build writes a few dozen files.
 */
export async function writeOutput(
  outDir: string,
  files: Map<string, OutputFile>,
  options: {
    /** Where to keep the output folders' manifests (`build.cache`/output); without it, every file is made and compared. */
    manifests?: string;
  } = {},
): Promise<void> {
  const manifests = options.manifests ? new Manifests(options.manifests, outDir) : undefined;
  await checkReplaceable(outDir);
  // A planned path that would leave the folder is refused before anything is written, naming the folder.
  for (const planned of files.keys()) if (!plainRelative(planned)) safeJoin(outDir, planned);
  await removeLeftovers(outDir);
  const parent = path.dirname(outDir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = path.join(parent, `.${path.basename(outDir)}.tmp-${tag}`);
  const old = path.join(parent, `.${path.basename(outDir)}.old-${tag}`);
  const spare = path.join(parent, `.${path.basename(outDir)}.spare`);
  /** Whether the folder the output is written into was just made (no spare to start from). */
  let fresh = false;
  try {
    // Claim the spare (only a real folder with the marker: anything else there is not Gazette's,
    // and is left alone) by renaming it: of two builds at once, one gets it, the other starts afresh.
    const spareStat = lstatSync(spare, { throwIfNoEntry: false });
    const claimed = spareStat?.isDirectory() === true && (await hasMarker(spare)) && renamed(spare, temp);
    if (!claimed) {
      mkdirSync(temp, { recursive: true });
      writeFileSync(path.join(temp, OUTPUT_MARKER), MARKER_TEXT);
      fresh = true;
    }
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
  try {
    const manifest = await syncFolder(temp, files, manifests?.read(temp) ?? { files: {}, dirs: {} }, fresh);
    manifests?.write(temp, manifest);
    let hadOld = true;
    try {
      renameSync(outDir, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      hadOld = false;
    }
    try {
      renameSync(temp, outDir);
    } catch (err) {
      if (hadOld) await rename(old, outDir);
      throw err;
    }
    // The replaced output is the next build's starting point, unless something else is in its place.
    if (hadOld) {
      if (lstatSync(spare, { throwIfNoEntry: false })) await rm(old, { recursive: true, force: true });
      else if (!renamed(old, spare)) await rm(old, { recursive: true, force: true });
    }
    manifests?.keepOnly([outDir, spare]);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
}

/** Rename, true when done (another build may have taken `from` first). */
function renamed(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch {
    return false;
  }
}

/**
 * Make `dir` (a folder Gazette made) hold exactly `files` and its marker:
 * a file whose bytes already match is left alone; any other is replaced by
 * a new file (never written through: it may share its inode with a file of
 * the live output), and whatever is not planned is removed. With the
 * folder's manifest from the last build, a file whose key and identity are
 * as recorded is not even made (its page not rendered, nor read back), and
 * a folder whose identity is as recorded is not listed. Returns the
 * folder's new manifest.
 */
async function syncFolder(dir: string, files: Map<string, OutputFile>, before: FolderManifest, fresh: boolean): Promise<FolderManifest> {
  const after: FolderManifest = { files: {}, dirs: {} };
  /**
   * In a folder just made (`fresh`: holding only the marker), nothing is there to look at but what
   * this sync made: a cold build asks nothing of the file system for its two thousand paths.
   */
  const made = new Set<string>();
  const existing = (rel: string, full: string) => (fresh && !made.has(rel) ? undefined : lstatSync(full, { throwIfNoEntry: false }));
  const wanted = new Set<string>(['', OUTPUT_MARKER]);
  /** Folders (relative, '' for `dir`) whose entries may differ from what the manifest lists. */
  const unlisted = new Set<string>(['']);
  /** Folders whose entries this sync changed: their identity is taken again at the end. */
  const touched = new Set<string>();
  const seen = new Map<string, Stats | undefined>();
  const touch = (rel: string) => touched.add(parentOf(rel));
  const ensureDir = (rel: string) => {
    if (rel === '' || seen.has(rel)) return;
    ensureDir(parentOf(rel));
    wanted.add(rel);
    const full = path.join(dir, rel);
    let st = existing(rel, full);
    if (st && !st.isDirectory()) rmSync(full);
    if (!st?.isDirectory()) {
      mkdirSync(full);
      made.add(rel);
      touch(rel);
      touched.add(rel);
      st = undefined;
    } else if (before.dirs[rel] !== identity(st)) unlisted.add(rel);
    seen.set(rel, st);
  };
  const copies: Array<[string, string, string]> = [];
  const later: Array<{ rel: string; target: string; key: string | undefined; text: Promise<string> }> = [];
  /** Write `text` at `target` unless its bytes are there already. */
  const writeText = (rel: string, target: string, st: Stats | undefined, key: string | undefined, text: string) => {
    const bytes = Buffer.from(text);
    const same = st?.isFile() && st.size === bytes.length && readFileSync(target).equals(bytes);
    if (!same) {
      if (st) rmSync(target, { recursive: true, force: true });
      writeFileSync(target, bytes);
      made.add(rel);
      touch(rel);
    }
    after.files[rel] = `${key ?? UNKEYED} ${identity(same ? st! : lstatSync(target))}`;
  };
  for (const [planned, file] of files) {
    // A plain relative path (the common case) is inside `dir` as it is; anything else is resolved and checked.
    const plain = plainRelative(planned);
    const target = plain ? `${dir}${path.sep}${planned.split('/').join(path.sep)}` : safeJoin(dir, planned);
    const rel = plain ? planned : path.relative(dir, target).split(path.sep).join('/');
    ensureDir(parentOf(rel));
    wanted.add(rel);
    const st = existing(rel, target);
    const key = 'text' in file ? file.key : `copy ${file.copyFrom} ${identityOf(file.copyFrom)}`;
    const recorded = before.files[rel];
    if (key !== undefined && st?.isFile() && recorded === `${key} ${identity(st)}`) {
      after.files[rel] = recorded;
      continue;
    }
    if ('text' in file) {
      const text = typeof file.text === 'function' ? file.text() : file.text;
      if (typeof text === 'string') writeText(rel, target, st, key, text);
      else {
        // Awaited below; until then a failure must not count as unhandled.
        text.catch(() => undefined);
        later.push({ rel, target, key, text });
      }
    } else {
      if (st) rmSync(target, { recursive: true, force: true });
      made.add(rel);
      touch(rel);
      copies.push([file.copyFrom, target, `${key} `]);
    }
  }
  await inParallel(copies, 32, async ([from, target, key]) => {
    await cp(from, target, { dereference: true });
    after.files[path.relative(dir, target).split(path.sep).join('/')] = `${key}${identity(lstatSync(target))}`;
  });
  for (const { rel, target, key, text } of later) writeText(rel, target, existing(rel, target), key, await text);
  // Remove what is no longer planned (a deleted issue's folder, an old email): what the manifest
  // lists, and whatever else is in a folder that has changed since it was listed.
  for (const rel of [...Object.keys(before.files), ...Object.keys(before.dirs)]) {
    // A manifest is read from the cache folder: a name in it that is not a plain path inside this
    // folder (a damaged or forged manifest) names nothing to remove.
    if (!plainRelative(rel)) continue;
    if (!wanted.has(rel) && wanted.has(parentOf(rel))) {
      rmSync(path.join(dir, rel), { recursive: true, force: true });
      touch(rel);
    }
  }
  for (const folder of unlisted) {
    for (const name of readdirSync(path.join(dir, folder))) {
      const rel = folder ? `${folder}/${name}` : name;
      if (!wanted.has(rel)) {
        rmSync(path.join(dir, rel), { recursive: true, force: true });
        touch(rel);
      }
    }
  }
  for (const [rel, st] of seen) {
    after.dirs[rel] = identity(touched.has(rel) || !st ? lstatSync(path.join(dir, rel)) : st);
  }
  return after;
}

/** The key of a file planned without one: it lists the file, and matches no key. */
const UNKEYED = '-';

/** The identity of a file to copy (followed if it is a link: the walker allows only links inside the site). */
function identityOf(file: string): string {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? identity(st) : 'missing';
}

/** `a/b/c`: no empty, `.` or `..` segment, no leading `/`, no backslash. */
function plainRelative(rel: string): boolean {
  return rel.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\\'));
}

/** The folder of a relative output path ('' for the top). */
function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** Join a relative output path under `root`, refusing anything that would escape it. */
export function safeJoin(root: string, rel: string): string {
  const target = path.resolve(root, rel);
  if (target === path.resolve(root) || !inside(root, target)) {
    throw new GazetteError('OUTPUT', `output path ${JSON.stringify(rel)} is outside the output folder`, { file: root });
  }
  return target;
}

/**
 * Gazette before 0.3 wrote the send outbox into `build.out` (`out/outbox/`),
 * where it was uploaded with the site. A build moves it beside the
 * database (`to`), or removes it when one is there already: it is
 * Gazette's own, and never published.
 */
export async function retireOutboxInOutput(outDir: string, name: string, to: string): Promise<void> {
  const legacy = path.join(outDir, name);
  let found: Stats | undefined;
  try {
    found = lstatSync(legacy, { throwIfNoEntry: false });
  } catch {
    // build.out is not a folder (ENOTDIR): writing the output says so.
    return;
  }
  if (!found?.isDirectory() || !(await hasMarker(outDir))) return;
  try {
    if (!lstatSync(to, { throwIfNoEntry: false })) {
      mkdirSync(path.dirname(to), { recursive: true });
      renameSync(legacy, to);
      chmodSync(to, 0o700);
      return;
    }
  } catch {
    // Another file system, or no room: it is removed below all the same.
  }
  await rm(legacy, { recursive: true, force: true });
}
