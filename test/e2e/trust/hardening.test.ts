import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gazette, makeSite, snapshot } from '../../helpers/site.js';

const ISSUE = '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n';
const SITE = '[site]\ntitle = "T"\nbase_url = "https://t.example/"\n';
const build = (dir: string) => gazette('build', '--config', path.join(dir, 'gazette.toml'));

describe('build.out and build.cache: Gazette replaces or prunes only what it made', () => {
  it('refuses to replace a folder it did not make, leaving every file in it', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE, 'www/other-site/index.html': 'not ours', 'www/notes.txt': 'mine' }, `${SITE}[build]\nout = "www"\n`);
    const before = await snapshot(path.join(dir, 'www'));
    const run = await build(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \S*www: build\.out holds files Gazette did not write/);
    expect(await snapshot(path.join(dir, 'www'))).toEqual(before);
  });

  it('replaces a folder it made (its marker) or an empty one, build after build', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE }, `${SITE}[build]\nout = "public"\n`);
    await mkdir(path.join(dir, 'public'));
    expect((await build(dir)).code).toBe(0);
    expect(await readdir(path.join(dir, 'public'))).toContain('.gazette-output');
    expect((await build(dir)).code).toBe(0);
  });

  it('refuses the root, the home folder, the site folder and any folder holding a configured path, for out and cache', async () => {
    const cases: Array<[string, RegExp]> = [
      ['[build]\nout = "/"\n', /build\.out \(\/\) is the root of the file system/],
      [`[build]\nout = ${JSON.stringify(homedir())}\n`, /build\.out .* is your home folder/],
      ['[build]\nout = ".."\n', /build\.out .* would contain the site folder/],
      ['[build]\ncache = "."\n', /build\.cache .* is the site folder/],
      ['[build]\ncache = "content"\n', /build\.cache .* is content\.dir/],
      ['[build]\nout = "data"\n', /build\.out .* would contain subscribers\.database/],
      ['[build]\nout = "content/out"\n', /build\.out .* is inside content\.dir/],
      ['[build]\nout = "o"\ncache = "o/c"\n', /build\.out .* would contain build\.cache/],
    ];
    for (const [config, message] of cases) {
      const dir = await makeSite({ 'content/a.md': ISSUE }, SITE + config);
      const before = await snapshot(dir);
      const run = await build(dir);
      expect(run.code, config).toBe(1);
      expect(run.stderr, config).toMatch(message);
      expect(await snapshot(dir), config).toEqual(before);
    }
  });

  it('a cache pruned after a build removes only the entries it wrote', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE, 'cache/content/notes.md': 'keep me', 'cache/email/x.json': '{}' }, `${SITE}[build]\ncache = "cache"\n`);
    expect((await build(dir)).code).toBe(0);
    expect(await readFile(path.join(dir, 'cache/content/notes.md'), 'utf8')).toBe('keep me');
    expect(await readdir(path.join(dir, 'cache/email'))).toContain('x.json');
  });

  it('removes the temporary folders of a killed build, and only those', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE }, SITE);
    expect((await build(dir)).code).toBe(0);
    // A killed build's leftover (the id of a process that has ended), one of a build still running
    // (this process), and a look-alike that is not Gazette's.
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const marker = await readFile(path.join(dir, 'out', '.gazette-output'));
    const killed = `.out.tmp-${dead}-0badf00d`;
    const running = `.out.tmp-${process.pid}-00c0ffee`;
    for (const name of [killed, running]) {
      await mkdir(path.join(dir, name));
      await writeFile(path.join(dir, name, '.gazette-output'), marker);
    }
    const foreign = `.out.tmp-${dead}-deadbeef`;
    await mkdir(path.join(dir, foreign));
    await writeFile(path.join(dir, foreign, 'mine.txt'), 'not Gazette');
    expect((await build(dir)).code).toBe(0);
    const names = await readdir(dir);
    expect(names).not.toContain(killed);
    expect(names).toContain(running);
    expect(names).toContain(foreign);
  });
});

describe('links and names', () => {
  it('publishes no file a link brings in from outside the site folder, and survives links in a loop', async () => {
    const secret = await makeSite({ 'secret.txt': 'TOP SECRET' }, SITE);
    const dir = await makeSite({ 'content/a.md': ISSUE, 'content/b/index.md': ISSUE.replace('"A"', '"B"'), 'static/ok.txt': 'fine' }, SITE);
    await symlink(path.join(secret, 'secret.txt'), path.join(dir, 'static', 'leak.txt'));
    await symlink(path.join(secret, 'secret.txt'), path.join(dir, 'content', 'b', 'leak.txt'));
    await symlink(secret, path.join(dir, 'content', 'elsewhere'));
    await symlink(path.join(dir, 'content'), path.join(dir, 'content', 'loop'));
    await symlink(path.join(dir, 'static'), path.join(dir, 'static', 'again'));
    const run = await build(dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*leak\.txt: a link to .*outside the site folder; not followed, not published/);
    const out = await snapshot(path.join(dir, 'out'));
    for (const [file] of Object.entries(out)) expect(await readFile(path.join(dir, 'out', file), 'utf8')).not.toContain('TOP SECRET');
    expect(Object.keys(out)).toContain('ok.txt');
  });

  it('refuses a slug that would overwrite a generated file, and one too long for a file name, naming the file', async () => {
    const feed = await makeSite(
      { 'content/a.md': ISSUE, 'content/b.md': '+++\ntitle = "B"\ndate = 2026-01-02\nslug = "rss.xml"\n+++\nB\n' },
      `${SITE}permalink = "/{slug}"\n`,
    );
    const clash = await build(feed);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/b\.md: its page would be written to rss\.xml, which is already the site's RSS feed/);
    const long = await makeSite({ 'content/a.md': `+++\ntitle = "A"\ndate = 2026-01-01\nslug = "${'长'.repeat(90)}"\n+++\nA\n` }, SITE);
    const tooLong = await build(long);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(/a\.md: its .* would need a file name of \d+ bytes/);
    expect(tooLong.stderr).not.toContain('ENAMETOOLONG');
  });
});

describe('limits, dates and front matter', () => {
  it('refuses deeply nested and oversized issues quickly, naming the file; the limits can be raised', async () => {
    const lists = `+++\ntitle = "L"\ndate = 2026-01-01\n+++\n${Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n')}\n`;
    const html = `+++\ntitle = "H"\ndate = 2026-01-01\n+++\n${'<div>'.repeat(5000)}x${'</div>'.repeat(5000)}\n`;
    const big = `+++\ntitle = "B"\ndate = 2026-01-01\n+++\n${'word '.repeat(40_000)}\n`;
    const dir = await makeSite({ 'content/lists.md': lists, 'content/html.md': html, 'content/big.md': big }, `${SITE}[content]\nmax_file_size = 100000\n`);
    const started = Date.now();
    const run = await build(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/lists\.md: nested 300 levels deep .* over content\.max_nesting = 64/);
    expect(run.stderr).toMatch(/html\.md: nested 5000 levels deep/);
    expect(run.stderr).toMatch(/big\.md: 0\.2 MB, over content\.max_file_size = 100000 bytes/);
    expect(run.stderr).not.toContain('Maximum call stack');
    expect(Date.now() - started).toBeLessThan(10_000);
    const raised = await makeSite({ 'content/big.md': big }, `${SITE}[content]\nmax_file_size = 300000\n`);
    expect((await build(raised)).code).toBe(0);
  });

  it('reads dates exactly or refuses them: years before 1000, times skipped by daylight saving, offsets past year 9999', async () => {
    const { readDate } = await import('../../../src/content/index.js');
    expect(readDate('0050-01-01', 'UTC')).toEqual({ reason: 'the year must be between 1000 and 9999' });
    expect(readDate('1066-10-14', 'UTC')).toEqual({ date: new Date('1066-10-14T00:00:00Z') });
    expect('reason' in readDate('2026-03-08T02:30:00', 'America/New_York')).toBe(true);
    expect(readDate('2026-03-08T03:30:00', 'America/New_York')).toEqual({ date: new Date('2026-03-08T07:30:00Z') });
    expect(readDate('2026-11-01T01:30:00', 'America/New_York')).toEqual({ date: new Date('2026-11-01T05:30:00Z') });
    expect(readDate('9999-12-31T23:59:00-23:59', 'UTC')).toEqual({ reason: 'the year must be between 1000 and 9999' });
    const dir = await makeSite({ 'content/a.md': '+++\ntitle = "A"\ndate = 2026-03-08T02:30:00\n+++\nA\n' }, `${SITE}timezone = "America/New_York"\n`);
    const run = await build(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/a\.md:3: date: cannot read "2026-03-08T02:30:00(\.000)?" as a date \(that time does not exist in America\/New_York/);
  });

  it('refuses a "billion laughs" YAML front matter as invalid, naming the file', async () => {
    const laughs = [
      '---',
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'title: x',
      'date: 2026-01-01',
      '---',
      'body',
    ].join('\n');
    const dir = await makeSite({ 'content/lol.md': laughs }, SITE);
    const run = await build(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/lol\.md:2: invalid YAML front matter: .*alias/i);
  });

  it('suggests the key an unknown config key was probably meant to be', async () => {
    const dir = await makeSite({ 'content/a.md': ISSUE }, '[site]\ntitle = "T"\nbaseurl = "x"\nbase_url = "https://t.example/"\nlangauge = "en"\n');
    const run = await build(dir);
    // [site] is read by build: a typo there stops it rather than build with the default.
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('site.baseurl: unknown key (did you mean site.base_url?); `gazette build` reads [site], so it stops rather than ignore it');
    expect(run.stderr).toContain('site.langauge: unknown key (did you mean site.language?)');
  });
});

describe('what a new user runs into', () => {
  it('says there are no subscribers, writes "written" for a dry run, and keeps the database private', async () => {
    const { sendConfig, gazetteWith } = await import('../../helpers/send.js');
    const { stat } = await import('node:fs/promises');
    const dir = await makeSite({ 'content/a.md': ISSUE }, sendConfig());
    const config = path.join(dir, 'gazette.toml');
    const empty = await gazetteWith({}, 'send', '--dry-run', '--config', config);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('There are no subscribers yet');
    expect((await stat(path.join(dir, 'data', 'gazette.db'))).mode & 0o777).toBe(0o600);
    await gazetteWith({}, 'subscribers', 'add', 'ann@example.org', '--config', config);
    const dry = await gazetteWith({}, 'send', '--dry-run', '--config', config);
    expect(dry.stderr).toMatch(/1\/1: written 1, deferred 0/);
  });

  it('says why an issue dated in the future, or a draft, cannot be sent', async () => {
    const { sendConfig, gazetteWith } = await import('../../helpers/send.js');
    const dir = await makeSite(
      {
        'content/a.md': ISSUE,
        'content/later.md': '+++\ntitle = "Later"\ndate = 2099-01-01\n+++\nL\n',
        'content/wip.md': '+++\ntitle = "WIP"\ndate = 2026-01-01\ndraft = true\n+++\nW\n',
      },
      sendConfig(),
    );
    const config = path.join(dir, 'gazette.toml');
    const later = await gazetteWith({}, 'send', '--issue', 'later', '--dry-run', '--config', config);
    expect(later.code).toBe(1);
    expect(later.stderr).toMatch(/later\.md: “Later” is dated 2099-01-01T00:00:00\+08:00, in the future: it is not published until then/);
    const wip = await gazetteWith({}, 'send', '--issue', 'wip', '--dry-run', '--config', config);
    expect(wip.stderr).toMatch(/wip\.md: “WIP” is a draft/);
  });

  it('skips blank CSV rows and writes Chinese names family name first', async () => {
    const { sendConfig, gazetteWith } = await import('../../helpers/send.js');
    const dir = await makeSite({ 'list.csv': 'email,First Name,Last Name\r\n,,\r\nzhang@example.org,三,张\r\nann@example.org,Ann,Lee\r\n' }, sendConfig());
    const config = path.join(dir, 'gazette.toml');
    const run = await gazetteWith({}, 'subscribers', 'import', path.join(dir, 'list.csv'), '--config', config);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const list = (await gazetteWith({}, 'subscribers', 'list', '--config', config)).stdout;
    expect(list).toContain('zhang@example.org\tsubscribed\t张三');
    expect(list).toContain('ann@example.org\tsubscribed\tAnn Lee');
  });
});
