import type { Nodes, Root, Table } from 'mdast';
import { isCjk } from '../util/text.js';

/**
 * The plain-text part, from the same Markdown tree as the HTML: headings
 * marked with `#`, list items with `-` or numbers, links as `text [n]` with
 * the URLs listed at the end, code indented, tables as one line per row,
 * footnotes last. Lines are never wrapped (Chinese has no spaces to wrap at,
 * and mail clients wrap for themselves).
 */
export interface TextOptions {
  /** Resolves relative URLs (the issue's own URL). */
  base: string;
  /** Heading over the link list, in the site's language. */
  linksLabel: string;
  /** Heading over the footnotes, in the site's language. */
  footnotesLabel: string;
}

interface State {
  links: string[];
  footnotes: Map<string, number>;
  options: TextOptions;
}

function absolute(url: string, base: string): string {
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

function linkNumber(state: State, url: string): number {
  const href = absolute(url, state.options.base);
  const existing = state.links.indexOf(href);
  if (existing !== -1) return existing + 1;
  state.links.push(href);
  return state.links.length;
}

/** A soft line break in the source is a space between words, nothing between CJK characters. */
function unwrap(text: string): string {
  return text.replace(/(.?)[ \t]*\n[ \t]*(.?)/gu, (_, before: string, after: string) => before + (isCjk(before) && isCjk(after) ? '' : ' ') + after);
}

function inline(node: Nodes, state: State): string {
  switch (node.type) {
    case 'text':
      return unwrap(node.value);
    case 'inlineCode':
      return node.value;
    case 'break':
      return '\n';
    case 'html':
      return stripHtml(node.value);
    case 'image': {
      const n = linkNumber(state, node.url);
      return node.alt ? `[${node.alt}] [${n}]` : `[${n}]`;
    }
    case 'link': {
      const text = children(node, state);
      const href = absolute(node.url, state.options.base);
      if (text === node.url || text === href || text.replace(/^mailto:/, '') === href.replace(/^mailto:/, '')) return text;
      return `${text} [${linkNumber(state, node.url)}]`;
    }
    case 'footnoteReference': {
      let n = state.footnotes.get(node.identifier);
      if (n === undefined) {
        n = state.footnotes.size + 1;
        state.footnotes.set(node.identifier, n);
      }
      return `[^${n}]`;
    }
    default:
      return 'children' in node ? children(node, state) : '';
  }
}

/** Raw HTML elements whose content the reader never sees (the HTML part drops them whole). */
const HIDDEN_TAGS = 'script|style|iframe|noscript|textarea|template|title';
const HIDDEN = new RegExp(`^<(${HIDDEN_TAGS})\\b`, 'i');
const HIDDEN_ELEMENT = new RegExp(`<(${HIDDEN_TAGS})\\b[\\s\\S]*?</\\1\\s*>`, 'gi');

/** Raw HTML as the reader sees it: hidden elements dropped, tags removed. */
function stripHtml(html: string): string {
  return html
    .replace(HIDDEN_ELEMENT, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]*>/g, '');
}

function children(node: Nodes, state: State): string {
  if (!('children' in node)) return '';
  let out = '';
  let hiddenUntil: RegExp | undefined;
  for (const child of node.children as Nodes[]) {
    if (hiddenUntil) {
      if (child.type === 'html' && hiddenUntil.test(child.value)) hiddenUntil = undefined;
      continue;
    }
    if (child.type === 'html') {
      const open = HIDDEN.exec(child.value);
      const close = open ? new RegExp(`</${open[1]}\\s*>`, 'i') : undefined;
      if (close && !close.test(child.value)) {
        hiddenUntil = close;
        continue;
      }
    }
    out += inline(child, state);
  }
  return out;
}

function indent(text: string, prefix: string, first = prefix): string {
  return text
    .split('\n')
    .map((line, i) => (line === '' ? line : (i === 0 ? first : prefix) + line))
    .join('\n');
}

function table(node: Table, state: State): string {
  const rows = node.children.map((row) => row.children.map((cell) => inline(cell, state).trim()));
  const [header, ...body] = rows;
  if (!header) return '';
  if (body.length === 0) return header.join(' | ');
  return body.map((row) => row.map((cell, i) => (header[i] ? `${header[i]}: ${cell}` : cell)).join('; ')).join('\n');
}

function block(node: Nodes, state: State): string {
  switch (node.type) {
    case 'heading':
      return `${'#'.repeat(node.depth)} ${children(node, state).trim()}`;
    case 'paragraph':
      return children(node, state).trim();
    case 'blockquote':
      return indent(blocks(node.children, state), '> ', '> ').replace(/^$/gm, '>');
    case 'list':
      return node.children
        .map((item, i) => {
          const marker = node.ordered ? `${(node.start ?? 1) + i}. ` : '- ';
          const check = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
          const body = blocks(item.children, state, item.spread ? '\n\n' : '\n');
          return indent(check + body, ' '.repeat(marker.length), marker);
        })
        .join(node.spread ? '\n\n' : '\n');
    case 'code':
      return indent(node.value, '    ');
    case 'thematicBreak':
      return '----------';
    case 'table':
      return table(node, state);
    case 'html':
      return stripHtml(node.value).trim();
    case 'footnoteDefinition':
      return '';
    default:
      return inline(node, state).trim();
  }
}

function blocks(nodes: Nodes[], state: State, separator = '\n\n'): string {
  return nodes
    .map((n) => block(n, state))
    .filter((t) => t !== '')
    .join(separator);
}

export function markdownToText(tree: Root, options: TextOptions): string {
  // The parser (content/mdast.ts) resolves reference links: there are no definitions to collect.
  const state: State = { links: [], footnotes: new Map(), options };
  const defs: Array<{ id: string; children: Nodes[] }> = [];
  const collect = (node: Nodes) => {
    if (node.type === 'footnoteDefinition') defs.push({ id: node.identifier, children: node.children as Nodes[] });
    if ('children' in node) for (const child of node.children as Nodes[]) collect(child);
  };
  collect(tree);

  const parts = [blocks(tree.children as Nodes[], state)];
  const notes = defs
    .filter((d) => state.footnotes.has(d.id))
    .sort((a, b) => state.footnotes.get(a.id)! - state.footnotes.get(b.id)!)
    .map((d) => `[^${state.footnotes.get(d.id)}] ${blocks(d.children, state, ' ')}`);
  if (notes.length) parts.push(`${options.footnotesLabel}\n\n${notes.join('\n')}`);
  if (state.links.length) parts.push(`${options.linksLabel}\n\n${state.links.map((url, i) => `[${i + 1}] ${url}`).join('\n')}`);
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}
