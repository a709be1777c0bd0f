import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { personalizeHtml, personalizeText } from '../../../src/email/index.js';
import { markersFor } from '../../../src/email/personalize.js';
import { compileTemplate } from '../../../src/email/template.js';
import type { GazetteError } from '../../../src/errors.js';
import { type RenderedSite, renderSeed, renderSite } from '../../helpers/email.js';
import { gazette, makeSite, read, snapshot } from '../../helpers/site.js';

type Seed = Awaited<ReturnType<typeof renderSeed>>;

describe('the seed digest as an email', () => {
  let seed: Seed;
  beforeAll(async () => {
    seed = await renderSeed();
  });

  it("renders with MJML strict validation, in the site language, well under Gmail's clipping size", () => {
    expect(seed.warnings).toEqual([]);
    const { html } = seed.email;
    expect(html).toMatch(/^<!doctype html>\s*<html lang="zh-CN"/);
    expect(Buffer.byteLength(html)).toBeLessThan(60 * 1024);
    expect(html).toContain('<title>AI 技术深度日报｜2026-02-23</title>');
    expect(html).toContain('2026年2月23日');
  });

  it('hides the preheader without white-on-white text', () => {
    const { html } = seed.email;
    const preheader = /<div style="([^"]*)">(导读：本期样刊[^<]*)<\/div>/.exec(html);
    expect(preheader).not.toBeNull();
    expect(preheader![1]).toContain('display:none');
    expect(preheader![1]).not.toMatch(/color|font-size:0/);
    expect(html).not.toContain('mj-preview');
  });

  it('sets the Chinese-first font stack once, line height 1.7, and colour-scheme support', () => {
    const { html } = seed.email;
    expect(html).toContain("font-family:-apple-system, BlinkMacSystemFont, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC'");
    expect(html).toContain('line-height:1.7');
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
  });

  it('inlines the styles that matter, and keeps every <style> block small and flat', () => {
    const { html } = seed.email;
    expect(html).toMatch(/<h2 style="[^"]*font-size:20px[^"]*">1\) 推理网关升级/);
    expect(html).toMatch(/<strong style="[^"]*font-weight:700[^"]*">是什么<\/strong>/);
    expect(html).toMatch(/<blockquote style="[^"]*border-left:4px solid/);
    expect(html).toMatch(/<code style="[^"]*font-family:Menlo[^"]*">tenant_id mismatch<\/code>/);
    const styles = [...html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles.join('').length).toBeLessThan(16 * 1024);
    for (const css of styles) {
      // No nested at-rules: an @media inside an @media (or @supports) makes Gmail drop the block.
      expect(css).not.toMatch(/@media[^{]*\{[^}]*@/);
    }
  });

  it('writes a plain-text part from the same Markdown tree', () => {
    const { text } = seed.email;
    expect(text).toContain('# 技术日报样刊（2026-02-23）');
    expect(text).toContain('## 1) 推理网关升级：切换密钥后缓存失效');
    expect(text).toContain('- 是什么：某推理网关在轮换密钥后');
    expect(text).toContain('1. 基础设施成为竞争核心');
    expect(text).toContain('> 导读：本期样刊由测试夹具生成');
    expect(text).toContain(`退订: ${markersFor(seed.email.nonce).unsubscribeUrl}`);
    expect(text).toContain('在浏览器中查看: https://news.example.com/posts/seed-digest/');
    expect(text).toContain('1 Test Street, Springfield');
    expect(text).not.toMatch(/<[a-z]|\*\*/);
    // Chinese paragraphs are never hard-wrapped.
    const longest = Math.max(...text.split('\n').map((l) => Array.from(l).length));
    expect(longest).toBeGreaterThan(80);
  });

  it('fills per-subscriber values afterwards, escaped', () => {
    const recipient = { unsubscribeUrl: 'https://news.example.com/u?t=a&b="x"', name: '<b>Ann</b>', email: 'ann@example.org' };
    const html = personalizeHtml(seed.email, recipient);
    expect(html).toContain('href="https://news.example.com/u?t=a&amp;b=&quot;x&quot;"');
    expect(html).not.toContain(`GAZETTE_${seed.email.nonce}`);
    const text = personalizeText(seed.email, { ...recipient, unsubscribeUrl: 'https://x/\r\nBcc: evil' });
    expect(text).toContain('退订: https://x/Bcc: evil');
    expect(text).not.toContain(`GAZETTE_${seed.email.nonce}`);
  });
});

describe('escaping and typography', () => {
  let site: RenderedSite;
  beforeAll(async () => {
    site = await renderSite({
      'content/hostile.md': [
        '+++',
        'title = "<script>alert(1)</script> a & b \\"q\\""',
        'date = 2026-03-01',
        'tags = ["<i>x</i>"]',
        '+++',
        '',
        '*强调*与 **粗体**，`<code>` 和 <script>alert(2)</script>',
        '',
        '```',
        `${'a_very_long_unbroken_token_'.repeat(20)}`,
        '```',
        '',
        '- [x] done',
        '- [ ] todo',
        '',
        '| 左 | 右 |',
        '|:--|--:|',
        '| 1 | 2 |',
      ].join('\n'),
    });
  });

  it('shows a hostile title as text, in the HTML and the subject', () => {
    const email = site.emails.get(site.issues[0]!)!;
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; a &amp; b &quot;q&quot;');
    expect(email.html).not.toMatch(/<script|alert\(2\)/);
    expect(email.text).not.toContain('alert(2)');
    expect(email.text).toContain('强调与 粗体，<code> 和');
    expect(email.subject).toBe('<script>alert(1)</script> a & b "q"');
  });

  it('uses weight, not italics, for CJK emphasis; wraps code; keeps table alignment; checkboxes as characters', () => {
    const { html, text } = site.emails.get(site.issues[0]!)!;
    expect(html).toMatch(/<em style="font-style:normal;font-weight:700">强调<\/em>/);
    expect(html).toMatch(/<pre style="[^"]*white-space:pre-wrap/);
    expect(html).toMatch(/<td[^>]*text-align:right[^>]*>2<\/td>/);
    expect(html).toContain('☑ done');
    expect(html).not.toContain('<input');
    expect(text).toContain('- [x] done');
    expect(text).toContain('左: 1; 右: 2');
    expect(text).toContain(`    ${'a_very_long_unbroken_token_'.repeat(2)}`);
  });

  it('uses italics for emphasis in languages that have them', async () => {
    const en = await renderSite(
      { 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\n*emphasis* and [a link](https://example.org/x)\n' },
      (await import('../../helpers/site.js')).BASE_CONFIG.replace('zh-CN', 'en'),
    );
    const email = en.emails.get(en.issues[0]!)!;
    expect(email.html).toContain('<em style="font-style:italic">emphasis</em>');
    expect(email.html).toContain('View in browser');
    expect(email.text).toContain('emphasis and a link [1]');
    expect(email.text).toMatch(/Links\n\n\[1\] https:\/\/example\.org\/x/);
  });
});

describe('templates', () => {
  const fail = (source: string): GazetteError => {
    try {
      compileTemplate(source, 'email-templates/issue.mjml').fill({ issue: { title: 't' } });
    } catch (err) {
      return err as GazetteError;
    }
    throw new Error('expected an error');
  };

  it('names the template file and line of a syntax error', () => {
    const err = fail('<mjml>\n<mj-body>\n{{#if issue.title}}\n</mj-body>\n</mjml>\n');
    expect(err.format()).toMatch(/^email-templates\/issue\.mjml:\d+: email template: /);
  });

  it('names a misspelt variable and its line', () => {
    const err = fail('<mjml>\n<mj-body>\n{{issue.titel}}\n</mj-body>\n</mjml>\n');
    expect(err.format()).toMatch(/^email-templates\/issue\.mjml:3:\d+: email template: "titel" not defined/);
  });

  it('a broken template stops the build with one line naming it, out/ untouched', async () => {
    const dir = await makeSite({ 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nbody\n' });
    const config = path.join(dir, 'gazette.toml');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const before = await snapshot(path.join(dir, 'out'));
    await mkdir(path.join(dir, 'email-templates'));
    await writeFile(path.join(dir, 'email-templates', 'issue.mjml'), '<mjml><mj-body>{{issue.nope}}</mj-body></mjml>');
    const run = await gazette('build', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \S*email-templates\/issue\.mjml:1:\d+: email template: "nope" not defined in \[object Object\]$/);
    expect(await snapshot(path.join(dir, 'out'))).toEqual(before);
  });

  it('MJML problems fail strict rendering, naming the template', async () => {
    await expect(
      renderSite({
        'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nbody\n',
        'email-templates/issue.mjml': '<mjml><mj-body><mj-section><mj-text bogus="1">{{issue.title}}</mj-text></mj-section></mj-body></mjml>',
      }),
    ).rejects.toThrow(/email template: MJML: <mj-text> .*(near line 1)/);
  });
});

describe('gazette build and out/email/', () => {
  it("writes each published issue's email and text part, with a sample unsubscribe link", async () => {
    const dir = await makeSite({
      'content/one.md': '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello.\n',
      'content/draft.md': '+++\ntitle = "Draft"\ndate = 2026-01-02\ndraft = true\n+++\nSecret.\n',
    });
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    const out = path.join(dir, 'out');
    expect((await readdir(path.join(out, 'email'))).sort()).toEqual(['one.html', 'one.txt']);
    const html = await read(out, 'email/one.html');
    expect(html).toContain('href="https://news.example.com/unsubscribe?token=preview"');
    expect(await read(out, 'email/one.txt')).toContain('退订: https://news.example.com/unsubscribe?token=preview');
  });

  it('renders an unchanged issue once: later builds read the cache until the issue or template changes', async () => {
    const dir = await makeSite({ 'content/one.md': '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello.\n' });
    const config = path.join(dir, 'gazette.toml');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    const cacheDir = path.join(dir, '.gazette-cache', 'email');
    const [entry] = (await readdir(cacheDir)).filter((name) => name.endsWith('.json'));
    // Tamper with the cached render: if the next build uses the cache, the tampering shows.
    const cached = JSON.parse(await read(cacheDir, entry!));
    await writeFile(path.join(cacheDir, entry!), JSON.stringify({ ...cached, html: cached.html.replace('Hello.', 'FROM-CACHE') }));
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(path.join(dir, 'out'), 'email/one.html')).toContain('FROM-CACHE');
    // Change the issue: rendered afresh, and the stale entry is pruned.
    await writeFile(path.join(dir, 'content/one.md'), '+++\ntitle = "One"\ndate = 2026-01-01\n+++\nHello again.\n');
    expect((await gazette('build', '--config', config)).code).toBe(0);
    expect(await read(path.join(dir, 'out'), 'email/one.html')).toContain('Hello again.');
    expect((await readdir(cacheDir)).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  });

  it('warns when an email passes 90 KB, and when the postal address is missing', async () => {
    const long = Array.from({ length: 900 }, (_, i) => `${i}. 这是一段很长的中文内容，用来测试邮件的大小是否超过限制。`).join('\n\n');
    const dir = await makeSite(
      { 'content/long.md': `+++\ntitle = "Long"\ndate = 2026-01-01\n+++\n${long}\n` },
      '[site]\ntitle = "T"\nbase_url = "https://e.example/"\n',
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: .*long\.md: the email is \d+ KB; Gmail clips messages over 102 KB/);
    expect(run.stderr).toContain('warning: email.postal_address is empty');
  });
});

describe("Gazette's own templates, precompiled when Gazette is built", () => {
  it('fill exactly as the templates compiled from their source, and are found by the source of each', async () => {
    const { createHash } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    const { ROOT } = await import('../../helpers/site.js');
    const { templateContext } = await import('../../../src/email/render.js');
    const { emailLabels, readerWords } = await import('../../../src/i18n/index.js');
    const require = createRequire(import.meta.url);
    // Made by `npm run build` (which `npm test` runs first).
    const shipped = require(path.join(ROOT, 'dist', 'bundle', 'precompiled-templates.cjs')) as { version: string; templates: Record<string, object> };
    const runtime = require('handlebars/dist/handlebars.runtime.min.js') as { create(): { template(spec: object): (context: object) => string } };
    expect(shipped.version).toBe((require('handlebars/package.json') as { version: string }).version);
    const seed = await renderSeed();
    const { config, issue } = seed;
    const contexts: Record<string, object[]> = {
      'email-templates/issue.mjml': [
        templateContext(issue, config, '<p>Body &amp; <b>bold</b> “quoted”</p>', emailLabels('zh-CN', 'T'), markersFor('0123456789ABCDEF')),
        templateContext(issue, { ...config, email: { ...config.email, postalAddress: '' } }, '', emailLabels('en', 'T'), markersFor('0123456789ABCDEF')),
      ],
      'email-templates/confirm.mjml': [true, false].map((address) => ({
        site: { title: 'A <b>site</b>', description: '', url: 'https://example.com/', language: 'zh-CN' },
        words: readerWords('zh-CN', 'A site'),
        confirm_url: 'https://example.com/confirm?token=a&b',
        email: { postal_address: address ? '1 Main St' : '' },
      })),
      'page-templates/layout.hbs': [
        {
          site: { title: 'T & "quotes"', url: 'https://example.com/', language: 'en' },
          title: 'Page <1>',
          description: 'D',
          url: 'https://example.com/x/',
          kind: 'article',
          feeds: [{ type: 'application/rss+xml', label: 'RSS', url: 'https://example.com/rss.xml' }],
          style: 'body{}',
          main: '<p>main</p>',
          subscribe: '<form></form>',
        },
      ],
    };
    for (const [rel, list] of Object.entries(contexts)) {
      const source = await readFile(path.join(ROOT, rel), 'utf8');
      const spec = shipped.templates[createHash('sha256').update(source).digest('hex')];
      expect(spec, `${rel} is precompiled as it is now`).toBeDefined();
      const fill = runtime.create().template(spec!);
      for (const context of list) expect(fill(context)).toBe(compileTemplate(source, rel).fill(context));
    }
  });
});
