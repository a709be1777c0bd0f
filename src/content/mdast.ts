import MarkdownIt from 'markdown-it';
import cjkFriendly from 'markdown-it-cjk-friendly';
import footnote from 'markdown-it-footnote';
import type {
  Blockquote,
  Delete,
  Emphasis,
  FootnoteDefinition,
  Heading,
  Link,
  List,
  ListItem,
  Paragraph,
  Parent,
  PhrasingContent,
  Root,
  RootContent,
  Strong,
  Table,
  TableCell,
  TableRow,
} from 'mdast';

/**
 * Markdown parsed by markdown-it, delivered as the mdast syntax tree the
 * rest of Gazette reads (remark-rehype, the summary, the email's text part).
 *
 * Why not micromark, remark's own parser: on a 5 KB Chinese digest it takes
 * about 4 ms, markdown-it about 0.2 ms, and parsing was three quarters of a
 * cold build. The dialect is the same: CommonMark, GFM tables, strikethrough,
 * task lists, footnotes and bare links, and CJK-friendly emphasis (the same
 * author's plugin as remark's). Links and URLs are left as written (no
 * validation, no normalization): remark-rehype encodes them and the
 * sanitizer removes the unsafe ones, as before.
 */

interface Token {
  type: string;
  tag: string;
  content: string;
  info: string;
  markup: string;
  hidden: boolean;
  map: [number, number] | null;
  meta: { id?: number; label?: string } | null;
  children: Token[] | null;
  attrGet(name: string): string | null;
}

const md = new MarkdownIt('default', { html: true, linkify: true, typographer: false })
  .use(footnote as unknown as (md: MarkdownIt) => void)
  .use(cjkFriendly)
  .enable(['table', 'strikethrough']);
md.validateLink = () => true;
md.normalizeLink = (url: string) => url;
md.normalizeLinkText = (url: string) => url;
md.linkify.set({ fuzzyEmail: false });

/** As micromark normalizes a label into an identifier: collapsed whitespace, case-folded. */
const identifier = (label: string) =>
  label
    .replace(/[\t\n\r ]+/g, ' ')
    .trim()
    .toLowerCase();

/** Parse Markdown into mdast; root-level nodes carry their position (offsets), as `<!--more-->` needs. */
export function parseMarkdown(markdown: string): Root {
  const tokens = md.parse(markdown, {}) as unknown as Token[];
  const lineStarts = [0];
  for (let i = markdown.indexOf('\n'); i !== -1; i = markdown.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offsetOf = (line: number) => (line < lineStarts.length ? lineStarts[line]! : markdown.length);

  const root: Root = { type: 'root', children: [] };
  const stack: Parent[] = [root];
  const lists: Array<{ list: List; loose: boolean }> = [];
  const maps = new WeakMap<object, [number, number]>();
  const top = () => stack[stack.length - 1]!;
  const add = (node: RootContent, token?: Token) => {
    if (token?.map) maps.set(node, token.map);
    if (stack.length === 1 && token?.map) {
      node.position = {
        start: { line: token.map[0] + 1, column: 1, offset: offsetOf(token.map[0]) },
        end: { line: token.map[1] + 1, column: 1, offset: offsetOf(token.map[1]) },
      };
    }
    (top().children as RootContent[]).push(node);
    return node;
  };
  const open = (node: RootContent & Parent, token: Token) => stack.push(add(node, token) as Parent);
  const close = () => stack.pop();
  let row: TableRow | undefined;

  for (const t of tokens) {
    switch (t.type) {
      case 'paragraph_open':
        // A paragraph markdown-it hides is one of a tight list; any other makes its list loose.
        if (!t.hidden && top().type === 'listItem') lists[lists.length - 1]!.loose = true;
        open({ type: 'paragraph', children: [] } as Paragraph, t);
        break;
      case 'heading_open':
        open({ type: 'heading', depth: Number(t.tag.slice(1)) as Heading['depth'], children: [] }, t);
        break;
      case 'blockquote_open':
        open({ type: 'blockquote', children: [] } as Blockquote, t);
        break;
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const list: List = { type: 'list', ordered: t.type === 'ordered_list_open', start: null, spread: false, children: [] };
        if (list.ordered) list.start = Number(t.attrGet('start') ?? 1);
        lists.push({ list, loose: false });
        open(list, t);
        break;
      }
      case 'list_item_open':
        open({ type: 'listItem', spread: false, checked: null, children: [] } as ListItem, t);
        break;
      case 'list_item_close':
        taskItem(top() as ListItem);
        close();
        break;
      case 'bullet_list_close':
      case 'ordered_list_close': {
        const { list, loose } = lists.pop()!;
        spreadOf(list, loose, maps, markdown.split('\n'));
        close();
        break;
      }
      case 'paragraph_close':
      case 'heading_close':
      case 'blockquote_close':
      case 'footnote_close':
        close();
        break;
      case 'code_block':
        add({ type: 'code', lang: null, meta: null, value: t.content.replace(/\n$/, '') }, t);
        break;
      case 'fence': {
        const [lang, ...meta] = t.info.trim().split(/\s+/);
        add({ type: 'code', lang: lang || null, meta: meta.join(' ') || null, value: t.content.replace(/\n$/, '') }, t);
        break;
      }
      case 'hr':
        add({ type: 'thematicBreak' }, t);
        break;
      case 'html_block':
        add({ type: 'html', value: t.content.replace(/\n+$/, '') }, t);
        break;
      case 'table_open':
        open({ type: 'table', align: [], children: [] } as Table, t);
        break;
      case 'table_close':
        close();
        break;
      case 'tr_open':
        row = { type: 'tableRow', children: [] };
        open(row, t);
        break;
      case 'tr_close':
        close();
        break;
      case 'th_open':
      case 'td_open': {
        const table = stack[stack.length - 2] as Table;
        if (t.type === 'th_open') {
          const align = /text-align:\s*(left|right|center)/.exec(t.attrGet('style') ?? '')?.[1] as 'left' | 'right' | 'center' | undefined;
          table.align!.push(align ?? null);
        }
        const cell: TableCell = { type: 'tableCell', children: [] };
        row!.children.push(cell);
        stack.push(cell);
        break;
      }
      case 'th_close':
      case 'td_close':
        close();
        break;
      case 'footnote_open': {
        const label = t.meta?.label ?? String(t.meta?.id ?? '');
        open({ type: 'footnoteDefinition', identifier: identifier(label), label, children: [] } as FootnoteDefinition, t);
        break;
      }
      case 'inline':
        (top().children as PhrasingContent[]).push(...phrasing(t.children ?? []));
        break;
      default:
        // thead, tbody, footnote_block and footnote_anchor: no node of their own in mdast.
        break;
    }
  }
  return root;
}

/**
 * `spread` as micromark sets it: a list is spread when blank lines separate
 * its items, an item when blank lines separate its own blocks. Whether the
 * list is loose (its items' text in <p>) stays markdown-it's CommonMark
 * decision, which remark-rehype reads from these flags.
 */
function spreadOf(list: List, loose: boolean, maps: WeakMap<object, [number, number]>, lines: string[]): void {
  const blank = (line: number) => (lines[line] ?? '').trim() === '';
  list.children.forEach((item, i) => {
    const next = list.children[i + 1];
    const [, end] = maps.get(item) ?? [0, 0];
    const nextStart = next ? (maps.get(next)?.[0] ?? end) : undefined;
    if (nextStart !== undefined && nextStart > 0 && blank(nextStart - 1)) list.spread = true;
    item.spread = item.children.some((child, k) => {
      const following = item.children[k + 1];
      const a = maps.get(child);
      const b = following && maps.get(following);
      if (!a || !b) return false;
      for (let line = a[1]; line < b[0]; line++) if (blank(line)) return true;
      return false;
    });
  });
  const spread = list.spread || list.children.some((item) => item.spread);
  if (loose && !spread) list.spread = true;
  if (!loose && spread) {
    list.spread = false;
    for (const item of list.children) item.spread = false;
  }
}

/** `[ ] ` or `[x] ` opening a list item's first paragraph: a GFM task. */
function taskItem(item: ListItem): void {
  const first = item.children[0];
  if (first?.type !== 'paragraph') return;
  const text = first.children[0];
  const m = text?.type === 'text' ? /^\[([ xX])\](?:[ \t]+|$)/.exec(text.value) : null;
  if (!m || text?.type !== 'text') return;
  item.checked = m[1] !== ' ';
  text.value = text.value.slice(m[0].length);
  if (text.value === '') first.children.shift();
}

/** Inline tokens as phrasing content; adjacent text is merged, as micromark makes it. */
function phrasing(tokens: Token[]): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  const stack: Array<{ children: PhrasingContent[] }> = [{ children: out }];
  const into = () => stack[stack.length - 1]!.children;
  const text = (value: string) => {
    const children = into();
    const last = children[children.length - 1];
    if (last?.type === 'text') last.value += value;
    else children.push({ type: 'text', value });
  };
  const open = (node: Emphasis | Strong | Delete | Link) => {
    into().push(node);
    stack.push(node);
  };
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
      case 'text_special':
        text(t.content);
        break;
      case 'softbreak':
        text('\n');
        break;
      case 'hardbreak':
        into().push({ type: 'break' });
        break;
      case 'code_inline':
        into().push({ type: 'inlineCode', value: t.content });
        break;
      case 'em_open':
        open({ type: 'emphasis', children: [] });
        break;
      case 'strong_open':
        open({ type: 'strong', children: [] });
        break;
      case 's_open':
        open({ type: 'delete', children: [] });
        break;
      case 'link_open':
        open({ type: 'link', url: t.attrGet('href') ?? '', title: t.attrGet('title') || null, children: [] });
        break;
      case 'em_close':
      case 'strong_close':
      case 's_close':
      case 'link_close':
        stack.pop();
        break;
      case 'image':
        into().push({ type: 'image', url: t.attrGet('src') ?? '', title: t.attrGet('title') || null, alt: plainText(t.children ?? []) });
        break;
      case 'html_inline':
        into().push({ type: 'html', value: t.content });
        break;
      case 'footnote_ref': {
        const label = t.meta?.label ?? String(t.meta?.id ?? '');
        into().push({ type: 'footnoteReference', identifier: identifier(label), label });
        break;
      }
      default:
        if (t.content) text(t.content);
    }
  }
  return out;
}

function plainText(tokens: Token[]): string {
  return tokens.map((t) => (t.children ? plainText(t.children) : t.type === 'softbreak' ? '\n' : t.content)).join('');
}
