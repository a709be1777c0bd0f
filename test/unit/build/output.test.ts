import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, type OutputFile, retireOutboxInOutput, safeJoin, writeOutput } from '../../../src/build/output.js';
import { failure } from '../../helpers/expect.js';
import { makeSite } from '../../helpers/site.js';

const MARKER_TEXT = 'This folder is written by `gazette build`, which replaces it whole on every build.\n';

/** A fresh folder (real path) to build in; the output goes to `<it>/out`. */
async function place(): Promise<string> {
  const dir = realpathSync(await makeSite({}));
  return dir;
}

/** Every entry under `dir`: relative path -> file text, '/' for a folder, '->' for a link. */
function tree(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    result[rel] = e.isDirectory() ? '/' : e.isSymbolicLink() ? '->' : readFileSync(path.join(dir, rel), 'utf8');
  }
  return result;
}

const texts = (files: Record<string, string | OutputFile>) =>
  new Map<string, OutputFile>(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? { text: v } : v]));

/** Names beside the output that a build leaves (its spare), or should not (temporary and old folders). */
const siblings = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.out'));

/** A process id that is not running (a child that has exited). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

describe('writing the output folder', () => {
  it('writes exactly the planned files and the marker, with no folder that was not planned', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    await writeOutput(out, texts({ 'index.html': 'home', 'posts/one/index.html': 'one', 'x.css': 'css' }));
    expect(tree(out)).toEqual({
      [OUTPUT_MARKER]: MARKER_TEXT,
      'index.html': 'home',
      posts: '/',
      'posts/one': '/',
      'posts/one/index.html': 'one',
      'x.css': 'css',
    });
    expect(siblings(dir)).toEqual([]);
  });

  it('refuses a link, a file or a folder it did not make as the output, and changes none of them', async () => {
    const dir = await place();
    mkdirSync(path.join(dir, 'real'));
    symlinkSync('real', path.join(dir, 'link'));
    writeFileSync(path.join(dir, 'file'), 'mine');
    mkdirSync(path.join(dir, 'theirs'));
    writeFileSync(path.join(dir, 'theirs/notes.txt'), 'keep');
    const plan = texts({ 'index.html': 'home' });
    const why = 'a build replaces its output folder whole, so it must be one Gazette made, or empty';
    const link = await failure(writeOutput(path.join(dir, 'link'), plan));
    expect(link.message).toBe(`build.out is a symbolic link (Gazette never follows a link out of the site folder; name the real folder); ${why}`);
    expect(link.place.file).toBe(path.join(dir, 'link'));
    expect((await failure(writeOutput(path.join(dir, 'file'), plan))).message).toBe(`build.out is a file, not a folder; ${why}`);
    expect((await failure(writeOutput(path.join(dir, 'theirs'), plan))).message).toBe(
      `build.out holds files Gazette did not write (there is no ${OUTPUT_MARKER} in it); ${why}`,
    );
    const under = await failure(writeOutput(path.join(dir, 'file', 'out'), plan));
    expect(under.message).toMatch(/^cannot read the output folder: ENOTDIR: /);
    expect(tree(dir)).toEqual({ 'gazette.toml': expect.any(String), real: '/', link: '->', file: 'mine', theirs: '/', 'theirs/notes.txt': 'keep' });
    // An empty folder is taken.
    await writeOutput(path.join(dir, 'real'), plan);
    expect(tree(path.join(dir, 'real'))).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home' });
  });

  it('refuses a planned path outside the folder, and leaves the last output and no temporary folder', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    await writeOutput(out, texts({ 'index.html': 'home' }));
    const err = await failure(writeOutput(out, texts({ 'a/page.html': 'p', 'a/../../escape.html': 'x' })));
    expect(err.message).toBe('output path "a/../../escape.html" is outside the output folder');
    expect(err.code).toBe('OUTPUT');
    expect(err.place.file).toBe(out);
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home' });
    expect(existsSync(path.join(dir, 'escape.html'))).toBe(false);
    expect(siblings(dir)).toEqual([]);
  });

  it('a page that fails to render leaves the last output whole and no temporary folder', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    await writeOutput(out, texts({ 'index.html': 'home', 'a/b.html': 'b' }));
    const failing = async () => {
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    const err = await failure(writeOutput(out, texts({ 'index.html': 'new home', 'a/b.html': 'b', 'slow.html': { text: failing } })));
    expect(err.message).toBe('cannot write the output folder: EIO: i/o error');
    expect(err.place.file).toBe(out);
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home', a: '/', 'a/b.html': 'b' });
    expect(siblings(dir)).toEqual([]);
  });

  it('resolves a path that is not plain (`a/./b`, `c//d`) inside the folder, and takes `..x` as a name', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    await writeOutput(out, texts({ 'a/./b.html': 'b', 'c//d.html': 'd', '..x.html': 'dots' }));
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, a: '/', 'a/b.html': 'b', c: '/', 'c/d.html': 'd', '..x.html': 'dots' });
  });

  it('removes the temporary and old folders a killed build left, only when they are its own and their build is gone', async () => {
    const dir = await place();
    const dead = deadPid();
    const made = (name: string, marker: boolean) => {
      mkdirSync(path.join(dir, name, 'deep'), { recursive: true });
      writeFileSync(path.join(dir, name, 'deep', 'page.html'), 'x');
      if (marker) writeFileSync(path.join(dir, name, OUTPUT_MARKER), MARKER_TEXT);
    };
    made(`.out.tmp-${dead}-0123abcd`, true);
    made(`.out.old-${dead}-89abcdef`, true);
    made(`.out.tmp-${dead}-00000000`, false);
    made(`.out.tmp-${process.pid}-11111111`, true);
    made(`.out.tmp-${dead}-0123abcg`, true);
    made(`.outx.tmp-${dead}-0123abcd`, true);
    await writeOutput(path.join(dir, 'out'), texts({ 'index.html': 'home' }));
    expect(siblings(dir).sort()).toEqual(
      [`.out.tmp-${dead}-00000000`, `.out.tmp-${dead}-0123abcg`, `.out.tmp-${process.pid}-11111111`, `.outx.tmp-${dead}-0123abcd`].sort(),
    );
  });
});

describe('writing the output folder, the places around it', () => {
  it('takes a dot in the folder’s name as a dot when it looks for what a killed build left', async () => {
    const dir = await place();
    const dead = deadPid();
    for (const name of [`.out.v2.tmp-${dead}-0123abcd`, `.outXv2.tmp-${dead}-0123abcd`]) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, OUTPUT_MARKER), MARKER_TEXT);
    }
    await writeOutput(path.join(dir, 'out.v2'), texts({ 'index.html': 'home' }));
    expect(readdirSync(dir).filter((n) => n.startsWith('.out'))).toEqual([`.outXv2.tmp-${dead}-0123abcd`]);
  });

  it('makes the folders above the output when they are not there yet', async () => {
    const dir = await place();
    const out = path.join(dir, 'public', 'www', 'out');
    await writeOutput(out, texts({ 'index.html': 'home' }));
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home' });
  });

  it('never takes a link in the spare’s place as its spare, even to a folder Gazette wrote: it writes nothing through it', async () => {
    const dir = await place();
    const elsewhere = path.join(dir, 'elsewhere');
    await writeOutput(elsewhere, texts({ 'theirs.html': 'theirs' }));
    symlinkSync(elsewhere, path.join(dir, '.out.spare'));
    const out = path.join(dir, 'out');
    for (let i = 1; i <= 3; i++) await writeOutput(out, texts({ 'index.html': `home ${i}` }));
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home 3' });
    expect(tree(elsewhere)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'theirs.html': 'theirs' });
    expect(lstatSync(path.join(dir, '.out.spare')).isSymbolicLink()).toBe(true);
  });

  it('two builds at once each write a whole output of their own; the last one to finish is the output', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    await writeOutput(out, texts({ 'index.html': 'home 0' }));
    const plan = (n: number) => texts(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p/${i}.html`, `${n}:${i}`])));
    await Promise.all([writeOutput(out, plan(1)), writeOutput(out, plan(2))]);
    const pages = tree(out);
    const n = pages['p/0.html']!.split(':')[0];
    expect(pages).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, p: '/', ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p/${i}.html`, `${n}:${i}`])) });
    expect(siblings(dir)).toEqual(['.out.spare']);
  });
});

describe('safeJoin', () => {
  it('joins a path under the folder and refuses the folder itself or anything outside it', () => {
    expect(safeJoin('/out', 'a/../b.html')).toBe('/out/b.html');
    expect(safeJoin('/out', '..b.html')).toBe('/out/..b.html');
    for (const bad of ['', '.', 'a/..', '..', '../x', 'a/../../x', '/etc/passwd']) {
      expect(() => safeJoin('/out', bad), bad).toThrow(`output path ${JSON.stringify(bad)} is outside the output folder`);
    }
  });
});

describe('building again from the spare', () => {
  /** Three builds, so that the third starts from the spare the second left (the first build's output). */
  async function thrice(
    out: string,
    first: Record<string, string | OutputFile>,
    between: () => void,
    third: Record<string, string | OutputFile>,
    manifests?: string,
  ) {
    await writeOutput(out, texts(first), { manifests });
    await writeOutput(out, texts(first), { manifests });
    between();
    await writeOutput(out, texts(third), { manifests });
  }

  for (const manifests of [false, true]) {
    it(`leaves files whose bytes match alone, rewrites the others and removes what is no longer planned${manifests ? ' (with manifests)' : ''}`, async () => {
      const dir = await place();
      const out = path.join(dir, 'out');
      const spare = path.join(dir, '.out.spare');
      const old = new Date('2001-01-01T00:00:00Z');
      await thrice(
        out,
        { 'index.html': 'home', 'same.html': 'aaaa', 'gone/deep/page.html': 'g', 'gone.html': 'x', 'keep/a.html': 'a', 'keep/stale.html': 's' },
        () => {
          utimesSync(path.join(spare, 'index.html'), old, old);
          utimesSync(path.join(spare, 'same.html'), old, old);
        },
        // `keep/` is as its manifest recorded it, so only the manifest tells that `keep/stale.html` is there.
        { 'index.html': 'home', 'same.html': 'bbbb', 'keep/a.html': 'a' },
        manifests ? path.join(dir, 'manifests') : undefined,
      );
      expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home', 'same.html': 'bbbb', keep: '/', 'keep/a.html': 'a' });
      expect(statSync(path.join(out, 'index.html')).mtime).toEqual(old);
      expect(statSync(path.join(out, 'same.html')).mtime).not.toEqual(old);
      expect(siblings(dir)).toEqual(['.out.spare']);
    });
  }

  it('replaces a file that shares its inode with another instead of writing through it, for pages and for copies', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    const spare = path.join(dir, '.out.spare');
    writeFileSync(path.join(dir, 'logo.svg'), 'logo 1');
    writeFileSync(path.join(dir, 'elsewhere-page'), 'not yours');
    writeFileSync(path.join(dir, 'elsewhere-logo'), 'not yours either');
    await thrice(
      out,
      { 'page.html': 'page 1', 'logo.svg': { copyFrom: path.join(dir, 'logo.svg') } },
      () => {
        for (const [name, other] of [
          ['page.html', 'elsewhere-page'],
          ['logo.svg', 'elsewhere-logo'],
        ] as const) {
          const file = path.join(spare, name);
          spawnSync('rm', [file]);
          linkSync(path.join(dir, other), file);
        }
        writeFileSync(path.join(dir, 'logo.svg'), 'logo 2');
      },
      { 'page.html': 'page 2', 'logo.svg': { copyFrom: path.join(dir, 'logo.svg') } },
    );
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'page.html': 'page 2', 'logo.svg': 'logo 2' });
    expect(readFileSync(path.join(dir, 'elsewhere-page'), 'utf8')).toBe('not yours');
    expect(readFileSync(path.join(dir, 'elsewhere-logo'), 'utf8')).toBe('not yours either');
  });

  it('replaces a folder where a file is planned and a file where a folder is', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    const spare = path.join(dir, '.out.spare');
    writeFileSync(path.join(dir, 'logo.svg'), 'logo');
    await thrice(
      out,
      { 'page.html': 'page', 'logo.svg': { copyFrom: path.join(dir, 'logo.svg') }, 'a/b.html': 'b' },
      () => {
        for (const name of ['page.html', 'logo.svg', 'a']) {
          spawnSync('rm', ['-r', path.join(spare, name)]);
          const made = name === 'a' ? path.join(spare, name) : path.join(spare, name, 'inner');
          if (name === 'a') writeFileSync(made, 'a file now');
          else {
            mkdirSync(made, { recursive: true });
            writeFileSync(path.join(made, 'f'), 'x');
          }
        }
      },
      { 'page.html': 'page', 'logo.svg': { copyFrom: path.join(dir, 'logo.svg') }, 'a/b.html': 'b' },
    );
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'page.html': 'page', 'logo.svg': 'logo', a: '/', 'a/b.html': 'b' });
  });

  it('does not make a page again whose key and file are as the manifest recorded', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    const manifests = path.join(dir, 'manifests');
    let made = 0;
    const page = (key: string): OutputFile => ({
      key,
      text: () => {
        made++;
        return `made with ${key}`;
      },
    });
    for (let i = 0; i < 4; i++) await writeOutput(out, new Map([['p.html', page('k1')]]), { manifests });
    // Made for the first output and for the first spare; after that each generation is as recorded.
    expect(made).toBe(2);
    await writeOutput(out, new Map([['p.html', page('k2')]]), { manifests });
    expect(made).toBe(3);
    expect(readFileSync(path.join(out, 'p.html'), 'utf8')).toBe('made with k2');
  });

  it('copies a file again only when its source changed, as the manifest tells; a link as what it points at', async () => {
    const dir = await place();
    const out = path.join(dir, 'out');
    const manifests = path.join(dir, 'manifests');
    const logo = path.join(dir, 'logo.svg');
    writeFileSync(logo, 'logo 1');
    symlinkSync(logo, path.join(dir, 'link.svg'));
    const plan = new Map<string, OutputFile>([
      ['img/logo.svg', { copyFrom: logo }],
      ['img/link.svg', { copyFrom: path.join(dir, 'link.svg') }],
    ]);
    const changed = () => statSync(path.join(out, 'img', 'logo.svg')).ctimeMs;
    for (let i = 0; i < 3; i++) await writeOutput(out, plan, { manifests });
    const third = changed();
    await writeOutput(out, plan, { manifests });
    await writeOutput(out, plan, { manifests });
    // The fifth output is the third's folder again, and its copy was not made again.
    expect(changed()).toBe(third);
    expect(lstatSync(path.join(out, 'img', 'link.svg')).isSymbolicLink()).toBe(false);
    writeFileSync(logo, 'logo 2, longer');
    await writeOutput(out, plan, { manifests });
    expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, img: '/', 'img/logo.svg': 'logo 2, longer', 'img/link.svg': 'logo 2, longer' });
  });

  it('leaves something else in the spare’s place alone, and no old folder behind', async () => {
    for (const kind of ['folder', 'file']) {
      const dir = await place();
      const out = path.join(dir, 'out');
      const spare = path.join(dir, '.out.spare');
      if (kind === 'folder') mkdirSync(spare);
      else writeFileSync(spare, 'mine');
      for (let i = 1; i <= 3; i++) await writeOutput(out, texts({ 'index.html': `home ${i}` }));
      expect(tree(out)).toEqual({ [OUTPUT_MARKER]: MARKER_TEXT, 'index.html': 'home 3' });
      expect(siblings(dir), kind).toEqual(['.out.spare']);
      if (kind === 'folder') expect(readdirSync(spare)).toEqual([]);
      else expect(readFileSync(spare, 'utf8')).toBe('mine');
    }
  });
});

describe('retiring the outbox that old versions wrote into the output', () => {
  async function setup(options: { marker?: boolean; to?: 'absent' | 'empty' | 'full'; outbox?: 'folder' | 'file' } = {}) {
    const dir = await place();
    const out = path.join(dir, 'out');
    mkdirSync(out);
    if (options.marker !== false) writeFileSync(path.join(out, OUTPUT_MARKER), MARKER_TEXT);
    if (options.outbox === 'file') writeFileSync(path.join(out, 'outbox'), 'a file');
    else {
      mkdirSync(path.join(out, 'outbox', 'issue'), { recursive: true });
      writeFileSync(path.join(out, 'outbox', 'issue', '1.eml'), 'mail');
    }
    const to = path.join(dir, 'data', 'outbox');
    if (options.to === 'empty' || options.to === 'full') mkdirSync(to, { recursive: true });
    if (options.to === 'full') writeFileSync(path.join(to, 'kept.eml'), 'kept');
    return { dir, out, to };
  }

  it('moves it beside the database, private', async () => {
    const { out, to } = await setup();
    await retireOutboxInOutput(out, 'outbox', to);
    expect(existsSync(path.join(out, 'outbox'))).toBe(false);
    expect(tree(to)).toEqual({ issue: '/', 'issue/1.eml': 'mail' });
    expect(lstatSync(to).mode & 0o777).toBe(0o700);
  });

  it('removes it when an outbox is there already, whether empty or not, and leaves that one as it was', async () => {
    for (const kind of ['empty', 'full'] as const) {
      const { out, to } = await setup({ to: kind });
      await retireOutboxInOutput(out, 'outbox', to);
      expect(existsSync(path.join(out, 'outbox')), kind).toBe(false);
      expect(tree(to), kind).toEqual(kind === 'empty' ? {} : { 'kept.eml': 'kept' });
    }
  });

  it('leaves it alone in a folder Gazette did not write, or when it is not a folder', async () => {
    const foreign = await setup({ marker: false });
    await retireOutboxInOutput(foreign.out, 'outbox', foreign.to);
    expect(tree(path.join(foreign.out, 'outbox'))).toEqual({ issue: '/', 'issue/1.eml': 'mail' });
    expect(existsSync(foreign.to)).toBe(false);
    const file = await setup({ outbox: 'file' });
    await retireOutboxInOutput(file.out, 'outbox', file.to);
    expect(readFileSync(path.join(file.out, 'outbox'), 'utf8')).toBe('a file');
    // build.out that is a file: writing the output reports it, not this.
    await expect(retireOutboxInOutput(path.join(file.out, 'outbox'), 'outbox', file.to)).resolves.toBeUndefined();
  });
});
