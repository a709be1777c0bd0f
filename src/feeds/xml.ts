/**
 * A minimal XML writer for the feeds. Every text and attribute value is
 * escaped in full (`&` always becomes `&amp;`, even before something that
 * looks like an entity) and characters XML 1.0 forbids are dropped, so the
 * output is well-formed whatever the content. No CDATA: a `]]>` in content
 * is just text.
 */
export interface XmlElement {
  name: string;
  attrs?: Record<string, string | undefined>;
  /** Text content, or child elements. */
  children?: string | XmlElement[];
}

const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXmlText(text: string): string {
  return text.replace(FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeXmlAttr(text: string): string {
  return escapeXmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

/** Shorthand: `el('title', {}, 'text')`, `el('item', {}, [child, ...])`. */
export function el(name: string, attrs: XmlElement['attrs'] = {}, children?: XmlElement['children']): XmlElement {
  return { name, attrs, children };
}

function write(node: XmlElement, depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  let open = `${indent}<${node.name}`;
  for (const [key, value] of Object.entries(node.attrs ?? {})) {
    if (value !== undefined) open += ` ${key}="${escapeXmlAttr(value)}"`;
  }
  const children = node.children;
  if (children === undefined || children.length === 0) {
    out.push(`${open}/>`);
  } else if (typeof children === 'string') {
    out.push(`${open}>${escapeXmlText(children)}</${node.name}>`);
  } else {
    out.push(`${open}>`);
    for (const child of children) write(child, depth + 1, out);
    out.push(`${indent}</${node.name}>`);
  }
}

/** Serialize a document: XML declaration, the root element indented, a final newline. */
export function xmlDocument(root: XmlElement, stylesheet?: string): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  // A browser opening the feed shows it through this XSLT stylesheet; readers ignore it.
  if (stylesheet) out.push(`<?xml-stylesheet type="text/xsl" href="${escapeXmlAttr(stylesheet)}"?>`);
  write(root, 0, out);
  return `${out.join('\n')}\n`;
}
