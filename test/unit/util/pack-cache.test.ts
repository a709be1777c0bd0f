import { mkdtemp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackCache } from '../../../src/util/pack-cache.js';
import { madeFolders } from '../../helpers/site.js';

interface Body {
  html: string;
}
const isBody = (v: unknown): v is Body => typeof (v as Body)?.html === 'string';

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-test-'));
  madeFolders.add(dir);
  return path.join(dir, 'content');
}

const open = (dir: string) => new PackCache(dir, 'bodies', isBody, /^[0-9a-f]{64}\.json$/);
const packs = async (dir: string) => (await readdir(dir)).filter((n) => /^bodies-[0-9a-f]{16}\.pack$/.test(n)).sort();

describe('the pack cache', () => {
  it('keeps values between runs in one segment per run, and only those the last run used', async () => {
    const dir = await cacheDir();
    const first = open(dir);
    for (let i = 0; i < 100; i++) first.put(`k${i}`, { html: `<p>${i}</p>` });
    first.save();
    expect(await packs(dir)).toHaveLength(1);

    const second = open(dir);
    expect(second.has('k1')).toBe(true);
    expect(second.has('nope')).toBe(false);
    expect(second.getNow('k2')).toEqual({ html: '<p>2</p>' });
    second.put('new', { html: 'new' });
    second.save();
    // k1, k2 and new are kept; the 98 others are dropped from the index.
    const third = open(dir);
    expect(['k1', 'k2', 'new', 'k3'].map((k) => third.getNow(k)?.html)).toEqual(['<p>1</p>', '<p>2</p>', 'new', undefined]);
    // Most bytes of the first segment were dead: the live ones were written into one new segment.
    expect(await packs(dir)).toHaveLength(1);
    third.save();
  });

  it('writes nothing when a run changed nothing', async () => {
    const dir = await cacheDir();
    const first = open(dir);
    first.put('a', { html: 'a' });
    first.save();
    const index = path.join(dir, 'bodies.json');
    const before = (await stat(index)).mtimeMs;
    const again = open(dir);
    expect(again.has('a')).toBe(true);
    again.save();
    expect((await stat(index)).mtimeMs).toBe(before);
  });

  it('adds a segment per run until there are too many, then writes the live values into one', async () => {
    const dir = await cacheDir();
    const keys: string[] = [];
    for (let run = 0; run < 9; run++) {
      const cache = open(dir);
      for (const key of keys) expect(cache.has(key)).toBe(true);
      keys.push(`run${run}`);
      cache.put(`run${run}`, { html: 'x'.repeat(100) });
      cache.save();
      expect(await packs(dir)).toHaveLength(run === 8 ? 1 : run + 1);
    }
    const last = open(dir);
    expect(keys.map((k) => last.getNow(k)?.html.length)).toEqual(keys.map(() => 100));
  });

  it('a short segment makes its values misses; a damaged one is removed when read', async () => {
    const dir = await cacheDir();
    const first = open(dir);
    first.put('a', { html: 'aaaa' });
    first.put('b', { html: 'bbbb' });
    first.save();
    const [segment] = await packs(dir);
    const file = path.join(dir, segment!);
    const size = (await readFile(file)).length;
    await truncate(file, size - 2);
    const short = open(dir);
    expect(short.has('a')).toBe(true);
    expect(short.has('b')).toBe(false);
    await writeFile(file, '{'.padEnd(size, ' '));
    const damaged = open(dir);
    expect(damaged.has('a')).toBe(true);
    expect(damaged.getNow('a')).toBeUndefined();
    expect(await packs(dir)).toEqual([]);
    expect(damaged.has('b')).toBe(false);
  });

  it('a damaged index is an empty cache; files it did not write stay, those of its former format and of ended runs go', async () => {
    const dir = await cacheDir();
    const first = open(dir);
    first.put('a', { html: 'a' });
    first.save();
    await writeFile(path.join(dir, 'bodies.json'), '{not json');
    const former = `${'ab'.repeat(32)}.json`;
    await writeFile(path.join(dir, former), '{}');
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await writeFile(path.join(dir, 'other-0123456789abcdef.pack'), 'another cache’s');
    // A temporary segment of a run that ended (no such process), and of this one, still running.
    await writeFile(path.join(dir, '.bodies-0123456789abcdef.pack.999999999.tmp'), '');
    await writeFile(path.join(dir, `.bodies-0123456789abcdef.pack.${process.pid}.tmp`), '');
    const second = open(dir);
    expect(second.has('a')).toBe(false);
    second.put('b', { html: 'b' });
    second.save();
    expect((await readdir(dir)).sort()).toEqual(
      [`.bodies-0123456789abcdef.pack.${process.pid}.tmp`, 'bodies.json', 'notes.txt', 'other-0123456789abcdef.pack', ...(await packs(dir))].sort(),
    );
    expect(open(dir).getNow('b')).toEqual({ html: 'b' });
  });
});
