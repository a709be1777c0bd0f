import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startServe } from '../../src/serve/index.js';
import type { RunningServer } from '../../src/serve/serve.js';
import type { Backend } from './backends.js';
import { SECRET, sendSite } from './send.js';
import type { TestSmtp } from './smtp.js';

export interface TestServe {
  server: RunningServer;
  /** `http://127.0.0.1:PORT/newsletter/`. */
  url: string;
  site: Awaited<ReturnType<typeof sendSite>>;
  logs: string[];
  /** A link from an email (under public_url) as a URL of this test server. */
  local(link: string): string;
}

/** A site with `count` subscribers and `gazette serve` running on a free loopback port, mailing through `smtp`. */
export async function startTestServe(
  smtp: TestSmtp,
  count = 0,
  extraConfig = '',
  server: { trustProxy?: boolean; extraServer?: string; env?: NodeJS.ProcessEnv; fetchText?: (url: string) => Promise<string>; backend?: Backend } = {},
): Promise<TestServe> {
  const site = await sendSite(count, { extraConfig, backend: server.backend });
  const serverKeys = [server.trustProxy ? 'trust_proxy = true' : '', server.extraServer ?? ''].filter(Boolean);
  if (serverKeys.length) {
    const { readFile, writeFile } = await import('node:fs/promises');
    const text = await readFile(site.config, 'utf8');
    await writeFile(
      site.config,
      text.replace(/^public_url = .*$/m, (line) => `${line}\n${serverKeys.join('\n')}`),
    );
  }
  const { config } = await loadConfig(site.config, 'serve', { env: { GAZETTE_SMTP_URL: smtp.url, GAZETTE_SECRET: SECRET, ...server.env } });
  const logs: string[] = [];
  const running = await startServe(config, {
    host: '127.0.0.1',
    port: 0,
    log: (l) => logs.push(l),
    ...(server.fetchText ? { fetchText: server.fetchText } : {}),
  });
  const publicUrl = config.server.publicUrl!;
  return { server: running, url: running.url, site, logs, local: (link) => link.replace(publicUrl, running.url) };
}

export function form(fields: Record<string, string>): { method: 'POST'; headers: Record<string, string>; body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

/** The first link in a captured email that goes to `route` (confirm, unsubscribe). */
export function linkIn(text: string, route: string): string {
  const m = new RegExp(`https?://\\S+/${route}\\?token=[\\w.%-]+`).exec(text);
  if (!m) throw new Error(`no ${route} link in:\n${text}`);
  return m[0];
}

export const dbOf = (serve: TestServe) => path.join(serve.site.dir, 'data', 'gazette.db');
