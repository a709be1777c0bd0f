import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { GazetteError, isGazetteError } from '../../../src/errors.js';
import { loadSecret } from '../../../src/tokens/index.js';

/**
 * The secret kept beside a SQLite list, read and made in this process: what
 * a file must hold to be used, what is made when there is none, and a
 * second process that makes it between this one's read and its link (the
 * link fails on purpose here, through a mocked `node:fs`).
 */

const race = vi.hoisted(() => ({ before: undefined as ((file: string) => void) | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    linkSync: (from: string, to: string) => {
      race.before?.(String(to));
      return real.linkSync(from, to);
    },
  };
});

const HEX = 'a1'.repeat(32);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gazette-secret-'));
  return () => {
    race.before = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
});

const configFor = (file: string | undefined, given = false) => ({
  tokenSecret: undefined,
  subscribers: { secret: file, secretGiven: given },
});
type SecretConfig = Parameters<typeof loadSecret>[0];
const load = (file: string | undefined, given = false) => loadSecret(configFor(file, given) as unknown as SecretConfig);

/** The error `work` throws: its code, message and file, or what went wrong instead. */
function failure(work: () => unknown): { code: string; message: string; file?: string } {
  try {
    work();
  } catch (err) {
    if (isGazetteError(err) && err instanceof GazetteError)
      return { code: err.code, message: err.message, ...(err.place.file ? { file: err.place.file } : {}) };
    return { code: `not a GazetteError: ${String(err)}`, message: '' };
  }
  return { code: 'nothing thrown', message: '' };
}

describe('the secret file', () => {
  it('GAZETTE_SECRET is used as it is, and no file is read or made', () => {
    const file = path.join(dir, 'gazette.secret');
    const config = { tokenSecret: 'a-secret-of-the-environment', subscribers: { secret: file, secretGiven: false } } as unknown as SecretConfig;
    expect(loadSecret(config).toString('utf8')).toBe('a-secret-of-the-environment');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is made when there is none: 64 hex digits and a newline, mode 0600, its folder made, nothing else left; read back the same', () => {
    const file = path.join(dir, 'data', 'gazette.secret');
    const made = load(file);
    expect(made).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toBe(`${made.toString('hex')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['gazette.secret']);
    expect(load(file).equals(made)).toBe(true);
    // Two new lists, two different secrets.
    expect(load(path.join(dir, 'other', 'gazette.secret')).equals(made)).toBe(false);
  });

  it('is read with the space round it trimmed, in either case of hex digit', () => {
    const file = path.join(dir, 'gazette.secret');
    writeFileSync(file, `\n  ${HEX}  \n`);
    expect(load(file).toString('hex')).toBe(HEX);
  });

  it.each([
    ['empty', ''],
    ['blank', '  \n'],
    ['text before it', `x${HEX}`],
    ['text after it', `${HEX}x`],
    ['a digit short', HEX.slice(1)],
    ['a digit more', `${HEX}0`],
    ['not hex', 'g'.repeat(64)],
    ['two secrets', `${HEX}\n${HEX}`],
  ])('is refused, never used or replaced, when it is %s', (_, text) => {
    const file = path.join(dir, 'gazette.secret');
    writeFileSync(file, text);
    const refused = failure(() => load(file));
    expect(refused).toMatchObject({ code: 'SECRET', file });
    expect(refused.message).toMatch(/^the unsubscribe secret is empty or damaged \(it should be 64 hex digits\)/);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a folder where the secret should be is an error naming it, never replaced', () => {
    const file = path.join(dir, 'gazette.secret');
    mkdirSync(file);
    expect(failure(() => load(file))).toMatchObject({ code: 'SECRET', message: expect.stringMatching(/^cannot read the secret: EISDIR/), file });
    expect(statSync(file).isDirectory()).toBe(true);
  });

  it('GAZETTE_SECRET_FILE naming no file is an error, and nothing is made there', () => {
    const file = path.join(dir, 'copied.secret');
    expect(failure(() => load(file, true))).toMatchObject({ code: 'SECRET', message: expect.stringMatching(/^GAZETTE_SECRET_FILE names no file/), file });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a list on PostgreSQL has no file: the error says to set GAZETTE_SECRET', () => {
    expect(failure(() => load(undefined))).toMatchObject({ code: 'SECRET', message: expect.stringContaining('GAZETTE_SECRET') });
  });

  it('made by another process between the read and the link: theirs is used, this one’s discarded', () => {
    const file = path.join(dir, 'gazette.secret');
    race.before = (to) => {
      if (to === file) writeFileSync(file, `${HEX}\n`, { mode: 0o600 });
    };
    expect(load(file).toString('hex')).toBe(HEX);
    expect(readFileSync(file, 'utf8')).toBe(`${HEX}\n`);
    expect(readdirSync(dir)).toEqual(['gazette.secret']);
  });

  it('another process’s damaged secret, made in that moment, is refused too', () => {
    const file = path.join(dir, 'gazette.secret');
    race.before = (to) => {
      if (to === file) writeFileSync(file, '');
    };
    expect(failure(() => load(file))).toMatchObject({ code: 'SECRET', file });
  });

  it('a folder that cannot be written is an error naming the file, not a stack', () => {
    const file = path.join(dir, 'gazette.secret');
    race.before = () => {
      throw Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
    };
    expect(failure(() => load(file))).toMatchObject({ code: 'SECRET', message: 'cannot write the secret: EACCES: injected', file });
    expect(readdirSync(dir)).toEqual([]);
  });
});
