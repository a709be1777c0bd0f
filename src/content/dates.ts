import { zoneOffset } from '../util/time.js';

/**
 * Dates in front matter: an offset date-time (`2026-02-23T08:00:00+08:00`),
 * a local date-time (`2026-02-23 08:00`) or a bare date (`2026-02-23`). The
 * last two are read in the site's time zone.
 */

// 2026-02-23, 2026/02/23, with a time (T or space), seconds and fractions optional, then Z, an
// offset (+08:00, +0800) or nothing; Go's default layout adds a zone name after the offset
// ("2026-02-23 08:00:00 +0800 CST"), which is ignored.
const PATTERN =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:([Zz])|(?:GMT|UTC)?([+-])(\d{2}):?(\d{2})(?:\s+[A-Z]{2,5})?)?$/;

/** RFC 822 / 1123, as some tools write dates: `Mon, 23 Feb 2026 08:00:00 +0800`. */
const RFC822 = /^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s+(?:[+-]\d{4}|GMT|UTC?|Z)$/;

/** Parse a front-matter date; undefined when it is not one of the accepted forms. */
export function parseDate(input: string, timeZone: string): Date | undefined {
  const text = input.trim();
  if (RFC822.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', z, sign, oh, om] = m;
  const year = Number(y),
    month = Number(mo),
    day = Number(d);
  const hour = Number(h),
    minute = Number(mi),
    second = Number(s);
  const ms = Math.round(Number(`0.${frac || '0'}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), ms);
  if (z) return new Date(wall);
  if (sign) {
    const offset = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    return new Date(wall - offset * 60000);
  }
  // Local time in the site's zone: guess, then correct once for a DST change.
  const first = zoneOffset(wall, timeZone);
  let t = wall - first * 60000;
  const second_ = zoneOffset(t, timeZone);
  if (second_ !== first) t = wall - second_ * 60000;
  return new Date(t);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
