#!/usr/bin/env node
// Screenshots of an issue's email for README.md: light at 600 px, light and dark at 375 px.
//   node scripts/screenshots.mjs [path/to/out/email/<slug>.html]
// Default: builds the shared seed digest. Needs Debian's chromium (apt-get install chromium fonts-noto-cjk).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The shared real digest beside the project when there is one, else the project's own fixture. */
function seedDigest(root) {
  const shared = path.resolve(root, '../shared/fixtures/seed-digest.md');
  return existsSync(shared) ? shared : path.join(root, 'test', 'fixtures', 'digest-zh.md');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let file = process.argv[2];
if (!file) {
  const site = mkdtempSync(path.join(tmpdir(), 'gazette-shot-'));
  mkdirSync(path.join(site, 'content'));
  cpSync(seedDigest(root), path.join(site, 'content', 'seed-digest.md'));
  writeFileSync(
    path.join(site, 'gazette.toml'),
    '[site]\ntitle = "AI 技术深度日报"\nbase_url = "https://news.example.com/"\nlanguage = "zh-CN"\ntimezone = "Asia/Shanghai"\n[email]\npostal_address = "1 Example Street, Springfield"\n',
  );
  execFileSync(process.execPath, [path.join(root, 'bin/gazette.js'), 'build', '--config', path.join(site, 'gazette.toml')], { stdio: 'inherit' });
  file = path.join(site, 'out', 'email', 'seed-digest.html');
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
for (const [name, width, height, colorScheme] of [
  ['email-600.png', 600, 900, 'light'],
  ['email-375.png', 375, 812, 'light'],
  ['email-375-dark.png', 375, 812, 'dark'],
]) {
  const page = await browser.newPage({ viewport: { width, height }, colorScheme, deviceScaleFactor: 1 });
  await page.goto(`file://${path.resolve(file)}`);
  await page.screenshot({ path: path.join(root, 'docs', name) });
  await page.close();
  console.log(`docs/${name}`);
}
await browser.close();
