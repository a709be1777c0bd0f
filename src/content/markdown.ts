import type { Element, Root as HastRoot } from 'hast';
import type { Root as MdastRoot } from 'mdast';
import rehypeRaw from 'rehype-raw';
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import rehypeStringify from 'rehype-stringify';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import { visit } from 'unist-util-visit';
import { VFile } from 'vfile';
import { footnoteLabels } from '../i18n/index.js';
import { stripControl } from '../util/text.js';
import { parseMarkdown } from './mdast.js';

/** URL-valued attributes (hast property names) made absolute. */
const URL_PROPERTIES = ['href', 'src', 'poster', 'cite'];

/** Resolve every relative URL against the issue's own URL (`file.data.base`). */
function rehypeAbsoluteUrls() {
  return (tree: HastRoot, file: VFile) => {
    const base = String(file.data.base);
    visit(tree, 'element', (node: Element) => {
      for (const prop of URL_PROPERTIES) {
        const value = node.properties[prop];
        if (typeof value !== 'string') continue;
        try {
          node.properties[prop] = new URL(value.trim(), base).href;
        } catch {
          delete node.properties[prop];
        }
      }
    });
  };
}

function hasRawHtml(tree: MdastRoot): boolean {
  let found = false;
  visit(tree, 'html', () => {
    found = true;
    return false;
  });
  return found;
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
  render(markdown: string, baseUrl: string): RenderedMarkdown;
}

/** One processor per site: the language fixes footnote labels. */
export function createMarkdownRenderer(language: string): MarkdownRenderer {
  const labels = footnoteLabels(language);
  const toHtml = (raw: boolean) =>
    unified()
      .use(remarkRehype, { allowDangerousHtml: raw, footnoteLabel: labels.label, footnoteBackLabel: labels.back })
      .use(raw ? [rehypeRaw] : [])
      .use(rehypeSanitize, sanitizeSchema)
      .use(rehypeAbsoluteUrls)
      .use(rehypeStringify)
      .freeze();
  // Parsing raw HTML (parse5) is the costly step: only for bodies that have some.
  const withRaw = toHtml(true);
  const withoutRaw = toHtml(false);
  return {
    render(markdown, baseUrl) {
      const tree = parseMarkdown(stripControl(markdown));
      const processor = hasRawHtml(tree) ? withRaw : withoutRaw;
      // mdast-util-to-hast builds a new tree and leaves the mdast as it was.
      const hast = processor.runSync(tree, new VFile({ data: { base: baseUrl } })) as HastRoot;
      return { tree, hast, html: processor.stringify(hast) };
    },
  };
}
