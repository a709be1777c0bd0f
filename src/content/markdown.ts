import type { Element, Root as HastRoot } from 'hast';
import type { Root as MdastRoot } from 'mdast';
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import rehypeStringify from 'rehype-stringify';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import { VFile } from 'vfile';
import { footnoteLabels } from '../i18n/index.js';
import { stripControl } from '../util/text.js';
import { parseMarkdown } from './mdast.js';

/** URL-valued attributes (hast property names) made absolute. */
const URL_PROPERTIES = ['href', 'src', 'poster', 'cite'];

/**
 * Resolve every relative URL against the issue's own URL (`file.data.base`).
 * (A loop of its own: unist-util-visit makes a closure per node, which
 * took half of a cold build's Markdown time.)
 */
function rehypeAbsoluteUrls() {
  return (tree: HastRoot, file: VFile) => {
    const base = String(file.data.base);
    const walk = (node: HastRoot | Element) => {
      for (const child of node.children) {
        if (child.type !== 'element') continue;
        for (const prop of URL_PROPERTIES) {
          const value = child.properties[prop];
          if (typeof value !== 'string') continue;
          try {
            child.properties[prop] = new URL(value.trim(), base).href;
          } catch {
            delete child.properties[prop];
          }
        }
        walk(child);
      }
    };
    walk(tree);
  };
}

/** A word of Latin letters or digits, with the joiners inside model names and versions (`Qwen3-32B`, `v1.2`, `a/b`). */
const WHOLE_WORD = /[A-Za-z0-9]+(?:[-./_+:][A-Za-z0-9]+)+/g;

/**
 * In table cells, keep each such word on one line (`<span class="nw">`,
 * `white-space: nowrap` in the page's stylesheet and the email's inline
 * styles): a narrow screen then scrolls the table instead of breaking
 * "Qwen3-32B" after its hyphen. Chinese text still wraps between characters.
 */
function rehypeWholeWordsInCells() {
  const wrap = (cell: Element) => {
    const children: Element['children'] = [];
    for (const child of cell.children) {
      if (child.type === 'element') {
        if (child.tagName !== 'code' && child.tagName !== 'pre') wrap(child);
        children.push(child);
        continue;
      }
      if (child.type !== 'text') {
        children.push(child);
        continue;
      }
      let last = 0;
      for (const match of child.value.matchAll(WHOLE_WORD)) {
        if (match.index > last) children.push({ type: 'text', value: child.value.slice(last, match.index) });
        children.push({ type: 'element', tagName: 'span', properties: { className: ['nw'] }, children: [{ type: 'text', value: match[0] }] });
        last = match.index + match[0].length;
      }
      if (last === 0) children.push(child);
      else if (last < child.value.length) children.push({ type: 'text', value: child.value.slice(last) });
    }
    cell.children = children;
  };
  return (tree: HastRoot) => {
    const walk = (node: HastRoot | Element) => {
      for (const child of node.children) {
        if (child.type !== 'element') continue;
        if (child.tagName === 'td' || child.tagName === 'th') wrap(child);
        else walk(child);
      }
    };
    walk(tree);
  };
}

/** Whether the tree has raw HTML (a node of type `html` anywhere). */
function hasRawHtml(node: MdastRoot | MdastRoot['children'][number]): boolean {
  if (node.type === 'html') return true;
  return 'children' in node && node.children.some((child) => hasRawHtml(child));
}

/**
 * Sanitizing is on: GitHub's schema (no script, iframe, style, event
 * handlers, or javascript:/data: URLs). Ids are prefixed once, by
 * remark-rehype (`user-content-`), so footnote links keep working.
 */
const sanitizeSchema = { ...defaultSchema, clobberPrefix: '', clobber: [] };

export interface RenderedMarkdown {
  /** The Markdown syntax tree (before HTML conversion). */
  tree: MdastRoot;
  /** The sanitized HTML tree, every URL absolute (for renderers that restyle it, such as email). */
  hast: HastRoot;
  /** Sanitized HTML with absolute URLs. */
  html: string;
}

export interface MarkdownRenderer {
  /** Render a body; one with raw HTML needs `loadRawHtml()` to have finished (renderAsync waits for it). */
  render(markdown: string, baseUrl: string): RenderedMarkdown;
  /** `render`, loading the raw-HTML parser first when the body has raw HTML. */
  renderAsync(markdown: string, baseUrl: string): Promise<RenderedMarkdown>;
}

type RawPlugin = typeof import('rehype-raw').default;
let rawPlugin: RawPlugin | undefined;

/**
 * Load rehype-raw (parse5 and its kin: a fifth of the time the Markdown
 * pipeline takes to load), needed only for bodies with raw HTML.
 */
export async function loadRawHtml(): Promise<void> {
  rawPlugin ??= (await import('rehype-raw')).default;
}

/** One processor per site: the language fixes footnote labels. */
export function createMarkdownRenderer(language: string): MarkdownRenderer {
  const labels = footnoteLabels(language);
  const toHtml = (raw: RawPlugin | undefined) =>
    unified()
      .use(remarkRehype, { allowDangerousHtml: raw !== undefined, footnoteLabel: labels.label, footnoteBackLabel: labels.back })
      .use(raw ? [raw] : [])
      .use(rehypeSanitize, sanitizeSchema)
      .use(rehypeAbsoluteUrls)
      .use(rehypeWholeWordsInCells)
      .use(rehypeStringify)
      .freeze();
  // Parsing raw HTML (parse5) is the costly step: only for bodies that have some.
  let withRaw: ReturnType<typeof toHtml> | undefined;
  const withoutRaw = toHtml(undefined);
  const finish = (tree: MdastRoot, baseUrl: string): RenderedMarkdown => {
    let processor = withoutRaw;
    if (hasRawHtml(tree)) {
      if (!rawPlugin) throw new Error('raw HTML in Markdown before loadRawHtml() finished');
      withRaw ??= toHtml(rawPlugin);
      processor = withRaw;
    }
    // mdast-util-to-hast builds a new tree and leaves the mdast as it was.
    const hast = processor.runSync(tree, new VFile({ data: { base: baseUrl } })) as HastRoot;
    return { tree, hast, html: processor.stringify(hast) };
  };
  return {
    render: (markdown, baseUrl) => finish(parseMarkdown(stripControl(markdown)), baseUrl),
    async renderAsync(markdown, baseUrl) {
      const tree = parseMarkdown(stripControl(markdown));
      if (hasRawHtml(tree)) await loadRawHtml();
      return finish(tree, baseUrl);
    },
  };
}
