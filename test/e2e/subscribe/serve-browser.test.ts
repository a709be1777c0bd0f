import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { startServe } from '../../../src/serve/index.js';
import type { RunningServer } from '../../../src/serve/serve.js';
import { findSubscriber } from '../../../src/store/index.js';
import { gazetteWith, SECRET, sendSite, withList } from '../../helpers/send.js';
import { linkIn } from '../../helpers/serve.js';
import { ROOT } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import { CHROMIUM, describeWith, launchChromium } from '../../helpers/system.js';

const ARTIFACTS = path.join(ROOT, 'test-results');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeWith(CHROMIUM, 'apt-get install chromium fonts-noto-cjk', 'a reader in a real browser: subscribe, confirm, receive, leave', () => {
  let browser: Browser;
  let smtp: TestSmtp;
  let server: RunningServer;
  let site: Awaited<ReturnType<typeof sendSite>>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    smtp = await startSmtp();
    site = await sendSite(0, { extraConfig: '' });
    const original = await (await import('node:fs/promises')).readFile(site.config, 'utf8');
    // The site's pages post to gazette serve at public_url: here, this test's server. A free port
    // can be taken by another process between finding it and listening (suites run in parallel):
    // then another is tried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        site.config,
        original.replace('public_url = "https://news.example.com/newsletter/"', `public_url = "http://127.0.0.1:${port}/newsletter/"`),
      );
      expect((await gazetteWith({}, 'build', '--config', site.config)).code).toBe(0);
      const { config } = await loadConfig(site.config, 'serve', { env: { GAZETTE_SMTP_URL: smtp.url, GAZETTE_SECRET: SECRET } });
      try {
        server = await startServe(config, { host: '127.0.0.1', port, log: () => undefined });
        break;
      } catch (err) {
        if (attempt === 5 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
      }
    }
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
  });

  const status = async (email: string) => {
    return withList(site.database, (db) => findSubscriber(db, email));
  };

  it('from the form on out/index.html to an unsubscribe from the footer link, at 375 px', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(`file://${path.join(site.dir, 'out', 'index.html')}`);
    await page.fill('input[name=email]', 'browser@example.org');
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-1-form-375.png'), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('form.subscribe button')]);
    expect(await page.textContent('h1')).toBe('请查收邮件');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-2-check-inbox-375.png') });

    for (let i = 0; i < 100 && smtp.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const confirm = linkIn(smtp.received[0]!.mail.text!, 'confirm');
    await page.goto(confirm);
    expect((await status('browser@example.org'))!.status).toBe('pending');
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-3-confirm-375.png') });
    await Promise.all([page.waitForNavigation(), page.click('button')]);
    expect(await page.textContent('h1')).toBe('订阅成功');
    expect((await status('browser@example.org'))!.status).toBe('subscribed');

    const sent = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(sent.code, sent.stderr).toBe(0);
    const issue = smtp.received.find((r) => r.mail.subject === 'Issue one')!;
    expect(issue.to).toBe('browser@example.org');
    const footer = /href="([^"]*\/unsubscribe\?token=[^"]+)"/.exec(String(issue.mail.html))![1]!.replaceAll('&amp;', '&');
    expect(/^List-Unsubscribe: <([^>]+)>/m.exec(issue.raw.replace(/\r?\n[ \t]+/g, ' '))![1]).toBe(footer);
    await page.goto(footer);
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-4-unsubscribe-375.png') });
    expect((await status('browser@example.org'))!.status).toBe('subscribed');
    await Promise.all([page.waitForNavigation(), page.click('button')]);
    expect(await page.textContent('h1')).toBe('已退订');
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve-5-unsubscribed-375.png') });
    expect(await status('browser@example.org')).toMatchObject({ status: 'unsubscribed', unsubscribed_how: 'page' });
    await page.close();
  }, 60_000);
});
