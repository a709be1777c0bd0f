import { randomBytes } from 'node:crypto';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileError, GazetteError } from '../errors.js';
import { inParallel } from '../util/pool.js';

/** A file to put in the output: text to write, or a file to copy. */
export type OutputFile = { text: string } | { copyFrom: string };

/**
 * Write `files` (relative path -> content) as the new `outDir`, atomically:
 * everything goes into a temporary sibling folder that replaces `outDir`
 * only when all of it is written. On any failure `outDir` is untouched.
 */
export async function writeOutput(outDir: string, files: Map<string, OutputFile>, keep: readonly string[] = []): Promise<void> {
  const parent = path.dirname(outDir);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = path.join(parent, `.${path.basename(outDir)}.tmp-${tag}`);
  const old = path.join(parent, `.${path.basename(outDir)}.old-${tag}`);
  try {
    await mkdir(temp, { recursive: true });
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
  try {
    const targets = [...files].map(([rel, file]) => [safeJoin(temp, rel), file] as const);
    await inParallel([...new Set(targets.map(([target]) => path.dirname(target)))], 32, (dir) => mkdir(dir, { recursive: true }).then(() => undefined));
    await inParallel(targets, 32, async ([target, file]) => {
      if ('text' in file) await writeFile(target, file.text);
      else await cp(file.copyFrom, target, { dereference: true });
    });
    // Folders that are not build output (the send outbox) move into the new output.
    for (const name of keep) {
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
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    for (const name of keep) await rename(path.join(temp, name), path.join(outDir, name)).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw fileError(err, 'OUTPUT', 'write the output folder', outDir);
  }
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
