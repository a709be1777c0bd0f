/**
 * MJML shells: one MJML rendering shared by every email of a template.
 *
 * MJML copies the content of `<mj-text>`, `<mj-raw>`, `<mj-title>`,
 * `<mj-preview>`, `<mj-button>` and `<mj-table>` into its output as it is
 * (trimmed), wherever the template puts it. So an email is its template's
 * MJML rendered once with a hole in place of each such content (the shell),
 * and the contents put back into the holes: two issues of one template
 * differ only in the holes, and a new issue needs no MJML at all (which takes
 * half a second to load). The result is byte for byte MJML's own rendering
 * of the whole email (the tests compare the two), because a template is
 * shelled only when nothing can make MJML treat a content otherwise:
 *
 * - each content is plain HTML: no comment, CDATA, processing instruction,
 *   `<script>`/`<style>`/`<title>`/`<textarea>` (whose text would hide the
 *   closing tag), no MJML tag, and every tag closed by `>` outside quotes;
 * - the template has no `<mj-html-attributes>` and no inline `<mj-style>`
 *   (both rewrite the whole HTML: cheerio and juice);
 * - in the shell, every hole appears, unchanged, and outside any comment,
 *   including Outlook's conditional comments (whose spacing MJML minifies).
 *
 * Anything else is rendered whole by MJML, as before shells. Only MJML's
 * validation messages differ: their line numbers are those of the shell,
 * where each content is one line.
 */

/** The tags MJML parses as ending tags (content not parsed as MJML): their extent must be known. */
const ENDING_TAGS = new Set([
  'mj-accordion-text',
  'mj-accordion-title',
  'mj-breakpoint',
  'mj-button',
  'mj-carousel-image',
  'mj-navbar-link',
  'mj-preview',
  'mj-raw',
  'mj-social-element',
  'mj-style',
  'mj-table',
  'mj-text',
  'mj-title',
]);

/** Ending tags whose content MJML writes out unchanged (`getContent()`, once): these become holes. */
const HOLLOWED = new Set(['mj-text', 'mj-raw', 'mj-title', 'mj-preview', 'mj-button', 'mj-table']);

/** Tags whose text htmlparser2 (MJML's parser) reads raw, and ways out of plain HTML. */
const UNSAFE_CONTENT = /<[!?]|<\/?mj|<\/?(?:script|style|title|textarea|xmp|iframe|noembed|noframes|noscript|plaintext)\b/i;

/** A hole: letters and digits, which no escaping changes, in mixed case, which a change of case would. */
const hole = (n: number) => `GazetteHole${n}X`;
const ANY_HOLE = /GazetteHole\d+X/i;

/** Stands for the rendering's nonce in a shell, so that per-subscriber markers outside holes do not make each shell unique. */
const NONCE = 'GAZETTE_SHELL_NONCE_';

/** A filled-in template with its contents taken out: `source` is what MJML renders once. */
export interface Shape {
  source: string;
  values: string[];
}

/** A rendered shell: MJML's HTML with holes, or `usable: false` when the holes did not come through intact. */
export interface Shell {
  html: string;
  usable: boolean;
  errors: Array<{ line: number; message: string; tagName: string; formattedMessage: string }>;
}

/** An MJML error as it crosses threads and goes into the cache: its plain fields. */
export function plainError(e: Shell['errors'][number]): Shell['errors'][number] {
  return { line: e.line, message: e.message, tagName: e.tagName, formattedMessage: e.formattedMessage };
}

/** A shell read back from the cache. */
export function isShell(value: unknown): value is Shell {
  const v = value as Shell;
  return typeof v?.html === 'string' && typeof v.usable === 'boolean' && Array.isArray(v.errors);
}

/** The end of the tag opened at `start` (the index of its `>`), or -1 if it is not plain: quotes only around values. */
function tagEnd(text: string, start: number, limit = text.length): number {
  let quote = '';
  let last = '';
  for (let i = start + 1; i < limit; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) {
        quote = '';
        last = c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      if (last !== '=') return -1;
      quote = c;
    } else if (c === '>') return i;
    else if (c === '<') return -1;
    if (!/\s/.test(c)) last = c;
  }
  return -1;
}

/** True when every `<` in the content starts a tag that ends with `>` (outside quotes) within it. */
function plainHtml(content: string): boolean {
  if (UNSAFE_CONTENT.test(content)) return false;
  for (let i = content.indexOf('<'); i !== -1; i = content.indexOf('<', i + 1)) {
    const next = content[i + 1] ?? '';
    // `<` before anything but a letter or `/` is text to htmlparser2; `</` must begin a tag name.
    if (next === '/' ? !/[a-z]/i.test(content[i + 2] ?? '') : !/[a-z]/i.test(next)) {
      if (next === '/') return false;
      continue;
    }
    const end = tagEnd(content, i);
    if (end === -1) return false;
    i = end;
  }
  return true;
}

/**
 * Take the contents out of a filled-in template, or undefined when it is
 * not one that can be shelled (see above). `nonce` is the rendering's
 * marker nonce (see personalize.ts), replaced in what remains.
 */
export function shapeOf(mjml: string, nonce: string): Shape | undefined {
  /** The template's own text between the holes. */
  const pieces: string[] = [];
  const values: string[] = [];
  let from = 0;
  for (let i = mjml.indexOf('<'); i !== -1; i = mjml.indexOf('<', i)) {
    if (mjml.startsWith('<!--', i)) {
      const end = mjml.indexOf('-->', i + 4);
      if (end === -1) return undefined;
      i = end + 3;
      continue;
    }
    const name = /^<(\/?)([a-z][^\s/>]*)/i.exec(mjml.slice(i, i + 64));
    if (!name) {
      if (/^<[!?/]/.test(mjml.slice(i, i + 2))) return undefined;
      i++;
      continue;
    }
    const tag = name[2]!.toLowerCase();
    // Only MJML's tags outside ending tags; none that rewrites the whole HTML.
    if (!tag.startsWith('mj') || tag === 'mj-html-attributes') return undefined;
    const end = tagEnd(mjml, i);
    if (end === -1) return undefined;
    const open = mjml.slice(i, end + 1);
    if (tag === 'mj-style' && /\sinline\s*=/i.test(open)) return undefined;
    i = end + 1;
    if (name[1] || !ENDING_TAGS.has(tag) || open.endsWith('/>')) continue;
    // An ending tag: its content runs to the first closing tag of its name (it holds no MJML tag).
    const found = new RegExp(`</${tag}\\s*>`, 'i').exec(mjml.slice(i));
    if (!found) return undefined;
    const content = mjml.slice(i, i + found.index);
    if (!plainHtml(content)) return undefined;
    const trimmed = content.trim();
    if (HOLLOWED.has(tag) && trimmed !== '') {
      pieces.push(mjml.slice(from, i));
      values.push(trimmed);
      from = i + found.index;
    }
    i += found.index + found[0].length;
  }
  pieces.push(mjml.slice(from));
  // Text of the template's own that looks like a hole or the nonce's stand-in would be taken for one.
  if (pieces.some((piece) => ANY_HOLE.test(piece) || piece.includes(NONCE))) return undefined;
  const source = pieces.map((piece, n) => (n === 0 ? piece : hole(n - 1) + piece)).join('');
  return { source: source.split(`GAZETTE_${nonce}_`).join(NONCE), values };
}

/**
 * Whether MJML's rendering of a shape with `holes` holes kept every one,
 * unchanged and outside comments. (A hole may appear twice: MJML 5 writes
 * the title in `<title>` and in the body's `aria-label`, unchanged both.)
 */
export function usableShell(html: string, holes: number): boolean {
  const seen = new Array<boolean>(holes).fill(false);
  for (const match of html.matchAll(/GazetteHole(\d+)X/gi)) {
    const n = Number(match[1]);
    if (!(n < holes) || match[0] !== hole(n)) return false;
    seen[n] = true;
  }
  if (seen.includes(false)) return false;
  // Comments, and what MJML's minifyOutlookConditionnals takes for a conditional block (its own pattern).
  const comments = [...html.matchAll(/<!--[\s\S]*?(?:-->|$)/g), ...html.matchAll(/(<!--\[if\s[^\]]+]>)([\s\S]*?)(<!\[endif]-->)/gm)];
  return !comments.some((comment) => ANY_HOLE.test(comment[0]));
}

/** The email: the shell with each hole filled and the rendering's nonce back in its markers. */
export function fillShell(html: string, shape: Shape, nonce: string): string {
  return html.replace(/GazetteHole(\d+)X|GAZETTE_SHELL_NONCE_/g, (match, n: string | undefined) =>
    n === undefined ? `GAZETTE_${nonce}_` : (shape.values[Number(n)] ?? match),
  );
}
