import type * as fs from 'node:fs';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type OutputFile, writeOutput } from '../../../src/build/output.js';
import { failure } from '../../helpers/expect.js';
import { makeSite } from '../../helpers/site.js';

/** Faults the file system raises on purpose: a rename or a mkdir that fails when `fails` says so. */
const faults = vi.hoisted(() => ({
  rename: undefined as ((from: string, to: string) => boolean) | undefined,
  mkdir: undefined as ((dir: string) => boolean) | undefined,
}));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const error = (code: string, p: string) => Object.assign(new Error(`${code}: injected, ${p}`), { code, path: p });
  return {
    ...real,
    renameSync: (from: string, to: string) => {
      if (faults.rename?.(from, to)) throw error('EXDEV', to);
      return real.renameSync(from, to);
    },
    mkdirSync: (dir: string, options?: fs.MakeDirectoryOptions) => {
      if (faults.mkdir?.(dir)) throw error('EACCES', dir);
      return real.mkdirSync(dir, options);
    },
  };
});

afterEach(() => {
  faults.rename = undefined;
  faults.mkdir = undefined;
});

const page = (text: string) => new Map<string, OutputFile>([['index.html', { text }]]);
const siblings = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.out'));

describe('writing the output folder when the file system fails', () => {
  it('puts the last output back when the new one cannot take its place', async () => {
    const dir = realpathSync(await makeSite({}));
    const out = path.join(dir, 'out');
    await writeOutput(out, page('one'));
    faults.rename = (from, to) => from.includes('.out.tmp-') && to === out;
    const err = await failure(writeOutput(out, page('two')));
    expect(err.message).toBe('cannot write the output folder: EXDEV: injected');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toBe('one');
    expect(siblings(dir)).toEqual([]);
  });

  it('cannot move the last output aside: names that fault, and the last output stays as it was', async () => {
    const dir = realpathSync(await makeSite({}));
    const out = path.join(dir, 'out');
    await writeOutput(out, page('one'));
    faults.rename = (from, to) => from === out && to.includes('.out.old-');
    const err = await failure(writeOutput(out, page('two')));
    expect(err.message).toBe('cannot write the output folder: EXDEV: injected');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toBe('one');
    expect(siblings(dir)).toEqual([]);
  });

  it('names the fault itself when the first output cannot take its place (there is no last output to put back)', async () => {
    const dir = realpathSync(await makeSite({}));
    const out = path.join(dir, 'out');
    faults.rename = (from, to) => from.includes('.out.tmp-') && to === out;
    const err = await failure(writeOutput(out, page('one')));
    expect(err.message).toBe('cannot write the output folder: EXDEV: injected');
    expect(existsSync(out)).toBe(false);
    expect(siblings(dir)).toEqual([]);
  });

  it('cannot make its temporary folder: one line naming it, the last output untouched', async () => {
    const dir = realpathSync(await makeSite({}));
    const out = path.join(dir, 'out');
    await writeOutput(out, page('one'));
    await writeOutput(out, page('two'));
    // No spare to claim: the next build makes a folder, and that fails.
    faults.rename = (from) => from.endsWith('.out.spare');
    faults.mkdir = (made) => made.includes('.out.tmp-');
    const err = await failure(writeOutput(out, page('three')));
    expect(err.message).toBe('cannot write the output folder: EACCES: injected');
    expect(err.place.file).toMatch(/\.out\.tmp-/);
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toBe('two');
    expect(siblings(dir)).toEqual(['.out.spare']);
  });

  it('removes the replaced output when it cannot keep it as the spare', async () => {
    const dir = realpathSync(await makeSite({}));
    const out = path.join(dir, 'out');
    await writeOutput(out, page('one'));
    faults.rename = (from, to) => from.includes('.out.old-') && to.endsWith('.out.spare');
    await writeOutput(out, page('two'));
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toBe('two');
    expect(siblings(dir)).toEqual([]);
    expect(existsSync(path.join(dir, '.out.spare'))).toBe(false);
  });
});
