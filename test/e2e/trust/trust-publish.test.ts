import { link, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { startPreview } from '../../../src/preview/index.js';
import type { RunningPreview } from '../../../src/preview/preview.js';
import { gazetteWith, sendSite } from '../../helpers/send.js';
import { snapshot } from '../../helpers/site.js';

let preview: RunningPreview | undefined;
afterEach(async () => {
  await preview?.close();
  preview = undefined;
});

/** Every way a site folder can reach Gazette's private files: links (to files and folders) and a hard link, in static/ and in a bundle. */
async function plantLinks(dir: string): Promise<void> {
  const data = path.join(dir, 'data');
  await mkdir(path.join(dir, 'static', 'deep'), { recursive: true });
  await mkdir(path.join(dir, 'content', 'bundle'), { recursive: true });
  await writeFile(path.join(dir, 'content', 'bundle', 'index.md'), '+++\ntitle = "Bundle"\ndate = 2026-01-05\n+++\nA bundle.\n');
  await writeFile(path.join(dir, 'static', 'robots.txt'), 'User-agent: *\n');
  const links: Array<[string, string]> = [
    ['static/secret.txt', 'data/gazette.secret'],
    ['static/db.sqlite', 'data/gazette.db'],
    ['static/db-wal', 'data/gazette.db-wal'],
    ['static/deep/config.txt', 'gazette.toml'],
    ['static/cache', '.gazette-cache'],
    ['static/outbox', 'data/outbox'],
    ['static/data', 'data'],
    ['content/bundle/secret.txt', 'data/gazette.secret'],
  ];
  for (const [from, to] of links) await symlink(path.relative(path.dirname(path.join(dir, from)), path.join(dir, to)), path.join(dir, from));
  // The same file by another name: a hard link shares the secret's inode.
  await link(path.join(data, 'gazette.secret'), path.join(dir, 'static', 'innocent.txt'));
  await link(path.join(data, 'gazette.secret'), path.join(dir, 'content', 'bundle', 'diagram.png'));
}

/** A site with a database, its WAL, a generated secret, a built cache and an outbox: all of Gazette's private files exist. */
async function siteWithPrivateFiles() {
  const site = await sendSite(2);
  // A dry run makes the secret (no GAZETTE_SECRET) and the outbox.
  expect((await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config)).code).toBe(0);
  await writeFile(path.join(site.dir, 'data', 'gazette.db-wal'), 'wal');
  expect((await gazetteWith({ GAZETTE_SECRET: '' }, 'build', '--config', site.config)).code).toBe(0);
  await plantLinks(site.dir);
  return site;
}

const secretText = (dir: string) => readFile(path.join(dir, 'data', 'gazette.secret'), 'utf8');

describe('Gazette never publishes its private files, whatever path reaches them', () => {
  it('build: links and hard links to the database, its WAL, the secret, the config, the cache and the outbox are left out, each with a warning', async () => {
    const site = await siteWithPrivateFiles();
    const run = await gazetteWith({ GAZETTE_SECRET: '' }, 'build', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    const out = await snapshot(path.join(site.dir, 'out'));
    const names = Object.keys(out);
    expect(names).toContain('robots.txt');
    expect(
      names.some((n) => /secret|db|config|cache|outbox|innocent|diagram|data/.test(n)),
      names.join('\n'),
    ).toBe(false);
    // No file in the output holds the secret's bytes, under any name.
    const secret = await secretText(site.dir);
    for (const name of names) expect(await readFile(path.join(site.dir, 'out', name), 'utf8'), name).not.toContain(secret.trim());
    for (const planted of [
      'secret.txt',
      'db.sqlite',
      'db-wal',
      'config.txt',
      'cache',
      'outbox',
      'data/gazette.secret',
      'data/outbox',
      'innocent.txt',
      'diagram.png',
    ]) {
      expect(run.stderr, planted).toMatch(new RegExp(`warning: \\S*${planted.replaceAll('.', '\\.')}: .*never published`));
    }
  });

  it('a template that is a private file under another name (a link to the secret as layout.hbs) stops the build, publishing nothing', async () => {
    const site = await sendSite(1);
    expect((await gazetteWith({ GAZETTE_SECRET: '' }, 'send', '--dry-run', '--config', site.config)).code).toBe(0);
    await mkdir(path.join(site.dir, 'page-templates'), { recursive: true });
    await symlink(path.join('..', 'data', 'gazette.secret'), path.join(site.dir, 'page-templates', 'layout.hbs'));
    const run = await gazetteWith({ GAZETTE_SECRET: '' }, 'build', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/layout\.hbs: the page template is not a template: .*never published/);
    expect(await readdir(site.dir)).not.toContain('out');
    await rm(path.join(site.dir, 'page-templates', 'layout.hbs'));
    await mkdir(path.join(site.dir, 'email-templates'), { recursive: true });
    await link(path.join(site.dir, 'data', 'gazette.secret'), path.join(site.dir, 'email-templates', 'issue.mjml'));
    const again = await gazetteWith({ GAZETTE_SECRET: '' }, 'build', '--config', site.config);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/issue\.mjml: the email template is not a template: .*never published/);
  });

  it('preview: none of them is served', async () => {
    const site = await siteWithPrivateFiles();
    const logs: string[] = [];
    preview = await startPreview({
      loadConfig: async () => (await loadConfig(site.config)).config,
      host: '127.0.0.1',
      port: 0,
      log: (l) => logs.push(l),
      formatError: (err) => [String(err)],
    });
    for (const url of ['secret.txt', 'db.sqlite', 'deep/config.txt', 'innocent.txt', 'outbox/issue-one/', 'data/gazette.secret', 'posts/bundle/secret.txt']) {
      const res = await fetch(`${preview.url}${url}`);
      expect(res.status, url).toBe(404);
    }
    expect((await fetch(`${preview.url}robots.txt`)).status).toBe(200);
    expect(await readdir(path.join(site.dir, 'out'))).not.toContain('secret.txt');
  });
});

describe('preview answers only to its own names', () => {
  it('a request naming another host (DNS rebinding) is refused with 421; localhost, 127.0.0.1 and [::1] are served', async () => {
    const site = await sendSite(0);
    preview = await startPreview({
      loadConfig: async () => (await loadConfig(site.config)).config,
      host: '127.0.0.1',
      port: 0,
      drafts: true,
      log: () => undefined,
      formatError: (err) => [String(err)],
    });
    const port = new URL(preview.url).port;
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost:${Number(port) + 1}`,
    ]) {
      expect(await get(host), host).toBe(421);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) expect(await get(host), host).toBe(200);
  });
});
