import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../../src/config/index.js';
import { type Issue, loadIssues } from '../../../src/content/index.js';
import { loadTemplate, personalizeHtml, personalizeText } from '../../../src/email/index.js';
import { inProcessMjml, type MjmlCompiler } from '../../../src/email/mjml.js';
import { createEmailRenderer, type RenderedEmail, type ShellStore } from '../../../src/email/render.js';
import { type Shell, shapeOf, usableShell } from '../../../src/email/shell.js';
import { BUNDLED_TEMPLATE, compileTemplate } from '../../../src/email/template.js';
import { DIGEST, makeSite, SHARED_SEED } from '../../helpers/site.js';

const reader = { unsubscribeUrl: 'https://example.com/unsubscribe?token=t0k3n', email: 'reader@example.org', name: 'Reader' };
/** An email as a reader gets it: the markers (with the rendering's random nonce) filled in. */
const asSent = (email: RenderedEmail) => personalizeHtml(email, reader);

const issue = (n: number, title: string, body: string, extra = '') =>
  `+++\ntitle = ${JSON.stringify(title)}\ndate = "2026-02-${String(n).padStart(2, '0')}T08:00:00+08:00"\ntags = ["AI", "t${n}"]\n${extra}+++\n${body}\n`;

/** Contents that test the edges of "MJML copies it as it is": hostile titles, raw HTML, code, tables, footnotes. */
const CONTENT: Record<string, string> = {
  'content/a.md': issue(1, 'Quotes " and \' and <angle> & ampersand', 'Plain *text* with `code` and a [link](https://example.org/?a=1&b=2).'),
  'content/b.md': issue(
    2,
    '标题　全角空格 GazetteHole0X GAZETTE_SHELL_NONCE_',
    '| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nif (a < b && c > d) {}\n```\n\nA footnote[^1].\n\n[^1]: The note.',
  ),
  'content/c.md': issue(
    3,
    '  Leading and trailing spaces  ',
    '<div class="x" title="a>b">raw <b>HTML</b></div>\n\n<script>alert(1)</script>\n\n<!-- a comment -->\n\n- one\n- two\n',
  ),
  'content/d.md': issue(4, 'Whitespace body', '\u3000\n\n   \n\n> quoted\n>\n> lines', 'summary = "  spaced   summary <b>not bold</b>  "\n'),
};

/** Templates: the bundled one, one with conditionals, buttons, a table and per-issue attributes, and ones MJML rewrites whole. */
const TEMPLATES: Record<string, { source: string; shelled: boolean }> = {
  conditional: {
    shelled: true,
    source: `<mjml lang="{{site.language}}">
  <mj-head>
    <mj-title>{{issue.title}}</mj-title>
    <mj-preview>{{issue.summary}}</mj-preview>
    <mj-attributes><mj-text font-size="15px" /></mj-attributes>
    <mj-style>.x > a { color: red; }</mj-style>
  </mj-head>
  <mj-body>
    <mj-section>
      <mj-column>
        {{#if issue.tags.length}}<mj-text css-class="tags">{{#each issue.tags}}<span>{{this}}</span> {{/each}}</mj-text>{{/if}}
        <mj-button href="{{issue.url}}">{{labels.view_in_browser}}</mj-button>
        <mj-button href="{{unsubscribe_url}}" background-color="#333">{{labels.unsubscribe}}</mj-button>
        <mj-table><tr><td>{{issue.date}}</td><td>{{subscriber.email}}</td></tr></mj-table>
        <mj-text height="40px">{{{body}}}</mj-text>
        <mj-text></mj-text>
        <mj-raw><p>{{issue.summary}}</p></mj-raw>
        <mj-divider />
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`,
  },
  'Outlook comment in a raw block': {
    shelled: false,
    source: `<mjml><mj-body><mj-section><mj-column>
  <mj-raw><!--[if mso]><p>Outlook</p><![endif]--></mj-raw>
  <mj-text>{{{body}}}</mj-text>
</mj-column></mj-section></mj-body></mjml>`,
  },
  'inline style': {
    shelled: false,
    source: `<mjml><mj-head><mj-style inline="inline">p { color: #123456; }</mj-style></mj-head>
<mj-body><mj-section><mj-column><mj-text>{{{body}}}</mj-text></mj-column></mj-section></mj-body></mjml>`,
  },
  'html attributes': {
    shelled: false,
    source: `<mjml><mj-head><mj-html-attributes><mj-selector path="p"><mj-html-attribute name="data-x">1</mj-html-attribute></mj-selector></mj-html-attributes></mj-head>
<mj-body><mj-section><mj-column><mj-text>{{{body}}}</mj-text></mj-column></mj-section></mj-body></mjml>`,
  },
};

/** A compiler that counts what MJML is asked to render. */
function counting(): MjmlCompiler & { calls: number } {
  const spy = {
    calls: 0,
    compile: (mjml: string, options: Parameters<MjmlCompiler['compile']>[1]) => {
      spy.calls++;
      return inProcessMjml.compile(mjml, options);
    },
    close: async () => {},
  };
  return spy;
}

function memoryStore(): ShellStore & { shells: Map<string, Shell> } {
  const shells = new Map<string, Shell>();
  return {
    shells,
    get: async (key) => shells.get(key),
    put: async (key, shell) => {
      shells.set(key, shell);
    },
  };
}

describe('emails made from MJML shells', () => {
  let config: Config;
  let issues: Issue[];
  let dir: string;
  beforeAll(async () => {
    const files: Record<string, string | Uint8Array> = { ...CONTENT, 'content/digest.md': await readFile(DIGEST) };
    if (existsSync(SHARED_SEED)) files['content/seed.md'] = await readFile(SHARED_SEED);
    dir = await makeSite(files);
    config = (await loadConfig(path.join(dir, 'gazette.toml'))).config;
    ({ issues } = await loadIssues(config, { now: new Date('2026-12-01T00:00:00Z') }));
    expect(issues.length).toBeGreaterThanOrEqual(5);
  });

  it('are byte for byte what MJML makes of the whole email, with the bundled template', async () => {
    const template = await loadTemplate(BUNDLED_TEMPLATE);
    const whole = createEmailRenderer(config, template, { validationLevel: 'strict', shells: false });
    const mjml = counting();
    const shelled = createEmailRenderer(config, template, { validationLevel: 'strict', mjml });
    let fromShells = 0;
    for (const each of issues) {
      const email = await shelled.render(each);
      if (email.shell) fromShells++;
      expect(asSent(email), each.file).toBe(asSent(await whole.render(each)));
      expect(personalizeText(email, reader)).toBe(personalizeText(await whole.render(each), reader));
    }
    // One MJML rendering for them all, even the issue whose title reads like a hole (it is in the holes).
    expect(fromShells).toBe(issues.length);
    expect(mjml.calls).toBe(1);
  });

  for (const [name, { source, shelled }] of Object.entries(TEMPLATES)) {
    it(`are what MJML makes of the whole email, with a template with ${name === 'conditional' ? 'conditionals, buttons and a table' : `an ${name} (${shelled ? 'shelled' : 'rendered whole'})`}`, async () => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.mjml`);
      await writeFile(file, source);
      const template = compileTemplate(source, file);
      const whole = createEmailRenderer(config, template, { shells: false });
      const store = memoryStore();
      const renderer = createEmailRenderer(config, template, { shells: store });
      for (const each of issues) {
        const email = await renderer.render(each);
        expect(asSent(email), each.file).toBe(asSent(await whole.render(each)));
        expect(email.shell !== undefined, each.file).toBe(shelled);
      }
      expect(store.shells.size > 0).toBe(shelled);
    });
  }

  it('a new issue needs no MJML when its template’s shell is kept, and shells differ only by what is outside the holes', async () => {
    const template = await loadTemplate(BUNDLED_TEMPLATE);
    const store = memoryStore();
    const first = counting();
    await createEmailRenderer(config, template, { mjml: first, shells: store }).render(issues[0]!);
    expect(first.calls).toBe(1);
    // Another build: a renderer of its own, the same store.
    const later = counting();
    const renderer = createEmailRenderer(config, template, { mjml: later, shells: store });
    const prepared = await renderer.prepare(issues[1]!);
    expect(prepared.job).toBeUndefined();
    const email = await prepared.finish();
    expect(later.calls).toBe(0);
    expect(email.shell).toBe([...store.shells.keys()][0]);
    expect(asSent(email)).toBe(asSent(await createEmailRenderer(config, template, { shells: false }).render(issues[1]!)));
    // The site's title is in a hole; its language is not (<mjml lang>): another language, another shell.
    const titled = createEmailRenderer({ ...config, site: { ...config.site, title: 'Another Digest' } }, template, { mjml: later, shells: store });
    expect((await titled.prepare(issues[1]!)).job).toBeUndefined();
    const english = createEmailRenderer({ ...config, site: { ...config.site, language: 'en' } }, template, { mjml: later, shells: store });
    expect((await english.prepare(issues[1]!)).job).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a shell whose holes MJML did not keep intact is not used: the emails are rendered whole', async () => {
    const template = await loadTemplate(BUNDLED_TEMPLATE);
    const store = memoryStore();
    await createEmailRenderer(config, template, { shells: store }).render(issues[0]!);
    const [key, shell] = [...store.shells][0]!;
    // A hole changed by MJML (here by hand: upper-cased) makes the shell unusable, as checked when MJML makes it.
    const holes = new Set(shell.html.match(/GazetteHole\d+X/g)).size;
    expect(holes).toBeGreaterThan(3);
    expect(usableShell(shell.html, holes)).toBe(true);
    expect(usableShell(shell.html.replace('GazetteHole0X', 'GAZETTEHOLE0X'), holes)).toBe(false);
    // Kept as unusable: a later renderer renders its emails whole, with MJML.
    store.shells.set(key, { ...shell, usable: false });
    const mjml = counting();
    const renderer = createEmailRenderer(config, template, { mjml, shells: store });
    const prepared = await renderer.prepare(issues[1]!);
    expect(prepared.job).toBe('whole');
    const email = await prepared.finish();
    expect(email.shell).toBeUndefined();
    expect(mjml.calls).toBe(1);
  });
});

describe('shapeOf and usableShell', () => {
  const wrap = (content: string, tag = 'mj-text') =>
    `<mjml><mj-body><mj-section><mj-column><${tag}>${content}</${tag}></mj-column></mj-section></mj-body></mjml>`;

  it('take out the trimmed content of the tags MJML copies, and nothing else', () => {
    const shape = shapeOf(
      `<mjml><mj-head><mj-title> T </mj-title><mj-style>.a > b {}</mj-style></mj-head><mj-body><mj-section><mj-column><mj-text padding="0 'x'">\n <p class="a">Body</p>\n</mj-text><mj-image src="x.png" /><mj-text></mj-text><mj-button href="u">B</mj-button></mj-column></mj-section></mj-body></mjml>`,
      'ABCDEF0123456789',
    )!;
    expect(shape.values).toEqual(['T', '<p class="a">Body</p>', 'B']);
    expect(shape.source).toContain('<mj-title>GazetteHole0X</mj-title><mj-style>.a > b {}</mj-style>');
    expect(shape.source).toContain('<mj-text></mj-text>');
  });

  it('put the nonce of per-subscriber markers outside the holes in common', () => {
    const a = shapeOf('<mjml><mj-body><mj-button href="GAZETTE_0123456789ABCDEF_UNSUBSCRIBE_URL_">x</mj-button></mj-body></mjml>', '0123456789ABCDEF')!;
    const b = shapeOf('<mjml><mj-body><mj-button href="GAZETTE_FEDCBA9876543210_UNSUBSCRIBE_URL_">y</mj-button></mj-body></mjml>', 'FEDCBA9876543210')!;
    expect(a.source).toBe(b.source);
    expect(a.source).not.toContain('0123456789ABCDEF');
  });

  it('refuse any content MJML’s parser could read otherwise', () => {
    for (const content of [
      '<!-- c -->',
      '<![CDATA[x]]>',
      '<?php x ?>',
      '<script>x</script>',
      '<STYLE>p{}</STYLE>',
      '<title>x</title>',
      '<textarea>x</textarea>',
      '<mj-raw>x</mj-raw>',
      '<a href="x>',
      '<a title=x"y">',
      '</ 3>',
      'a <b',
    ]) {
      expect(shapeOf(wrap(content), '0000000000000000'), content).toBeUndefined();
    }
    for (const content of ['a < b', '1 <3', 'x > y', '<a href="x>y" title=\'"\'>ok</a>', '<br/>']) {
      expect(shapeOf(wrap(content), '0000000000000000'), content).toBeDefined();
    }
    expect(
      shapeOf('<mjml><mj-body><mj-section><mj-column><mj-text>a</mj-text><p>loose</p></mj-column></mj-section></mj-body></mjml>', '0000000000000000'),
    ).toBeUndefined();
  });

  it('refuse a shell that lost, changed or commented out a hole', () => {
    expect(usableShell('<title>GazetteHole0X</title><div aria-label="GazetteHole0X">GazetteHole1X</div>', 2)).toBe(true);
    expect(usableShell('<div>GazetteHole1X</div>', 2)).toBe(false);
    expect(usableShell('<div>GAZETTEHOLE0X</div>', 1)).toBe(false);
    expect(usableShell('<!-- GazetteHole0X -->', 1)).toBe(false);
    expect(usableShell('<!--[if mso | IE]><td>GazetteHole0X</td><![endif]-->', 1)).toBe(false);
    expect(usableShell('<!--[if !mso]><!--><div>GazetteHole0X</div><!--<![endif]-->', 1)).toBe(false);
    expect(usableShell('<div>GazetteHole0X GazetteHole2X</div>', 2)).toBe(false);
  });
});
