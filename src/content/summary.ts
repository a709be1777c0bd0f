import type { Nodes, Root } from 'mdast';
import { truncateUnits } from '../util/text.js';

/** Not summary material: headings, code, tables, raw HTML, footnotes, struck-out text. */
const SKIP = new Set(['heading', 'code', 'html', 'table', 'footnoteDefinition', 'footnoteReference', 'delete', 'image', 'imageReference', 'definition']);

/** The prose of the body, one string per paragraph, in order. */
function paragraphs(tree: Root): string[] {
  const out: string[] = [];
  const text = (node: Nodes): string => {
    if (SKIP.has(node.type)) return '';
    if (node.type === 'break') return ' ';
    if ('value' in node && typeof node.value === 'string') return node.value;
    if ('children' in node) return (node.children as Nodes[]).map(text).join('');
    return '';
  };
  const walk = (node: Nodes) => {
    if (SKIP.has(node.type)) return;
    if (node.type === 'paragraph') {
      const t = text(node).replace(/\s+/g, ' ').trim();
      if (t) out.push(t);
      return;
    }
    if ('children' in node) for (const child of node.children as Nodes[]) walk(child);
  };
  walk(tree);
  return out;
}

/**
 * The summary derived from the body: the text before a `<!--more-->` line
 * if there is one, else its first paragraphs, cut after `limit` units (a
 * CJK character or a word each).
 */
export function deriveSummary(tree: Root, limit: number): string {
  // Hugo's manual divider: everything before `<!--more-->` is the summary, uncut.
  const divider = tree.children.findIndex((node) => node.type === 'html' && /^<!--\s*more\s*-->$/i.test(node.value.trim()));
  if (divider > 0) {
    const before = paragraphs({ ...tree, children: tree.children.slice(0, divider) }).join(' ');
    if (before) return before;
  }
  const parts: string[] = [];
  let length = 0;
  for (const p of paragraphs(tree)) {
    if (length > limit * 8) break;
    parts.push(p);
    length += p.length;
  }
  return truncateUnits(parts.join(' '), limit);
}
