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
  const read = readDate(input, timeZone);
  return 'date' in read ? read.date : undefined;
}

/** The earliest and latest years Gazette publishes under: every format writes them in four digits. */
const FIRST_YEAR = 1000;
const LAST_YEAR = 9999;

/** Milliseconds since the epoch of a wall-clock time read as UTC, for any year (Date.UTC maps 0–99 to 1900–1999). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/**
 * Read a date exactly, or say why it cannot be: a day that does not exist,
 * a local time skipped by a daylight-saving change, a year that cannot be
 * written in four digits.
 */
export function readDate(input: string, timeZone: string): { date: Date } | { reason: string } {
  const text = input.trim();
  const unreadable = { reason: 'not a date in an accepted form' };
  let date: Date;
  if (RFC822.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) return unreadable;
    date = new Date(t);
  } else {
    const m = PATTERN.exec(text);
    if (!m) return unreadable;
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', z, sign, oh, om] = m;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
    const ms = Math.round(Number(`0.${frac || '0'}`) * 1000);
    if (year < FIRST_YEAR || year > LAST_YEAR) return { reason: `the year must be between ${FIRST_YEAR} and ${LAST_YEAR}` };
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { reason: 'there is no such day' };
    if (hour > 23 || minute > 59 || second > 60) return { reason: 'there is no such time of day' };
    const wall = utc(year, month, day, hour, minute, Math.min(second, 59), ms);
    if (z) date = new Date(wall);
    else if (sign) {
      if (Number(oh) > 23 || Number(om) > 59) return { reason: 'the offset from UTC is not a real one' };
      date = new Date(wall - (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1) * 60000);
    } else {
      // Local time in the site's zone: guess, then correct once for a DST change.
      const first = zoneOffset(wall, timeZone);
      let t = wall - first * 60000;
      const again = zoneOffset(t, timeZone);
      if (again !== first) t = wall - again * 60000;
      // A time the clocks skipped (02:30 when they jump from 02:00 to 03:00) does not exist there.
      if (t + zoneOffset(t, timeZone) * 60000 !== wall) {
        return { reason: `that time does not exist in ${timeZone} (the clocks skip it for daylight saving); write the offset, or another time` };
      }
      date = new Date(t);
    }
  }
  const year = date.getUTCFullYear();
  if (year < FIRST_YEAR || year > LAST_YEAR) return { reason: `the year must be between ${FIRST_YEAR} and ${LAST_YEAR}` };
  return { date };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
