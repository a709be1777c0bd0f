import type { Element, ElementContent, Root } from 'hast';
import { visit } from 'unist-util-visit';

/**
 * Inline styles for the Markdown body in email. Clients drop or mangle
 * `<style>` blocks (Gmail ignores one over 16 KB), so everything that shapes
 * the text is written on the elements themselves. Colours are explicit and
 * meet WCAG AA contrast on white.
 */
export const PALETTE = {
  text: '#1f2937',
  muted: '#4b5563',
  heading: '#111827',
  link: '#1d4ed8',
  rule: '#d1d5db',
  codeBg: '#f3f4f6',
  quoteBg: '#f9fafb',
};

const MONO = "Menlo, Consolas, 'Liberation Mono', monospace";

const STYLES: Record<string, string> = {
  h1: `margin:28px 0 12px;font-size:24px;line-height:1.35;font-weight:700;color:${PALETTE.heading}`,
  h2: `margin:28px 0 12px;font-size:20px;line-height:1.4;font-weight:700;color:${PALETTE.heading}`,
  h3: `margin:24px 0 8px;font-size:18px;line-height:1.45;font-weight:700;color:${PALETTE.heading}`,
  h4: `margin:20px 0 8px;font-size:16px;line-height:1.5;font-weight:700;color:${PALETTE.heading}`,
  h5: `margin:20px 0 8px;font-size:16px;line-height:1.5;font-weight:700;color:${PALETTE.heading}`,
  h6: `margin:20px 0 8px;font-size:16px;line-height:1.5;font-weight:700;color:${PALETTE.muted}`,
  p: 'margin:0 0 16px',
  a: `color:${PALETTE.link};text-decoration:underline;word-break:break-word`,
  ul: 'margin:0 0 16px;padding:0 0 0 24px',
  ol: 'margin:0 0 16px;padding:0 0 0 24px',
  li: 'margin:0 0 8px',
  blockquote: `margin:0 0 16px;padding:12px 16px;border-left:4px solid ${PALETTE.rule};background-color:${PALETTE.quoteBg};color:${PALETTE.muted}`,
  pre: `margin:0 0 16px;padding:12px 14px;background-color:${PALETTE.codeBg};border-radius:6px;font-family:${MONO};font-size:13px;line-height:1.55;white-space:pre-wrap;word-wrap:break-word;word-break:break-all;overflow-wrap:anywhere`,
  code: `padding:1px 4px;background-color:${PALETTE.codeBg};border-radius:4px;font-family:${MONO};font-size:14px;word-break:break-word`,
  // A table as wide as its words need: its wrapper scrolls sideways where the client allows
  // (Apple Mail, Gmail's app), and cells never break a word of Latin letters.
  table: 'width:100%;border-collapse:collapse;font-size:14px;line-height:1.5',
  th: `padding:6px 8px;border:1px solid ${PALETTE.rule};background-color:${PALETTE.codeBg};font-weight:700;text-align:left;word-break:normal;overflow-wrap:normal;min-width:96px`,
  td: `padding:6px 8px;border:1px solid ${PALETTE.rule};text-align:left;word-break:normal;overflow-wrap:normal;min-width:96px`,
  img: 'display:block;max-width:100%;height:auto;border:0;margin:8px 0',
  hr: `margin:24px 0;border:0;border-top:1px solid ${PALETTE.rule};height:0`,
  del: `color:${PALETTE.muted}`,
  strong: `font-weight:700;color:${PALETTE.heading}`,
  sup: 'font-size:12px;line-height:0',
  section: `margin-top:24px;padding-top:8px;border-top:1px solid ${PALETTE.rule};font-size:14px;color:${PALETTE.muted}`,
};

/** Around each table: it scrolls sideways rather than squeeze its columns. */
// `width:0;min-width:100%`: the box fills its column yet adds nothing to the width the layout
// tables around it are asked for, so a wide table scrolls here instead of widening the message.
const TABLE_WRAPPER = 'margin:0 0 16px;overflow-x:auto;-webkit-overflow-scrolling:touch;width:0;min-width:100%';

/** Chinese, Japanese and Korean have no italics: emphasis is weight instead. */
const EM = { latin: 'font-style:italic', cjk: 'font-style:normal;font-weight:700' };

function isCjkLanguage(language: string): boolean {
  return /^(zh|ja|ko)\b/i.test(language);
}

function addStyle(node: Element, style: string): void {
  node.properties.style = node.properties.style ? `${style};${String(node.properties.style)}` : style;
}

/**
 * Restyle a copy of the HTML tree for email: inline styles on every
 * element that shapes the text, alignment kept on table cells, task-list
 * checkboxes as characters, code inside `<pre>` without its own background.
 */
const ALIGNMENTS = new Set(['left', 'right', 'center', 'justify']);

export function styleForEmail(tree: Root, language: string): Root {
  const copy = structuredClone(tree);
  const em = isCjkLanguage(language) ? EM.cjk : EM.latin;
  visit(copy, 'element', (node: Element, index, parent) => {
    const tag = node.tagName;
    if (tag === 'input' && node.properties.type === 'checkbox' && parent && index !== undefined) {
      const mark: ElementContent = { type: 'text', value: node.properties.checked ? '☑' : '☐' };
      parent.children.splice(index, 1, mark);
      return index + 1;
    }
    if (tag === 'code' && parent?.type === 'element' && parent.tagName === 'pre') {
      node.properties.style = 'font-family:inherit;font-size:inherit';
      return;
    }
    if ((tag === 'td' || tag === 'th') && node.properties.align) {
      // The alignment comes from the issue (raw HTML may say anything): only a keyword reaches the style.
      const align = String(node.properties.align).toLowerCase();
      if (ALIGNMENTS.has(align))
        addStyle(
          node,
          STYLES[tag]!.replace('text-align:left', () => `text-align:${align}`),
        );
      else addStyle(node, STYLES[tag]!);
      return;
    }
    if (tag === 'em') {
      addStyle(node, em);
      return;
    }
    if (tag === 'span' && Array.isArray(node.properties.className) && node.properties.className.includes('nw')) {
      addStyle(node, 'white-space:nowrap');
      return;
    }
    if (tag === 'table' && parent && index !== undefined) {
      addStyle(node, STYLES.table!);
      const wrapper: Element = { type: 'element', tagName: 'div', properties: { className: ['gz-table'], style: TABLE_WRAPPER }, children: [node] };
      parent.children.splice(index, 1, wrapper);
      return;
    }
    const style = STYLES[tag];
    if (!style) return;
    const lastInQuote =
      tag === 'p' && parent?.type === 'element' && parent.tagName === 'blockquote' && parent.children.filter((c) => c.type === 'element').at(-1) === node;
    addStyle(node, lastInQuote ? 'margin:0' : style);
  });
  return copy;
}
