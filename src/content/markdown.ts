import type { Element, Root as HastRoot } from 'hast';
import type { Root as MdastRoot } from 'mdast';
import rehypeRaw from 'rehype-raw';
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
