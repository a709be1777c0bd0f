/**
 * Characters XML 1.0 forbids (C0 controls but tab, LF and CR; the
 * non-characters U+FFFE and U+FFFF) and C1 controls, which no author means
 * to publish. Removed from every piece of text that enters the model, so
 * all outputs (XML, JSON, HTML, email) agree.
 */
const UNWANTED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;

export function stripControl(text: string): string {
  return text.replace(UNWANTED, '');
}

/** Plain one-line text: control characters removed, whitespace runs collapsed. */
export function plainLine(text: string): string {
  return stripControl(text).replace(/\s+/g, ' ').trim();
}

/** Han, kana, hangul and CJK punctuation: each counts as one "word". */
const CJK =
  /[\u1100-\u11FF\u2E80-\u2FDF\u3000-\u303F\u3040-\u30FF\u3100-\u31FF\u3200-\u9FFF\uA960-\uA97F\uAC00-\uD7FF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]|[\uD840-\uD87F][\uDC00-\uDFFF]/;

export function isCjk(char: string): boolean {
  return CJK.test(char);
}

/**
 * Cut `text` after `limit` units, where a unit is a CJK character or a run
 * of other non-space characters (a word). Prefers to end at a sentence
 * boundary in the second half; adds an ellipsis when anything was cut.
 */
export function truncateUnits(text: string, limit: number): string {
  const chars = Array.from(text);
  let units = 0;
  let inWord = false;
  let end = chars.length;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (isCjk(c)) {
      inWord = false;
      units++;
    } else if (/\s/.test(c)) {
      inWord = false;
    } else if (!inWord) {
      inWord = true;
      units++;
    }
    if (units > limit) {
      end = i;
      break;
    }
  }
  if (end >= chars.length) return text;
  let cut = chars.slice(0, end).join('');
  const boundary = Math.max(...['。', '！', '？', '. ', '! ', '? ', '；'].map((p) => cut.lastIndexOf(p)));
  if (boundary >= cut.length / 2) {
    cut = cut.slice(0, boundary + 1);
  }
  return `${cut.trimEnd().replace(/[，、,;；：:]$/, '')}…`;
}

/** A rate as people read it: `0.0123` is `1.23%`. */
export const percent = (rate: number): string => `${(rate * 100).toFixed(2)}%`;

/**
 * `template` with each placeholder (a key of `values`, such as `{title}`)
 * replaced by its value, verbatim: a value is never read as a replacement
 * pattern (`$&`, `$'`, `$$` stay as they are), and text that is no key is
 * left alone. Escaping for where the result lands is the caller's.
 */
export function fillIn(template: string, values: Readonly<Record<string, string>>): string {
  const keys = Object.keys(values);
  if (keys.length === 0) return template;
  const pattern = new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return template.replace(pattern, (key) => values[key]!);
}

/**
 * What a terminal or a log would obey rather than show: control characters
 * (C0 but tab and line feed, DEL, C1: escape sequences, carriage returns,
 * backspaces) and the invisible marks that reorder text (bidirectional
 * controls).
 */
const UNPRINTABLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const UNPRINTABLE_IN_LINE = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
};

/** Text for a terminal or a log: every character it would obey is shown escaped (`\x1B`); lines stay lines. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => escapeChar(c));
}

/** One log line made of values from outside: line breaks and tabs are escaped too, so no value can forge a line. */
export function printableLine(text: string): string {
  return text.replace(UNPRINTABLE_IN_LINE, (c) => escapeChar(c));
}
