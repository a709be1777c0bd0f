import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { personalizeHtml, personalizeText, type RenderedEmail, renderEmails } from '../email/index.js';
import { composeMessage } from '../mail/index.js';
import { inside } from '../util/files.js';
import { escapeHtml as e } from '../util/html.js';
import { previewHost } from './host.js';
import { type SpamScore, spamScore } from './spam.js';

/** Gmail clips a message over this size. */
const GMAIL_CLIP = 102 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Reloads the page when the preview rebuilds (Server-Sent Events; no dependency). */
const RELOAD = `<script>new EventSource('/__gazette/events').onmessage=()=>location.reload()</script>`;

/** What the preview's routes read: set up once, and the build's results, replaced by each rebuild. */
export interface PreviewState {
  /** `http://127.0.0.1:4000/`. */
  readonly url: string;
  /** The name and port it listens on (its Host check). */
  readonly host: string;
  readonly port: number;
  /** Where the preview's site is built. */
  readonly outDir: string;
  /** The config as the preview builds with it: links to this server, its own output and cache. */
  readonly forPreview: (config: Config) => Config;
  readonly log: (line: string) => void;
  /** Open pages waiting for the next reload. */
  readonly clients: Set<ServerResponse>;
  readonly spamChecks: Map<string, Promise<SpamScore | string>>;
  config: Config;
  issues: Map<string, Issue>;
  /** Emails by slug: the build's (the newest `email.preview_limit`), and older ones as they are asked for. */
  emails: Map<string, Promise<RenderedEmail>>;
  /** The last build's error, shown on every page until a build succeeds. */
  lastError: string[];
}

/** The preview's routes: its own address only; GET and HEAD; the reload stream, the email previews, then the built files. */
export function previewRoutes(state: PreviewState): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const knownHost = previewHost(state.host, state.port);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!knownHost(request.headers.host)) return send(response, 421, 'text/plain; charset=utf-8', 'this preview answers only to its own address (localhost)\n');
    const { pathname } = new URL(request.url ?? '/', state.url);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'the preview only answers GET\n');
    if (pathname === '/__gazette/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(': connected\n\n');
      state.clients.add(response);
      request.on('close', () => state.clients.delete(response));
      return;
    }
    const emailPage = /^\/__gazette\/email\/([^/]+)\/(email\.html)?$/.exec(pathname);
    if (emailPage) {
      const slug = decodeURIComponent(emailPage[1]!);
      const issue = state.issues.get(slug);
      if (!issue) return send(response, 404, 'text/html; charset=utf-8', inject('<!DOCTYPE html><title>Not found</title><p>No such issue.</p>'));
      let email = state.emails.get(slug);
      if (!email) {
        email = renderEmails(state.forPreview(state.config), [issue], { warn: state.log, prune: false }).then((m) => m.get(issue)!);
        state.emails.set(slug, email);
        email.catch(() => state.emails.delete(slug));
      }
      if (emailPage[2]) return send(response, 200, 'text/html; charset=utf-8', inject(personalizeHtml(await email, sampleReader())));
      return send(response, 200, 'text/html; charset=utf-8', inject(await emailPreview(issue, await email)));
    }
    let file: string;
    try {
      file = path.resolve(state.outDir, `.${decodeURIComponent(pathname)}`);
    } catch {
      return send(response, 400, 'text/plain; charset=utf-8', 'bad path\n');
    }
    if (!inside(state.outDir, file)) return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (
      pathname.endsWith('/') ||
      (await stat(file).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      file = path.join(file, 'index.html');
    const body = await readFile(file).catch(() => undefined);
    if (!body) return send(response, 404, 'text/html; charset=utf-8', inject('<!DOCTYPE html><title>Not found</title><p>Nothing here (yet).</p>'));
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    if (!type.startsWith('text/html')) return send(response, 200, type, body);
    // A web page of an issue links to its email's preview.
    const issue = [...state.issues.values()].find((x) => decodeURIComponent(x.path) === decodeURIComponent(pathname));
    const bar = issue
      ? `<p style="position:fixed;right:1rem;bottom:1rem;margin:0;padding:.4rem .8rem;background:#1d4ed8;border-radius:6px;font:14px sans-serif"><a style="color:#fff" href="/__gazette/email/${encodeURIComponent(issue.slug)}/">Email preview</a></p>`
      : '';
    return send(response, 200, type, inject(body.toString('utf8'), bar));
  }

  /** The reload script, the last build error (if any) and `extra`, before `</body>`. */
  function inject(html: string, extra = ''): string {
    const banner = state.lastError.length
      ? `<pre id="gazette-error" style="position:fixed;top:0;left:0;right:0;z-index:9999;margin:0;padding:1rem;background:#7f1d1d;color:#fff;white-space:pre-wrap;font:14px/1.5 monospace">${e(state.lastError.join('\n'))}</pre>`
      : '';
    const tail = `${banner}${extra}${RELOAD}`;
    const end = html.lastIndexOf('</body>');
    return end === -1 ? html + tail : html.slice(0, end) + tail + html.slice(end);
  }

  /** Who the previewed email is addressed to. */
  function sampleReader() {
    return { unsubscribeUrl: new URL('unsubscribe?token=preview', state.config.server.publicUrl ?? state.url).href, email: 'reader@example.com' };
  }

  async function emailPreview(issue: Issue, email: RenderedEmail): Promise<string> {
    const sample = sampleReader();
    const size = Buffer.byteLength(personalizeHtml(email, sample));
    const text = personalizeText(email, sample);
    const spam = await spamOf(email);
    const src = `/__gazette/email/${encodeURIComponent(issue.slug)}/email.html`;
    const frame = (width: number, dark: boolean) =>
      `<figure><figcaption>${width} px${dark ? ', dark' : ''}</figcaption><iframe src="${src}" width="${width}" height="900" style="border:1px solid #d1d5db;color-scheme:${dark ? 'dark' : 'light'}" title="${width} px"></iframe></figure>`;
    return `<!DOCTYPE html>
<html lang="${e(state.config.site.language)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Email: ${e(issue.title)}</title>
<style>body{margin:1.5rem;font:15px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;overflow-wrap:anywhere}.inbox{max-width:48rem;padding:.75rem 1rem;border:1px solid #d1d5db;border-radius:8px}.inbox b{display:block}.inbox span{color:#6b7280}.frames{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0;max-width:100%}iframe{max-width:100%}pre{white-space:pre-wrap;max-width:48rem;padding:1rem;background:#f3f4f6}</style></head>
<body>
<p><a href="${e(issue.url)}">← ${e(issue.title)}</a></p>
<h1>Email preview</h1>
<div class="inbox"><b>${e(state.config.email.from ?? state.config.site.title)}</b><b>${e(email.subject)}</b><span>${e(issue.summary)}</span></div>
<p>Size: ${(size / 1024).toFixed(1)} KB of the ${GMAIL_CLIP / 1024} KB Gmail shows before clipping${size > GMAIL_CLIP ? ' — <strong>over: Gmail will clip it</strong>' : ''}.
${typeof spam === 'string' ? `SpamAssassin: ${e(spam)}.` : `SpamAssassin: <strong>${spam.score}</strong>${spam.rules.length ? ` (${e(spam.rules.join(', '))})` : ''}.`}</p>
<div class="frames">${frame(375, false)}${frame(600, false)}${frame(375, true)}${frame(600, true)}</div>
<h2>Plain-text part</h2>
<pre>${e(text)}</pre>
</body></html>`;
  }

  /** SpamAssassin's verdict on the issue's complete message, once per rendering, or why there is none. */
  function spamOf(email: RenderedEmail): Promise<SpamScore | string> {
    const key = createHash('sha256').update(email.html).update(email.text).digest('hex');
    let check = state.spamChecks.get(key);
    if (!check) {
      check = (async () => {
        if (!state.config.email.from) return 'set email.from to score the message';
        const message = composeMessage({
          config: state.config,
          email,
          to: { email: 'reader@example.com', name: '' },
          unsubscribeUrl: new URL('unsubscribe?token=preview', state.config.server.publicUrl ?? state.url).href,
        });
        const raw = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(message);
        return (await spamScore(raw.message as Buffer)) ?? 'not installed here (apt-get install spamassassin)';
      })();
      state.spamChecks.set(key, check);
    }
    return check;
  }

  return handle;
}

export function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}
