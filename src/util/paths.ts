import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GazetteError } from '../errors.js';

/** A path as the user would like to read it: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * Read a file the user named (a config, a template, a CSV, a key). Failing
 * to is one clear error naming the file: `missing` when it does not exist,
 * else `cannot read <what>: <reason>`.
 */
export async function readUserFile(file: string, what: string, missing: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GazetteError(code === 'ENOENT' ? missing : `cannot read ${what}: ${(err as Error).message}`, { file: displayPath(file) });
  }
}
