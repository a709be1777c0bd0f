import { GazetteError, GazetteErrors } from '../errors.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `1 issue`, `3 issues`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Print an error the user can act on, one line per problem, and return the
 * exit code. Anything unexpected is one line too; its stack only with
 * GAZETTE_DEBUG=1.
 */
export function reportError(err: unknown, io: Io): number {
  if (err instanceof GazetteErrors) {
    for (const p of err.problems) io.err(`error: ${p.format()}`);
    io.err(`gazette: ${err.message}`);
    return 1;
  }
  if (err instanceof GazetteError) {
    io.err(`error: ${err.format()}`);
    return 1;
  }
  const e = err as Error;
  const code = (e as NodeJS.ErrnoException)?.code;
  const where = (e as NodeJS.ErrnoException)?.path;
  io.err(`error: ${code ? `${code}: ` : ''}${String(e?.message ?? e).split('\n')[0]}${where && !String(e?.message).includes(where) ? ` (${where})` : ''}`);
  if (process.env.GAZETTE_DEBUG) io.err(String(e?.stack ?? ''));
  return 2;
}
