import { GazetteError } from '../errors.js';

/**
 * Limits on what one issue may hold, checked before its Markdown is
 * parsed: a hostile or broken file (a 50 MB issue, a thousand nested lists
 * or quotes) would otherwise take minutes and gigabytes, or overflow the
 * parser's stack. Each is an input error naming the file; both limits can
 * be raised in `[content]`.
 */
export interface Limits {
  /** Bytes (`content.max_file_size`). */
  maxFileSize: number;
  /** Levels of lists, quotes or HTML elements (`content.max_nesting`). */
  maxNesting: number;
}

/** Elements without an end tag, or whose end tag HTML lets authors leave out: not counted. */
const UNCOUNTED = new Set([
  ...['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'],
  ...['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'thead', 'tbody', 'tfoot', 'colgroup', 'rt', 'rp'],
]);

/** The deepest nesting the text can produce: `>` quotes, list indentation, raw HTML elements. */
export function nestingDepth(markdown: string): number {
  let deepest = 0;
  for (const line of markdown.split('\n')) {
    // `> > > text`: one level per marker.
    const quotes = /^(?:[ \t]*>)+/.exec(line)?.[0].split('>').length ?? 1;
    // A list item indented n columns sits at most n/2 levels deep.
    const indent = /^[ \t]*(?=[-*+]\s|\d{1,9}[.)]\s)/.exec(line)?.[0].replace(/\t/g, '    ').length ?? -2;
    deepest = Math.max(deepest, quotes - 1, Math.floor(indent / 2) + 1);
  }
  let html = 0;
  // A tag name is followed by a space, `/` or `>`: autolinks (`<https://…>`, `<a@b.org>`) are not tags.
  for (const m of markdown.matchAll(/<(\/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^>]*?(\/?)>/g)) {
    if (UNCOUNTED.has(m[2]!.toLowerCase()) || m[3]) continue;
    html += m[1] ? -1 : 1;
    if (html < 0) html = 0;
    deepest = Math.max(deepest, html);
  }
  return deepest;
}

export function checkNesting(markdown: string, limits: Limits, file: string): void {
  const depth = nestingDepth(markdown);
  if (depth > limits.maxNesting) {
    throw new GazetteError(
      'CONTENT',
      `nested ${depth} levels deep (lists, quotes or HTML elements), over content.max_nesting = ${limits.maxNesting}; flatten it, or raise the limit`,
      { file },
    );
  }
}

export function checkFileSize(size: number, limits: Limits, file: string): void {
  if (size > limits.maxFileSize) {
    throw new GazetteError(
      'CONTENT',
      `${(size / 1048576).toFixed(1)} MB, over content.max_file_size = ${limits.maxFileSize} bytes; split it, or raise the limit`,
      { file },
    );
  }
}
