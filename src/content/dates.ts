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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (east positive). */
export function zoneOffset(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

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

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  offset: number;
}

function wallClock(date: Date, timeZone: string): Wall {
  const offset = zoneOffset(date.getTime(), timeZone);
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + offset * 60000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
    offset,
  };
}

function offsetText(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** RFC 822 (as RSS 2.0 wants it, four-digit year): `Mon, 23 Feb 2026 08:00:00 +0800`. */
export function rfc822(date: Date, timeZone: string): string {
  const w = wallClock(date, timeZone);
  return `${DAYS[w.weekday]}, ${pad(w.day)} ${MONTHS[w.month - 1]} ${w.year} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} ${offsetText(w.offset, false)}`;
}

/** RFC 3339: `2026-02-23T08:00:00+08:00`. */
export function rfc3339(date: Date, timeZone: string): string {
  const w = wallClock(date, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${offsetText(w.offset, true)}`;
}

/** The calendar day in the site's zone: `{ year: '2026', month: '02', day: '23' }`. */
export function calendarDay(date: Date, timeZone: string): { year: string; month: string; day: string } {
  const w = wallClock(date, timeZone);
  return { year: String(w.year).padStart(4, '0'), month: pad(w.month), day: pad(w.day) };
}
