import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { GazetteErrors } from '../../../src/errors.js';
import { previewHost } from '../../../src/preview/host.js';
import { startPreview } from '../../../src/preview/index.js';
import type { RunningPreview } from '../../../src/preview/preview.js';
import { sendConfig } from '../../helpers/send.js';
import { gazette, makeSite, snapshot } from '../../helpers/site.js';

let preview: RunningPreview | undefined;
afterEach(async () => {
  await preview?.close();
  preview = undefined;
});

const ISSUE = (title: string, date: string) =>
  `+++\ntitle = "${title}"\ndate = ${date}\n+++\n\nSee [the other issue](/posts/two/) and ![a diagram](diagram.svg).\n`;

async function start(dir: string): Promise<{ preview: RunningPreview; logs: string[] }> {
  const logs: string[] = [];
  const running = await startPreview({
    loadConfig: async () => (await loadConfig(path.join(dir, 'gazette.toml'))).config,
    host: '127.0.0.1',
    port: 0,
    log: (l) => logs.push(l),
    formatError: (err) => (err instanceof GazetteErrors ? err.problems.map((p) => `error: ${p.format()}`) : [`error: ${(err as Error).message}`]),
  });
  return { preview: running, logs };
}

/** A request sent as written (fetch would normalise its path before it leaves), and the answer read apart. */
async function rawRequest(port: number, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const chunks: Buffer[] = [];
    for (let at = 0, size = 1; size > 0; ) {
      const end = body.indexOf('\r\n', at);
      size = Number.parseInt(body.subarray(at, end).toString('latin1'), 16);
      chunks.push(body.subarray(end + 2, end + 2 + size));
      at = end + 2 + size + 2;
    }
    body = Buffer.concat(chunks);
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gazette preview', () => {
  it('serves the site with every generated link pointing at itself, never at base_url, and leaves out/ alone', async () => {
    const dir = await makeSite(
      {
        'content/one/index.md': ISSUE('One', '2026-02-01'),
        'content/one/diagram.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
        'content/two.md': ISSUE('Two', '2026-02-02'),
      },
      sendConfig(),
    );
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out'));
    ({ preview } = await start(dir));
    for (const page of ['', 'posts/one/', 'posts/two/', 'rss.xml', 'atom.xml', 'feed.json']) {
      const res = await fetch(`${preview.url}${page}`);
      expect(res.status, page).toBe(200);
      const text = await res.text();
      // base_url is https://news.example.com/; only the subscribe form goes to the real `serve` (public_url).
      expect(text, page).not.toMatch(/https:\/\/news\.example\.com\/(?!newsletter\/subscribe)/);
      expect(text, page).toContain(preview.url);
    }
    const bundle = await fetch(`${preview.url}posts/one/diagram.svg`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('image/svg+xml');
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('no request line reaches a file outside its folder: encoded, double-encoded and backslashed ../ sent raw', async () => {
    const dir = await makeSite({ 'content/one.md': ISSUE('One', '2026-02-01') }, sendConfig());
    ({ preview } = await start(dir));
    const { port } = new URL(preview.url);
    // fetch() would normalise these away before they leave: a socket sends them as written.
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const depth = '..%2f'.repeat(12);
    for (const target of [
      '/../../../../etc/passwd',
      `/${depth}etc/passwd`,
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      `/${'..%252f'.repeat(12)}etc/passwd`,
      `/${'..%5c'.repeat(12)}etc/passwd`,
      `/posts/${depth}${depth}etc/passwd`,
      // The site's own folder is outside too: the config, the database.
      `/${depth}gazette.toml`,
      '/..%2f..%2f..%2fgazette.toml',
    ]) {
      const answer = await raw(target);
      expect(answer.slice(0, 12), target).toMatch(/^HTTP\/1\.1 (400|404)/);
      expect(answer, target).not.toContain('root:');
      expect(answer, target).not.toContain('[site]');
    }
    expect((await raw('/')).slice(0, 15)).toBe('HTTP/1.1 200 OK');
  });

  it('shows a change within seconds, a build error on the page while keeping the last good pages, and recovers', async () => {
    const dir = await makeSite({ 'content/one.md': ISSUE('One', '2026-02-01') }, sendConfig());
    let logs: string[];
    ({ preview, logs } = await start(dir));
    const home = async () => (await fetch(preview!.url)).text();
    expect(await home()).toContain('/__gazette/events');
    await writeFile(path.join(dir, 'content', 'fresh.md'), ISSUE('Freshly written', '2026-02-03'));
    await eventually(async () => (await home()).includes('Freshly written'));
    await writeFile(path.join(dir, 'content', 'broken.md'), '+++\ntitle = "Broken"\n');
    await eventually(async () => (await home()).includes('id="gazette-error"'));
    const page = await home();
    expect(page).toContain('front matter opened with +++ is never closed');
    expect(page).toContain('Freshly written');
    expect(logs.some((l) => l.includes('never closed'))).toBe(true);
    await rm(path.join(dir, 'content', 'broken.md'));
    await eventually(async () => !(await home()).includes('id="gazette-error"'));
  });

  it("shows each issue's email beside its page: both widths, light and dark, subject, preheader, size, text part", async () => {
    const dir = await makeSite({ 'content/one.md': `${ISSUE('One', '2026-02-01')}\nA summary sentence for the inbox.\n` }, sendConfig());
    ({ preview } = await start(dir));
    const page = await (await fetch(`${preview.url}posts/one/`)).text();
    expect(page).toContain('href="/__gazette/email/one/"');
    const email = await (await fetch(`${preview.url}__gazette/email/one/`)).text();
    expect(email).toContain('<iframe src="/__gazette/email/one/email.html" width="375"');
    expect(email).toContain('width="600"');
    expect(email).toContain('color-scheme:dark');
    expect(email).toMatch(/Size: \d+\.\d KB of the 102 KB/);
    expect(email).toMatch(/SpamAssassin: /);
    expect(email).toContain('<b>One</b>');
    expect(email).toContain('退订');
    const frame = await fetch(`${preview.url}__gazette/email/one/email.html`);
    expect(frame.status).toBe(200);
    expect(await frame.text()).toContain('One');
    const text = await readFile(path.join(dir, '.gazette-cache', 'preview', 'out', 'email', 'one.txt'), 'utf8');
    expect(text).toContain('One');
  }, 60_000);

  it('renders the email of an issue older than email.preview_limit when its preview is asked for', async () => {
    const dir = await makeSite(
      {
        'content/one.md': `${ISSUE('One', '2026-02-01')}
The older one.
`,
        'content/two.md': `${ISSUE('Two', '2026-02-02')}
The newer one.
`,
      },
      sendConfig().replace('postal_address =', 'preview_limit = 1\npostal_address ='),
    );
    ({ preview } = await start(dir));
    const out = path.join(dir, '.gazette-cache', 'preview', 'out', 'email');
    expect((await readdir(out)).sort()).toEqual(['two.html', 'two.txt']);
    expect(await (await fetch(`${preview.url}posts/one/`)).text()).toContain('href="/__gazette/email/one/"');
    const email = await (await fetch(`${preview.url}__gazette/email/one/`)).text();
    expect(email).toContain('<b>One</b>');
    expect(email).toContain('The older one.');
    expect(await (await fetch(`${preview.url}__gazette/email/one/email.html`)).text()).toContain('The older one.');
    // Rendering the older one on request keeps the newer one's cached email: the next rebuild need not render it again.
    const cached = async () => (await readdir(path.join(dir, '.gazette-cache', 'preview', 'cache', 'email'))).filter((f) => f.endsWith('.json'));
    expect(await cached()).toHaveLength(2);
    await preview.rebuild();
    expect(await cached()).toHaveLength(1);
  }, 60_000);

  it('answers GET and HEAD only, streams reloads to open pages, and says what it cannot find', async () => {
    const dir = await makeSite({ 'content/one.md': ISSUE('One', '2026-02-01') }, sendConfig());
    ({ preview } = await start(dir));
    const { port } = new URL(preview.url);
    const ask = (target: string, method = 'GET', host = `127.0.0.1:${port}`) =>
      rawRequest(Number(port), `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

    const post = await ask('/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(post.body).toBe('the preview only answers GET\n');
    expect((await ask('/posts/one/', 'HEAD')).status).toBe(200);

    const elsewhere = await ask('/', 'GET', `evil.example:${port}`);
    expect(elsewhere.status).toBe(421);
    expect(elsewhere.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(elsewhere.body).toBe('this preview answers only to its own address (localhost)\n');

    // Outside the folder; a name that is not percent-encoding; no such issue; not quite an email's address.
    const outside = await ask('/..%2f..%2fgazette.toml');
    expect([outside.status, outside.headers['content-type'], outside.body]).toEqual([404, 'text/plain; charset=utf-8', 'not found\n']);
    const bad = await ask('/%E0%A4%A');
    expect([bad.status, bad.headers['content-type'], bad.body]).toEqual([400, 'text/plain; charset=utf-8', 'bad path\n']);
    const unknown = await ask('/__gazette/email/nope/');
    expect([unknown.status, unknown.headers['content-type']]).toEqual([404, 'text/html; charset=utf-8']);
    expect(unknown.body).toContain('No such issue.');
    for (const target of ['/posts/__gazette/email/one/', '/__gazette/email/one/email.html.bak', '/__gazette/email/one/email.htmlx']) {
      const answer = await ask(target);
      expect(answer.status, target).toBe(404);
      expect(answer.body, target).toContain('Nothing here (yet).');
    }
    for (const target of ['/__gazette/email/one/', '/__gazette/email/one/email.html']) {
      const answer = await ask(target);
      expect([answer.status, answer.headers['content-type']], target).toEqual([200, 'text/html; charset=utf-8']);
    }

    // The live-reload stream: open until the page goes, one "reload" per rebuild.
    const stream = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet({ host: '127.0.0.1', port, path: '/__gazette/events' }, resolve).on('error', reject),
    );
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-store');
    let received = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (received += d));
    await eventually(async () => received === ': connected\n\n');
    await preview.rebuild();
    await eventually(async () => received === ': connected\n\ndata: reload\n\n');
    stream.destroy();
    await preview.rebuild();
    expect((await ask('/')).status).toBe(200);
  }, 60_000);
});

describe('the names preview answers to', () => {
  it('localhost, the name it listens on in any case, and addresses written as numbers, each with its own port', () => {
    const known = previewHost('Digest.Test', 4000);
    for (const host of [
      'localhost:4000',
      'LOCALHOST:4000',
      'digest.test:4000',
      'DIGEST.test:4000',
      '127.0.0.1:4000',
      '10.0.0.5:4000',
      '[::1]:4000',
      '[FE80::1]:4000',
    ])
      expect(known(host), host).toBe(true);
    for (const host of [
      undefined,
      '',
      'localhost',
      '[::1]',
      'localhost:4001',
      'localhost:40000',
      'evil.example:4000',
      'localhost.evil.example:4000',
      'evil.example:localhost:4000',
      'localhost:4000evil',
      'localhost:4000:4000',
      '[evil]:4000',
      '[::1]evil:4000',
      'digest.test.:4000',
    ])
      expect(known(host), String(host)).toBe(false);
    // No port written means 80.
    const onEighty = previewHost('127.0.0.1', 80);
    expect(onEighty('localhost')).toBe(true);
    expect(onEighty(undefined)).toBe(false);
    expect(onEighty('[::1]')).toBe(true);
    expect(onEighty('localhost:80')).toBe(true);
    expect(onEighty('localhost:8080')).toBe(false);
  });
});
