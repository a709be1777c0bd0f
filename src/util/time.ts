/**
 * Dates written for readers and for feeds, in the site's time zone: the
 * renderers' side of dates (parsing front matter is content/dates.ts).
 */
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

/** Offsets already computed, per zone and instant: a build formats each issue's date many times. */
const offsets = new Map<string, Map<number, number>>();

/** The offsets known for `timeZone`, by instant. */
function offsetsOf(timeZone: string): Map<number, number> {
  let known = offsets.get(timeZone);
  if (!known) {
    known = new Map();
    offsets.set(timeZone, known);
  }
  return known;
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes (east positive). */
export function zoneOffset(ms: number, timeZone: string): number {
  const known = offsetsOf(timeZone);
  let offset = known.get(ms);
  if (offset === undefined) {
    offset = computeOffset(ms, timeZone);
    // Bounded: a long-running serve formats the clock's every instant.
    if (known.size >= 100_000) known.clear();
    known.set(ms, offset);
  }
  return offset;
}

/**
 * Record an offset computed by an earlier build (the issue index keeps
 * them, for the tz database it was computed with): a rebuild then formats
 * a thousand unchanged issues' dates without asking ICU for each.
 */
export function rememberOffset(ms: number, timeZone: string, offset: number): void {
  const known = offsetsOf(timeZone);
  if (known.size < 100_000) known.set(ms, offset);
}

/** en-US's `MM/DD/YYYY, HH:MM:SS`, as the formatter above writes a year of our era. */
const EN_US = /^(\d{2})\/(\d{2})\/(\d{4,}), (\d{2}):(\d{2}):(\d{2})$/;

function computeOffset(ms: number, timeZone: string): number {
  const date = new Date(ms);
  // format() and a pattern: a fifth of the time formatToParts() takes (a build formats a thousand dates).
  const m = EN_US.exec(formatter(timeZone).format(date));
  let asUtc: number;
  if (m) asUtc = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
  else {
    const parts: Record<string, number> = {};
    for (const p of formatter(timeZone).formatToParts(date)) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  }
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
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

/** Making an Intl.DateTimeFormat costs far more than using one. */
const longDateFormats = new Map<string, Intl.DateTimeFormat>();

/** The date as a reader of `language` writes it: `2026年2月23日`, `February 23, 2026`. */
export function longDate(date: Date, language: string, timeZone: string): string {
  const key = `${language}\n${timeZone}`;
  let format = longDateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone });
    longDateFormats.set(key, format);
  }
  return format.format(date);
}
