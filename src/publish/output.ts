import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileError, GazetteError } from '../errors.js';
import { inParallel } from '../util/pool.js';
import { processAlive } from '../util/process.js';

/**
 * A file to put in the output: text to write (or a function that makes it
 * when it is written, so that ten thousand pages are not all held at once),
 * or a file to copy.
 */
export type OutputFile = { text: string | (() => string) } | { copyFrom: string };

/**
 * Written into every output folder Gazette makes. A build replaces only a
 * folder that holds it (or an empty one): anything else was not made by
 * Gazette, and is refused, never moved or deleted.
 */
export const OUTPUT_MARKER = '.gazette-output';
const MARKER_TEXT = 'This folder is written by `gazette build`, which replaces it whole on every build.\n';

async function hasMarker(dir: string): Promise<boolean> {
  return readFile(path.join(dir, OUTPUT_MARKER), 'utf8').then(
    (text) => text === MARKER_TEXT,
    () => false,
  );
}

/**
 * Make `outDir` if it does not exist yet, with the marker, so that the next
 * build may replace it (`send` writes its outbox there before any build).
 */
export async function ensureOutputFolder(outDir: string): Promise<void> {
  await checkReplaceable(outDir);
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, OUTPUT_MARKER), MARKER_TEXT);
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'make the output folder', outDir);
  }
}

/** Refuse to replace `outDir` unless Gazette made it, or it is empty (or absent). */
async function checkReplaceable(outDir: string): Promise<void> {
  const stats = await lstat(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw fileError(err, 'OUTPUT', 'read the output folder', outDir);
  });
  if (!stats) return;
  const refuse = (why: string) => {
    throw new GazetteError('OUTPUT', `build.out ${why}; a build replaces its output folder whole, so it must be one Gazette made, or empty`, { file: outDir });
  };
  if (stats.isSymbolicLink()) refuse('is a symbolic link (Gazette never follows a link out of the site folder; name the real folder)');
  if (!stats.isDirectory()) refuse('is a file, not a folder');
  if ((await readdir(outDir)).length > 0 && !(await hasMarker(outDir))) {
    refuse(`holds files Gazette did not write (there is no ${OUTPUT_MARKER} in it)`);
  }
}

/** Temporary and old output folders left by a build that was killed: removed if they are Gazette's. */
async function removeLeftovers(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const pattern = new RegExp(`^\\.${path.basename(outDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(?:tmp|old)-(\\d+)-[0-9a-f]{8}$`);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
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
export async function writeOutput(outDir: string, files: Map<string, OutputFile>, keep: readonly string[] = []): Promise<void> {
  await checkReplaceable(outDir);
  await removeLeftovers(outDir);
  const parent = path.dirname(outDir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = path.join(parent, `.${path.basename(outDir)}.tmp-${tag}`);
  const old = path.join(parent, `.${path.basename(outDir)}.old-${tag}`);
  const spare = path.join(parent, `.${path.basename(outDir)}.spare`);
  try {
    // Claim the spare (only a real folder with the marker: anything else there is not Gazette's,
    // and is left alone) by renaming it: of two builds at once, one gets it, the other starts afresh.
    const spareStat = await lstat(spare).catch(() => undefined);
    const claimed =
      spareStat?.isDirectory() === true &&
      (await hasMarker(spare)) &&
      (await rename(spare, temp).then(
        () => true,
        () => false,
      ));
    if (!claimed) {
      await mkdir(temp, { recursive: true });
      await writeFile(path.join(temp, OUTPUT_MARKER), MARKER_TEXT);
    }
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
  try {
    await syncFolder(temp, files);
    // Folders that are not build output (the send outbox) move into the new output.
    for (const name of keep) {
      await rm(path.join(temp, name), { recursive: true, force: true });
      await rename(path.join(outDir, name), path.join(temp, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    let hadOld = true;
    try {
      await rename(outDir, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      hadOld = false;
    }
    try {
      await rename(temp, outDir);
    } catch (err) {
      if (hadOld) {
        await rename(old, outDir);
        for (const name of keep) await rename(path.join(temp, name), path.join(outDir, name)).catch(() => undefined);
      }
      throw err;
    }
    // The replaced output is the next build's starting point, unless something else is in its place.
    if (hadOld) {
      const taken = await lstat(spare).then(
        () => true,
        () => false,
      );
      if (taken) await rm(old, { recursive: true, force: true });
      else await rename(old, spare).catch(() => rm(old, { recursive: true, force: true }));
    }
  } catch (err) {
    for (const name of keep) await rename(path.join(temp, name), path.join(outDir, name)).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
}

/**
 * Make `dir` (a folder Gazette made) hold exactly `files` and its marker:
 * a file whose bytes already match is left alone; any other is replaced by
 * a new file (never written through: it may share its inode with a file of
 * the live output), and whatever is not planned is removed.
 */
async function syncFolder(dir: string, files: Map<string, OutputFile>): Promise<void> {
  const wanted = new Set<string>([OUTPUT_MARKER]);
  const made = new Set<string>();
  const ensureDir = (folder: string) => {
    if (made.has(folder) || folder === dir) return;
    ensureDir(path.dirname(folder));
    const st = lstatSync(folder, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) rmSync(folder, { force: true });
    if (!st?.isDirectory()) mkdirSync(folder);
    made.add(folder);
  };
  const copies: Array<[string, string]> = [];
  for (const [rel, file] of files) {
    const target = safeJoin(dir, rel);
    for (let d = path.dirname(rel); d !== '.' && d !== '/'; d = path.dirname(d)) wanted.add(d);
    wanted.add(rel);
    ensureDir(path.dirname(target));
    const st = lstatSync(target, { throwIfNoEntry: false });
    if ('text' in file) {
      const bytes = Buffer.from(typeof file.text === 'function' ? file.text() : file.text);
      if (st?.isFile() && st.size === bytes.length && readFileSync(target).equals(bytes)) continue;
      if (st) rmSync(target, { recursive: true, force: true });
      writeFileSync(target, bytes);
    } else {
      if (st) rmSync(target, { recursive: true, force: true });
      copies.push([file.copyFrom, target]);
    }
  }
  await inParallel(copies, 32, ([from, target]) => cp(from, target, { dereference: true }));
  // Remove what is no longer planned (a deleted issue's folder, an old email).
  const prune = (folder: string, rel: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(folder, entry.name);
      if (!wanted.has(relPath)) rmSync(full, { recursive: true, force: true });
      else if (entry.isDirectory()) prune(full, relPath);
    }
  };
  prune(dir, '');
}

/** Join a relative output path under `root`, refusing anything that would escape it. */
export function safeJoin(root: string, rel: string): string {
  const target = path.resolve(root, rel);
  const back = path.relative(root, target);
  if (back === '' || back.startsWith('..') || path.isAbsolute(back)) {
    throw new GazetteError('OUTPUT', `output path ${JSON.stringify(rel)} is outside the output folder`, { file: root });
  }
  return target;
}
