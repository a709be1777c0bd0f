import type { Element, ElementContent, Root as HastRoot } from 'hast';
import type { Root as MdastRoot } from 'mdast';
import { truncateUnits } from '../util/text.js';

/** Not summary material: headings, code, tables, footnotes, struck-out text, images. */
const SKIP = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'table', 'section', 'del', 'sup', 'img', 'script', 'style']);

const BLOCKS = new Set(['p', 'ul', 'ol', 'blockquote', 'div', 'pre', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

function textOf(node: ElementContent): string {
  if (node.type === 'text') return node.value;
  if (node.type !== 'element' || SKIP.has(node.tagName)) return '';
  if (node.tagName === 'br') return ' ';
  return node.children.map(textOf).join('');
}

/**
 * The prose the reader sees, one string per paragraph, in order, up to `end`
 * (a source offset), and no further than the paragraph that takes them past
 * `enough` characters (a summary needs the first few, not the whole issue).
 */
function paragraphs(tree: HastRoot, end = Infinity, enough = Infinity): string[] {
  const out: string[] = [];
  let length = 0;
  const push = (text: string) => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean) out.push(clean);
    length += clean.length;
  };
  const walk = (node: Element | HastRoot) => {
    for (const child of node.children) {
      if (length > enough) return;
      if (child.type !== 'element' || SKIP.has(child.tagName)) continue;
      if ((child.position?.start.offset ?? 0) >= end) return;
      if (child.tagName === 'p') {
        push(textOf(child));
      } else if (child.tagName === 'li') {
        // A tight list item holds its text directly, without a <p>.
        push(child.children.map((c) => (c.type === 'element' && BLOCKS.has(c.tagName) ? '' : textOf(c))).join(''));
        walk(child);
      } else walk(child);
    }
  };
  walk(tree);
  return out;
}

/** Where Hugo's manual summary divider (`<!--more-->`) stands in the source, if anywhere. */
function dividerOffset(tree: MdastRoot): number | undefined {
  const node = tree.children.find((n) => n.type === 'html' && /^<!--\s*more\s*-->$/i.test(n.value.trim()));
  return node?.position?.start.offset;
}

/**
 * The summary derived from the body, from what the reader sees (the
 * sanitized HTML): the paragraphs before a `<!--more-->` line if there is
 * one, uncut; else the first paragraphs, cut after `limit` units (a CJK
 * character or a word each).
 */
export function deriveSummary(markdown: MdastRoot, html: HastRoot, limit: number): string {
  const divider = dividerOffset(markdown);
  if (divider !== undefined) {
    const before = paragraphs(html, divider).join(' ');
    if (before) return before;
  }
  const parts: string[] = [];
  let length = 0;
  for (const p of paragraphs(html, Infinity, limit * 8)) {
    if (length > limit * 8) break;
    parts.push(p);
    length += p.length;
  }
  return truncateUnits(parts.join(' '), limit);
}
