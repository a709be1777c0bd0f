import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { slugFromTitle } from '../../../src/author/new.js';
import { gazette, madeFolders, snapshot } from '../../helpers/site.js';

async function emptyFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gazette-test-'));
  madeFolders.add(dir);
  return dir;
}

describe('gazette init and gazette new', () => {
  it('init, build, new, build in an empty folder', async () => {
    const dir = path.join(await emptyFolder(), 'my-digest');
    const init = await gazette('init', dir, '--title', 'My "Digest"', '--language', 'zh-CN', '--timezone', 'Asia/Shanghai');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('gazette.toml');
    expect(init.stdout).toMatch(/Next: cd .*my-digest && gazette preview --drafts/);
    const files = Object.keys(await snapshot(dir)).sort();
    expect(files.filter((f) => !f.startsWith('content/'))).toEqual([
      '.gitignore',
      'email-templates/confirm.mjml',
      'email-templates/issue.mjml',
      'gazette.toml',
      'page-templates/layout.hbs',
    ]);
    expect(files.filter((f) => f.startsWith('content/'))).toEqual([expect.stringMatching(/^content\/\d{4}-\d\d-\d\d-welcome\.md$/)]);
    const config = path.join(dir, 'gazette.toml');
    expect(await readFile(config, 'utf8')).toContain('title = "My \\"Digest\\""');
    // The sample issue is a draft: never built, never sent. The placeholder base_url is warned of.
    const first = await gazette('build', '--config', config);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Built 0 issues \(left out: 1 draft\)/);
    expect(first.stderr).toContain('site.base_url is still a placeholder on example.com (as gazette init writes it); set it to where out/ is served');
    const created = await gazette('new', 'Hello, World!', '--config', config, '--date', '2026-11-20T09:30');
    expect(created.code, created.stderr).toBe(0);
    const issue = await readFile(path.join(dir, 'content', '2026-11-20-hello-world.md'), 'utf8');
    expect(issue).toContain('title = "Hello, World!"');
    expect(issue).toContain('date = 2026-11-20T09:30:00+08:00');
    expect(issue).toContain('draft = true');
    await writeFile(path.join(dir, 'content', '2026-11-20-hello-world.md'), `${issue.replace('draft = true', 'draft = false')}Body.\n`);
    const second = await gazette('build', '--config', config);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^Built 1 issue /);
  });

  it('init never overwrites a file, and says which it kept', async () => {
    const dir = await emptyFolder();
    await writeFile(path.join(dir, 'gazette.toml'), 'mine');
    await writeFile(path.join(dir, '.gitignore'), 'also mine');
    const run = await gazette('init', dir);
    expect(run.code).toBe(0);
    expect(await readFile(path.join(dir, 'gazette.toml'), 'utf8')).toBe('mine');
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toBe('also mine');
    expect(run.stderr).toMatch(/kept .*gazette\.toml \(it exists; init never overwrites\)/);
    const before = await snapshot(dir);
    await gazette('init', dir);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('new: a CJK title gets the date as its slug, never a mangled one; it never overwrites; bad flags are clear', async () => {
    const dir = await emptyFolder();
    await gazette('init', dir, '--timezone', 'Asia/Shanghai');
    const config = path.join(dir, 'gazette.toml');
    const cjk = await gazette('new', 'AI 技术日报｜第一期', '--date', '2026-11-21', '--config', config);
    expect(cjk.code, cjk.stderr).toBe(0);
    expect(cjk.stdout).toMatch(/Created .*content\/2026-11-21\.md \(slug 2026-11-21/);
    // A second Chinese-titled issue that day: the next free slug, said so; the first file is untouched.
    const first = await readFile(path.join(dir, 'content', '2026-11-21.md'), 'utf8');
    const again = await gazette('new', '另一期', '--date', '2026-11-21', '--config', config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Created .*content\/2026-11-21-2\.md \(slug 2026-11-21-2: 2026-11-21 is taken already;/);
    expect(await readFile(path.join(dir, 'content', '2026-11-21.md'), 'utf8')).toBe(first);
    expect(await readFile(path.join(dir, 'content', '2026-11-21-2.md'), 'utf8')).toContain('title = "另一期"');
    expect((await gazette('new', '第三期', '--date', '2026-11-21', '--config', config)).stdout).toMatch(/2026-11-21-3\.md/);
    // Both are built, each under its own slug (the loader takes it from the file name).
    for (const f of ['2026-11-21.md', '2026-11-21-2.md']) {
      const file = path.join(dir, 'content', f);
      await writeFile(file, `${(await readFile(file, 'utf8')).replace('draft = true', 'draft = false')}正文。\n`);
    }
    const built = await gazette('build', '--config', config);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/^Built 2 issues/);
    // An asked-for slug that is taken is an error, never a quiet rename.
    expect((await gazette('new', '另一期', '--date', '2026-11-21', '--slug', 'second', '--config', config)).code).toBe(0);
    const taken = await gazette('new', '另一期', '--date', '2026-11-21', '--slug', 'second', '--config', config);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/2026-11-21-second\.md: exists already; give this issue another --slug/);
    expect((await gazette('new', 'x', '--slug', 'a/b', '--config', config)).stderr).toMatch(/--slug: .* may not contain/);
    expect((await gazette('new', 'x', '--date', '2026-02-30', '--config', config)).stderr).toMatch(/--date: cannot read "2026-02-30"/);
    expect(slugFromTitle('Ünïcode & “Quotes” — 2026!')).toBe('unicode-quotes-2026');
    expect(slugFromTitle('日本語のタイトル')).toBeUndefined();
    expect(slugFromTitle('!!!')).toBeUndefined();
  });
});
