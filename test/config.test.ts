import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gazette, makeSite } from './helpers/site.js';

const issue = '+++\ntitle = "x"\ndate = 2026-01-01\n+++\nbody\n';

describe('gazette.toml', () => {
  it('reports every missing or mistyped key in one run, with its path and the file', async () => {
    const dir = await makeSite(
      { 'content/a.md': issue },
      '[site]\ndescription = 3\nlanguage = "not a language!"\ntimezone = "Mars/Base"\n[feeds]\nlimit = "ten"\n',
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n');
    for (const key of [
      'site.title: required',
      'site.base_url: required',
      'site.description: expected a string',
      'site.language:',
      'site.timezone:',
      'feeds.limit: expected a whole number',
    ]) {
      expect(
        lines.some((l) => l.startsWith('error: ') && l.includes('gazette.toml: ') && l.includes(key)),
        key,
      ).toBe(true);
    }
  });

  it('an unknown key stops the commands that read its section, and is a warning for the others', async () => {
    const extra = '[extra]\nx = 1\n[smtp]\nhots = "mail.example.org"\n';
    const dir = await makeSite({ 'content/a.md': issue }, `[site]\ntitle = "T"\nbase_url = "https://e.example/"\n${extra}`);
    const config = path.join(dir, 'gazette.toml');
    // build reads no [smtp]: warned of, and built.
    let run = await gazette('build', '--config', config);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: ');
    expect(run.stderr).toContain('smtp.hots: unknown key, ignored (did you mean host?)');
    expect(run.stderr).toContain('extra: unknown key');
    // send reads [smtp]: stopped, naming the key.
    run = await gazette('send', '--yes', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('smtp.hots: unknown key (did you mean smtp.host?); `gazette send` reads [smtp], so it stops rather than ignore it');
    expect(run.stderr).not.toContain('extra');
    // A key unknown in [site], which build reads: stopped too.
    await writeFile(config, `[site]\ntitle = "T"\nbase_url = "https://e.example/"\ncolour = "blue"\n`);
    run = await gazette('build', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('site.colour: unknown key; `gazette build` reads [site]');
  });

  it('rejects a relative base_url and a permalink without {slug}', async () => {
    const dir = await makeSite({}, '[site]\ntitle = "T"\nbase_url = "/blog/"\npermalink = "/posts/{name}/"\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('site.base_url: expected an absolute URL');
    expect(run.stderr).toContain('site.permalink: must contain {slug}');
  });

  it('names the line of a TOML syntax error', async () => {
    const dir = await makeSite({}, '[site]\ntitle = "T"\nbase_url = https://x\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*gazette\.toml:3:\d+: invalid TOML: /);
  });

  it('says when the config file does not exist', async () => {
    const run = await gazette('build', '--config', '/nonexistent/gazette.toml');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: /nonexistent/gazette.toml: config file not found (use --config PATH)');
  });

  it('refuses an output folder that would swallow the site', async () => {
    const dir = await makeSite({ 'content/a.md': issue }, '[site]\ntitle = "T"\nbase_url = "https://e.example/"\n[build]\nout = "."\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('build.out');
  });

  it('resolves paths relative to the config file, not the working folder', async () => {
    const dir = await makeSite(
      { 'digests/a.md': issue },
      '[site]\ntitle = "T"\nbase_url = "https://e.example/"\n[content]\ndir = "digests"\n[build]\nout = "public"\n',
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Built 1 issue .*public/);
  });
});
