import { createReadStream, readFileSync } from 'node:fs';
import { type ErrorCode, GazetteError } from '../errors.js';

/**
 * Read a file the user named (a config, a template, a CSV, a key). Failing
 * to is one clear error with `code`, naming the file: `missing` when it
 * does not exist, else `cannot read <what>: <reason>`.
 */
export async function readUserFile(file: string, code: ErrorCode, what: string, missing: string): Promise<Buffer> {
  try {
    // Synchronous: a small file, read where a build waits for it (a thread-pool round trip costs more).
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code;
    throw new GazetteError(code, reason === 'ENOENT' ? missing : `cannot read ${what}: ${(err as Error).message}`, { file });
  }
}

/**
 * Read a text file the user named, chunk by chunk: UTF-8, or UTF-16 with a
 * byte-order mark (Excel's "Unicode text"). A byte that is not valid text
 * is an error naming the file; so is a file that cannot be read.
 */
export async function* readUserText(file: string, code: ErrorCode, what: string, missing: string, encodingHint: string): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      if (!decoder) {
        const utf16 = chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : chunk[0] === 0xfe && chunk[1] === 0xff ? 'utf-16be' : undefined;
        decoder = new TextDecoder(utf16 ?? 'utf-8', { fatal: true });
      }
      yield decode(decoder, chunk, file, code, encodingHint);
    }
    if (decoder) yield decode(decoder, undefined, file, code, encodingHint);
  } catch (err) {
    if (err instanceof GazetteError) throw err;
    const reason = (err as NodeJS.ErrnoException).code;
    throw new GazetteError(code, reason === 'ENOENT' ? missing : `cannot read ${what}: ${(err as Error).message}`, { file });
  }
}

function decode(decoder: TextDecoder, chunk: Buffer | undefined, file: string, code: ErrorCode, hint: string): string {
  try {
    return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
  } catch {
    throw new GazetteError(code, `not valid ${decoder.encoding === 'utf-8' ? 'UTF-8' : 'UTF-16'} text (${hint})`, { file });
  }
}
