import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { personalizeHtml } from '../../../src/email/index.js';
import { MODEL_TABLE, tableAt375 } from '../../helpers/cells.js';
import { renderSeed, renderSite } from '../../helpers/email.js';
import { ROOT } from '../../helpers/site.js';
import { CHROMIUM, describeWith, launchChromium } from '../../helpers/system.js';

const ARTIFACTS = path.join(ROOT, 'test-results');
const sample = { unsubscribeUrl: 'https://news.example.com/unsubscribe?token=preview', email: 'reader@example.org' };

interface Layout {
  scrollWidth: number;
  widest: { right: number; tag: string; text: string };
  cardBackground: string;
  bodyColor: string;
}

describeWith(CHROMIUM, 'apt-get install chromium fonts-noto-cjk', 'the email in a real browser (Chromium)', () => {
  let browser: Browser;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const seed = await renderSeed();
    files.seed = path.join(ARTIFACTS, 'email-seed.html');
    await writeFile(files.seed, personalizeHtml(seed.email, sample));
    // Content built to push the layout: a long URL, a wide table, a long line of code, a big image.
    const wide = await renderSite({
      'content/wide.md': [
        '+++\ntitle = "一个非常非常长的标题，用来测试在手机上是否会把邮件撑宽，Supercalifragilisticexpialidocious"\ndate = 2026-03-01\n+++',
        `见 https://example.org/${'a'.repeat(150)}?q=${'b'.repeat(60)}`,
        `| ${Array.from({ length: 9 }, (_, i) => `column_heading_${i}`).join(' | ')} |\n|${'---|'.repeat(9)}\n| ${Array.from({ length: 9 }, () => 'averyveryverylongcellvalue').join(' | ')} |`,
        `\`\`\`\nconst x = "${'x'.repeat(300)}";\n\`\`\``,
        '![big](https://example.org/big.png)',
        `\`${'inline_code_without_spaces_'.repeat(8)}\``,
      ].join('\n\n'),
    });
    files.wide = path.join(ARTIFACTS, 'email-wide.html');
    await writeFile(
      files.wide,
      personalizeHtml(wide.emails.get(wide.issues[0]!)!, sample).replace(
        'https://example.org/big.png',
        'data:image/svg+xml,' +
          encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="400"><rect width="1600" height="400" fill="#3b82f6"/></svg>'),
      ),
    );
    const tables = await renderSite({ 'content/tables.md': `+++\ntitle = "本周模型速览"\ndate = 2026-03-02\n+++\n\n${MODEL_TABLE}\n` });
    files.tables = path.join(ARTIFACTS, 'email-tables.html');
    await writeFile(files.tables, personalizeHtml(tables.emails.get(tables.issues[0]!)!, sample));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string, width: number, colorScheme: 'light' | 'dark', shot: string): Promise<Layout> {
    const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme });
    await page.goto(`file://${file}`);
    await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
    const layout = await page.evaluate(() => {
      let widest = { right: 0, tag: '', text: '' };
      // What scrolls inside its own box (a wide table) is clipped there: it widens nothing.
      const scrolls = (el: Element) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        let inside = el.parentElement;
        while (inside && !scrolls(inside)) inside = inside.parentElement;
        if (inside) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 && rect.height === 0) continue;
        if (rect.right > widest.right) widest = { right: rect.right, tag: el.tagName, text: (el.textContent ?? '').slice(0, 40) };
      }
      const card = document.querySelector('.gz-card') as HTMLElement;
      return {
        scrollWidth: document.documentElement.scrollWidth,
        widest,
        cardBackground: getComputedStyle(card).backgroundColor,
        bodyColor: getComputedStyle((document.querySelector('.gz-card li') ?? document.querySelector('.gz-card p')) as HTMLElement).color,
      };
    });
    await page.close();
    return layout;
  }

  for (const width of [375, 600]) {
    it(`the seed issue fits a ${width} px screen`, async () => {
      const layout = await open(files.seed!, width, 'light', `email-seed-${width}.png`);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      expect(layout.widest.right, JSON.stringify(layout.widest)).toBeLessThanOrEqual(width + 0.5);
      expect(layout.cardBackground).toBe('rgb(255, 255, 255)');
      expect(layout.bodyColor).toBe('rgb(31, 41, 55)');
    });

    it(`long URLs, wide tables, long code and big images do not widen it at ${width} px`, async () => {
      const layout = await open(files.wide!, width, 'light', `email-wide-${width}.png`);
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      expect(layout.widest.right, JSON.stringify(layout.widest)).toBeLessThanOrEqual(width + 0.5);
    });
  }

  it('a table at 375 px keeps every model name whole in its cell and scrolls sideways instead', async () => {
    const table = await tableAt375(browser, `file://${files.tables}`, path.join(ARTIFACTS, 'email-tables-375.png'), '.gz-table');
    expect(table.broken).toEqual([]);
    // The message stays within the screen; the table is wider than its box, which scrolls.
    expect(table.page).toBeLessThanOrEqual(375);
    expect(table.content).toBeGreaterThan(table.visible);
  });

  it('turns dark where the reader asked for dark mode', async () => {
    const layout = await open(files.seed!, 375, 'dark', 'email-seed-375-dark.png');
    expect(layout.cardBackground).toBe('rgb(17, 24, 39)');
    expect(layout.bodyColor).toBe('rgb(229, 231, 235)');
    expect(layout.scrollWidth).toBeLessThanOrEqual(375);
  });
});
