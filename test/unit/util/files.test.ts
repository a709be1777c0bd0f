import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWalker, filesUnder, guardOf, inside, publishable } from '../../../src/util/files.js';
import { makeSite } from '../../helpers/site.js';

/** A site folder (real path) holding `files`, plus the links given as [link, target]. */
async function folder(files: Record<string, string>, links: Array<[string, string]> = []): Promise<string> {
  const dir = realpathSync(await makeSite(files));
  for (const [link, target] of links) symlinkSync(target, path.join(dir, link));
  return dir;
}

const names = (entries: Array<{ name: string }>) => entries.map((e) => e.name);

describe('inside', () => {
  it('holds a folder itself and what is under it (a name starting with two dots too), never its parent or a sibling', () => {
    expect(inside('/site', '/site')).toBe(true);
    expect(inside('/site', '/site/a/b')).toBe(true);
    expect(inside('/site', '/site/..a')).toBe(true);
    expect(inside('/site', '/site/a/../..')).toBe(false);
    expect(inside('/site', '/site/../x')).toBe(false);
    expect(inside('/site', '/')).toBe(false);
    expect(inside('/site', '/site2')).toBe(false);
    expect(inside('/site', '/other/site')).toBe(false);
  });
});

describe('the walker', () => {
  it('lists visible files and folders sorted by name (code units), hidden names and other kinds of entry left out', async () => {
    // Node lists a folder in the byte order of UTF-8 names; a JavaScript sort is by UTF-16 code units, and an emoji comes before `～` there.
    const order = ['m', 'b', 'Z', 'a.', '～', '😀', 'A'];
    const dir = await folder(Object.fromEntries(order.map((n) => [n, n])));
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, '.hidden'), 'x');
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    // Otherwise the test could not tell the walker's sorting from the listing's own order.
    const raw = readdirSync(dir).filter((n) => !n.startsWith('.') && n !== 'pipe' && n !== 'gazette.toml' && n !== 'sub');
    expect(raw).not.toEqual([...raw].sort());
    const walker = await createWalker(dir);
    const entries = await walker.entries(dir);
    expect(names(entries)).toEqual(['A', 'Z', 'a.', 'b', 'gazette.toml', 'm', 'sub', '😀', '～']);
    expect(entries.find((e) => e.name === 'sub')).toEqual({ name: 'sub', path: path.join(dir, 'sub'), dir: true, file: false });
    expect(entries.find((e) => e.name === 'a.')).toEqual({ name: 'a.', path: path.join(dir, 'a.'), dir: false, file: true });
    expect(walker.skipped).toEqual([]);
  });

  it('enters a folder once: a second listing of it, or of a link to it, is empty', async () => {
    const dir = await folder({ 'b/one.md': '1', 'b/two.md': '2' }, [
      ['a-link', 'b'],
      ['self', '.'],
    ]);
    const walker = await createWalker(dir);
    // The root is visited first, so the link back to it is left out; `a-link` sorts before `b` and is entered in its stead.
    expect(names(await walker.entries(dir))).toEqual(['a-link', 'b', 'gazette.toml']);
    expect(walker.skipped).toEqual([]);
    expect(await filesUnder(await createWalker(dir), dir)).toEqual(['a-link/one.md', 'a-link/two.md', 'gazette.toml']);
    expect(await walker.entries(path.join(dir, 'b'))).toHaveLength(2);
    expect(await walker.entries(path.join(dir, 'b'))).toEqual([]);
    expect(await walker.entries(path.join(dir, 'a-link'))).toEqual([]);
  });

  it('follows a link inside the site as what it points at, and names every link it does not follow', async () => {
    const outside = await folder({ 'secret.txt': 'x' });
    const dir = await folder({ 'real.md': 'r', 'sub/page.md': 'p' }, [
      ['dangling', 'nowhere'],
      ['escape', path.join(outside, 'secret.txt')],
      ['to-file', 'real.md'],
      ['to-sub', 'sub'],
    ]);
    const walker = await createWalker(dir);
    const entries = await walker.entries(dir);
    expect(names(entries)).toEqual(['gazette.toml', 'real.md', 'sub', 'to-file', 'to-sub']);
    expect(entries.find((e) => e.name === 'to-file')).toEqual({ name: 'to-file', path: path.join(dir, 'to-file'), dir: false, file: true });
    expect(entries.find((e) => e.name === 'to-sub')).toEqual({ name: 'to-sub', path: path.join(dir, 'to-sub'), dir: true, file: false });
    expect([...walker.skipped].sort()).toEqual([
      `${path.join(dir, 'dangling')}: a link to nothing, outside the site folder; not followed, not published`,
      `${path.join(dir, 'escape')}: a link to ${path.join(outside, 'secret.txt')}, outside the site folder; not followed, not published`,
    ]);
  });

  it('never yields what the guard refuses, by its own name or a link, and says which', async () => {
    const dir = await folder({ 'data/subscribers.db': 'db', 'gazette.toml.bak': 'x', 'page.md': 'p', '.gazette-cache/c': 'c' }, [
      ['db-link', 'data/subscribers.db'],
      ['cache-link', '.gazette-cache'],
    ]);
    const guard = guardOf({ files: [path.join(dir, 'gazette.toml'), path.join(dir, 'data/subscribers.db')], folders: [path.join(dir, '.gazette-cache')] });
    const walker = await createWalker(dir, guard);
    expect(names(await walker.entries(dir))).toEqual(['data', 'gazette.toml.bak', 'page.md']);
    expect(await walker.entries(path.join(dir, 'data'))).toEqual([]);
    const never = 'the subscriber database, its secret, the config, the cache or the outbox';
    expect([...walker.skipped].sort()).toEqual([
      `${path.join(dir, 'cache-link')}: a link to ${path.join(dir, '.gazette-cache')}, which is ${never}; not followed, never published`,
      `${path.join(dir, 'data/subscribers.db')}: a file that is ${never}; never published`,
      `${path.join(dir, 'db-link')}: a link to ${path.join(dir, 'data/subscribers.db')}, which is ${never}; not followed, never published`,
      `${path.join(dir, 'gazette.toml')}: a file that is ${never}; never published`,
    ]);
  });

  it('names a private folder reached by its own name as a folder', async () => {
    const dir = await folder({ 'outbox/1.eml': 'm', 'page.md': 'p' });
    const walker = await createWalker(dir, guardOf({ files: [], folders: [path.join(dir, 'outbox')] }));
    expect(names(await walker.entries(dir))).toEqual(['gazette.toml', 'page.md']);
    expect(walker.skipped).toEqual([
      `${path.join(dir, 'outbox')}: a folder that is the subscriber database, its secret, the config, the cache or the outbox; never published`,
    ]);
  });

  it('filesUnder keeps what `keep` accepts, relative to the folder walked', async () => {
    const dir = await folder({ 'a/b/c.md': '1', 'a/d.txt': '2', 'e.md': '3' });
    const md = await filesUnder(await createWalker(dir), dir, (e) => e.name.endsWith('.md'));
    expect(md).toEqual(['a/b/c.md', 'e.md']);
  });
});

describe('the guard', () => {
  it('refuses the private files and everything under the private folders, by real path', async () => {
    const dir = await folder({ 'gazette.toml.d/x': 'x', 'cache/a/b': 'b', 'cache2/a': 'a', 'page.md': 'p' });
    const guard = guardOf({ files: [path.join(dir, 'gazette.toml')], folders: [path.join(dir, 'cache')] });
    expect(guard.refuses(path.join(dir, 'gazette.toml'))).toBe('private to Gazette');
    expect(guard.refuses(path.join(dir, 'cache'))).toBe('private to Gazette');
    expect(guard.refuses(path.join(dir, 'cache/a/b'))).toBe('private to Gazette');
    expect(guard.refuses(path.join(dir, 'cache2/a'))).toBeUndefined();
    expect(guard.refuses(path.join(dir, 'gazette.toml.d/x'))).toBeUndefined();
    expect(guard.refuses(path.join(dir, 'page.md'), statSync(path.join(dir, 'page.md')))).toBeUndefined();
    expect(guard.refuses(undefined)).toBeUndefined();
  });

  it('refuses a private file that does not exist yet once it does, and one reached through a linked folder', async () => {
    const dir = await folder({ 'real-data/keep.txt': 'k' }, [['data', 'real-data']]);
    // The database is named through the link, before it is made.
    const guard = guardOf({ files: [path.join(dir, 'data/subscribers.db')], folders: [] });
    writeFileSync(path.join(dir, 'real-data/subscribers.db'), 'db');
    expect(guard.refuses(path.join(dir, 'real-data/subscribers.db'))).toBe('private to Gazette');
    expect(guard.refuses(path.join(dir, 'real-data/keep.txt'))).toBeUndefined();
  });

  it('refuses a hard link to a private file by its inode, and is made once per config', async () => {
    const dir = await folder({ 'subscribers.db': 'db', 'page.md': 'p' });
    linkSync(path.join(dir, 'subscribers.db'), path.join(dir, 'innocent.txt'));
    const never = { files: [path.join(dir, 'subscribers.db')], folders: [] };
    const guard = guardOf(never);
    expect(guardOf(never)).toBe(guard);
    const other = path.join(dir, 'innocent.txt');
    expect(guard.refuses(other, statSync(other))).toBe('private to Gazette (the same file by a hard link)');
    expect(publishable(guard, other)).toBe(
      `${other}: the same file as the subscriber database, its secret, the config, the cache or the outbox; never published`,
    );
    expect(publishable(guard, path.join(dir, 'page.md'))).toBeUndefined();
    expect(publishable(guard, path.join(dir, 'missing.md'))).toBeUndefined();
  });
});
