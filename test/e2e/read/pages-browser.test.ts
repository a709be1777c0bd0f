import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MODEL_TABLE, tableAt375 } from '../../helpers/cells.js';
import { gazette, makeSite, ROOT } from '../../helpers/site.js';
import { CHROMIUM, describeWith, launchChromium } from '../../helpers/system.js';

describeWith(CHROMIUM, 'apt-get install chromium fonts-noto-cjk', 'the archive in a real browser (Chromium)', () => {
  let browser: Browser;
  let out: string;

  beforeAll(async () => {
    const wide = [
      '+++\ntitle = "一个很长的标题，用来测试页面会不会被撑宽 Supercalifragilisticexpialidocious"\ndate = 2026-03-01\ntags = ["AI"]\n+++',
      `见 https://example.com/very/long/path/${'segment/'.repeat(20)}?utm_source=${'x'.repeat(80)}`,
      `| ${Array.from({ length: 9 }, (_, i) => `column_heading_${i}`).join(' | ')} |\n|${'---|'.repeat(9)}\n| ${Array.from({ length: 9 }, () => 'averyveryverylongcellvalue').join(' | ')} |`,
      `\`\`\`\nconst x = "${'x'.repeat(300)}";\n\`\`\``,
      `\`${'inline_code_without_spaces_'.repeat(8)}\``,
    ].join('\n\n');
    const dir = await makeSite({ 'content/wide.md': wide, 'content/tables.md': `+++\ntitle = "本周模型速览"\ndate = 2026-03-02\n+++\n\n${MODEL_TABLE}\n` });
    expect((await gazette('build', '--config', path.join(dir, 'gazette.toml'))).code).toBe(0);
    out = path.join(dir, 'out');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('a table at 375 px keeps every model name whole in its cell and scrolls sideways instead', async () => {
    const page = `file://${path.join(out, 'posts', 'tables', 'index.html')}`;
    const table = await tableAt375(browser, page, path.join(ROOT, 'test-results', 'page-tables-375.png'), 'table');
    expect(table.broken).toEqual([]);
    expect(table.page).toBeLessThanOrEqual(375);
    expect(table.content).toBeGreaterThan(table.visible);
  });

  it('opens rss.xml and atom.xml readably, through the feed stylesheet', async () => {
    const { createServer } = await import('node:http');
    const { readFile } = await import('node:fs/promises');
    const server = createServer(async (req, res) => {
      const body = await readFile(path.join(out, decodeURIComponent(req.url ?? '/'))).catch(() => undefined);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/xml' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      for (const feed of ['rss.xml', 'atom.xml', 'tags/ai/rss.xml']) {
        const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
        await page.goto(`http://127.0.0.1:${port}/${feed}`);
        expect(await page.textContent('h1'), feed).toContain('Test Digest');
        expect(await page.locator('li a').count(), feed).toBeGreaterThan(0);
        await page.close();
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the email preview page of gazette preview fits 375 and 1280 px', async () => {
    const { startPreview } = await import('../../../src/preview/index.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const preview = await startPreview({
      loadConfig: async () => (await loadConfig(path.join(out, '..', 'gazette.toml'))).config,
      host: '127.0.0.1',
      port: 0,
      log: () => undefined,
      formatError: (err) => [String(err)],
    });
    try {
      for (const width of [375, 1280]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`${preview.url}__gazette/email/wide/`);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${width}`).toBeLessThanOrEqual(width);
        await page.close();
      }
    } finally {
      await preview.close();
    }
  });

  for (const width of [375, 1280]) {
    for (const [name, file] of [
      ['the home page', 'index.html'],
      ['an issue with long URLs, a wide table and long code', 'posts/wide/index.html'],
    ] as const) {
      it(`${name} is no wider than a ${width} px screen`, async () => {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`file://${path.join(out, file)}`);
        await page.screenshot({ path: path.join(ROOT, 'test-results', `page-${file.replace(/\W+/g, '-')}-${width}.png`), fullPage: true });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await page.close();
      });
    }
  }
});
