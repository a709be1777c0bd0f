import { describe, expect, it } from 'vitest';
import { el, escapeXmlText, xmlDocument } from '../../../src/feeds/xml.js';
import { assertWellFormed } from '../../helpers/feeds.js';

describe('XML writer', () => {
  it('escapes every ampersand, even before what looks like an entity', () => {
    expect(escapeXmlText('Tom &nbsp; Jerry &amp; &foo; &#x3C; <b> ]]>')).toBe('Tom &amp;nbsp; Jerry &amp;amp; &amp;foo; &amp;#x3C; &lt;b&gt; ]]&gt;');
  });

  it('drops characters XML 1.0 forbids, lone surrogates included', () => {
    expect(escapeXmlText('a\u0000b\u0008c\u000Bd\uFFFEe\uD800f\uDC00g\u{1F600}')).toBe('abcdefg\u{1F600}');
  });

  it('writes well-formed documents whatever the text and attributes hold', () => {
    const hostile = 'x ]]> ]]> <script>&nbsp;&foo; "q" \'a\' \u0001\n\tend \uDFFF';
    const xml = xmlDocument(el('root', { a: hostile, 'xml:lang': 'zh-CN' }, [el('t', {}, hostile), el('empty'), el('u', { skip: undefined })]));
    expect(() => assertWellFormed(xml)).not.toThrow();
    expect(xml).toContain('<empty/>');
    expect(xml).toContain('<u/>');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<root a="')).toBe(true);
  });
});
