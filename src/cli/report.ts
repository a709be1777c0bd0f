import { writeSync } from 'node:fs';
import path from 'node:path';
import { EXIT, exitCodeOf, GazetteError, GazetteErrors } from '../errors.js';

/**
 * Where the CLI prints, and how: the only place paths are shortened for
 * people and errors become exit codes. The core works with absolute paths.
 */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether standard output is gone (`gazette subscribers list | head`): a command printing many lines stops. */
  closed?: () => boolean;
  /** Whether standard output is a terminal (a person reads it) rather than a pipe or a file (a program does). */
  terminal?: boolean;
}

/** `1 issue`, `3 issues`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Descriptors whose reader has gone (EPIPE): written to no more. */
const gone = new Set<number>();

/**
 * Write to a standard descriptor synchronously, so that a reader that
 * leaves (`| head`) is an EPIPE here, not an unhandled stream error later:
 * the rest of the output is dropped, quietly.
 */
function writeLine(fd: 1 | 2, text: string): void {
  if (gone.has(fd)) return;
  let bytes = Buffer.from(text);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking pipe that is full: wait a moment for the reader.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EPIPE') {
        gone.add(fd);
        return;
      }
      throw err;
    }
  }
}

export const processIo: Io = {
  out: (line) => writeLine(1, `${line}\n`),
  err: (line) => writeLine(2, `${line}\n`),
  closed: () => gone.has(1),
  terminal: Boolean(process.stdout.isTTY),
};

/** A path as the user would like to read it: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Text with every absolute path inside the working folder shortened to a relative one. */
export function displayPaths(text: string): string {
  return text.split(process.cwd() + path.sep).join('');
}

export function printWarnings(io: Io, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`warning: ${displayPaths(w)}`);
}

/**
 * Print an error, one line per problem, and return the exit code: 1 for a
 * user's mistake (a GazetteError), 2 for anything else, which is a bug;
 * its stack only with GAZETTE_DEBUG set.
 */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof GazetteErrors) {
    for (const p of err.problems) io.err(`error: ${displayPaths(p.format(displayPath))}`);
    io.err(`gazette: ${displayPaths(err.message)}`);
  } else if (err instanceof GazetteError) {
    io.err(`error: ${displayPaths(err.format(displayPath))}`);
  } else {
    const e = err as NodeJS.ErrnoException;
    const where = e?.path;
    io.err(
      `error: ${e?.code ? `${e.code}: ` : ''}${String(e?.message ?? e).split('\n')[0]}${where && !String(e?.message).includes(where) ? ` (${where})` : ''}`,
    );
    if (process.env.GAZETTE_DEBUG) io.err(String(e?.stack ?? ''));
  }
  return exitCodeOf(err);
}

/** Resolves on the first Ctrl-C or SIGTERM (for the commands that serve until stopped). */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export { EXIT };
