import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { rollupWords } from '../i18n/index.js';
import { escapeHtml as e } from '../util/html.js';
import { fillIn } from '../util/text.js';
import { calendarDay, longDate, zoneOffset } from '../util/time.js';
import { parseDate } from './dates.js';
import type { Issue } from './issue.js';

/**
 * A week's edition, made from the issues published in it: the weekly
 * readers' mail, and a page and feed entry of its own (`out/weekly/`).
 */
export interface Rollup {
  /** The ISO week of its first day: `2026-W48`. */
  week: string;
  /** Its send key in the ledger: `weekly-2026-W48`. */
  key: string;
  /** Its URL segment under `weekly/`: `2026-w48`. */
  slug: string;
  title: string;
  /** When its week begins and ends (it is published when it ends). */
  start: Date;
  end: Date;
  /** Absolute URL of its page. */
  url: string;
  /** Its feed id, a `tag:` URI like an issue's. */
  id: string;
  /** Its issues, oldest first. */
  issues: Issue[];
}

const DAY = 86_400_000;

/** Y-M-D of a UTC-read date. */
const ymd = (d: Date) =>
  `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;

/** The ISO week (`2026-W48`) of a calendar day (read as UTC). */
export function isoWeek(day: Date): string {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const dow = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / DAY + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The wall-clock time `day` (a calendar day read as UTC) at `hour`, in the site's zone, as an instant. */
function at(day: Date, hour: number, timeZone: string): Date {
  return parseDate(`${ymd(day)}T${String(hour).padStart(2, '0')}:00:00`, timeZone) ?? new Date(day.getTime() + hour * 3_600_000);
}

/** The week (its first calendar day, read as UTC) an instant falls in: weeks begin on `startsOn` at `hour`, in the site's zone. */
function weekStartDay(instant: Date, rollup: Config['rollup'], timeZone: string): Date {
  const local = new Date(instant.getTime() + zoneOffset(instant.getTime(), timeZone) * 60_000 - rollup.hour * 3_600_000);
  const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()));
  return new Date(day.getTime() - ((day.getUTCDay() - rollup.startsOn + 7) % 7) * DAY);
}

/** The first day of the week named `2026-W48` (the day of `starts_on` in that ISO week), read as UTC. */
function dayOfWeekName(week: string, startsOn: number): Date {
  const m = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!m) throw new GazetteError('USAGE', `--week ${JSON.stringify(week)} is not an ISO week such as 2026-W48`);
  const year = Number(m[1]);
  const n = Number(m[2]);
  // Monday of ISO week 1 is the Monday of the week holding 4 January.
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() || 7) - 1) * DAY + (n - 1) * 7 * DAY);
  if (n < 1 || isoWeek(monday) !== week) throw new GazetteError('USAGE', `--week ${week}: ${year} has no week ${n}`);
  return new Date(monday.getTime() + ((startsOn + 6) % 7) * DAY);
}

/** The roll-up of the week that begins on `first` (a calendar day), with the issues published in it. */
function rollupOf(first: Date, issues: Issue[], config: Pick<Config, 'site' | 'rollup'>): Rollup {
  const { site, rollup } = config;
  const start = at(first, rollup.hour, site.timezone);
  const end = at(new Date(first.getTime() + 7 * DAY), rollup.hour, site.timezone);
  const week = isoWeek(first);
  const slug = week.toLowerCase();
  const words = rollupWords(site.language);
  const last = new Date(end.getTime() - 1);
  const title = fillIn(rollup.title ?? words.title, {
    '{site}': site.title,
    '{week}': week,
    '{from}': longDate(start, site.language, site.timezone),
    '{to}': longDate(last, site.language, site.timezone),
  });
  const url = new URL(`weekly/${slug}/`, site.baseUrl).href;
  const day = calendarDay(start, site.timezone);
  const host = new URL(site.baseUrl).hostname;
  return {
    week,
    key: `weekly-${week}`,
    slug,
    title,
    start,
    end,
    url,
    id: `tag:${host},${day.year}-${day.month}-${day.day}:weekly/${slug}`,
    issues: issues.filter((i) => i.date >= start && i.date < end).sort((a, b) => a.date.getTime() - b.date.getTime()),
  };
}

/** The title of the roll-ups' feed, in the site's language. */
export const rollupFeedTitle = (language: string): string => rollupWords(language).feed;

/** The roll-up of the week named `2026-W48`, whether or not it is complete. */
export function rollupOfWeek(week: string, issues: Issue[], config: Pick<Config, 'site' | 'rollup'>): Rollup {
  return rollupOf(dayOfWeekName(week, config.rollup.startsOn), issues, config);
}

/** Every complete week (ended by `now`) with at least one issue published in it, newest first. */
export function completeRollups(issues: Issue[], config: Pick<Config, 'site' | 'rollup'>, now = new Date()): Rollup[] {
  const firsts = new Map<string, Date>();
  for (const issue of issues) {
    const first = weekStartDay(issue.date, config.rollup, config.site.timezone);
    firsts.set(ymd(first), first);
  }
  return [...firsts.values()]
    .map((first) => rollupOf(first, issues, config))
    .filter((r) => r.end <= now && r.issues.length > 0)
    .sort((a, b) => b.start.getTime() - a.start.getTime());
}

/**
 * A roll-up as a feed entry (`out/weekly/` feeds): published when its week
 * ends, its content the list of its issues, each a link with its summary.
 */
export function rollupAsEntry(rollup: Rollup, config: Pick<Config, 'site'>): Issue {
  const html = `<ul>\n${rollup.issues.map((i) => `<li><a href="${e(i.url)}">${e(i.title)}</a>${i.summary ? ` — ${e(i.summary)}` : ''}</li>`).join('\n')}\n</ul>`;
  return {
    file: '',
    slug: rollup.slug,
    title: rollup.title,
    date: rollup.end,
    updated: rollup.end,
    draft: false,
    summary: rollup.issues.map((i) => i.title).join(' · '),
    tags: [],
    categories: [],
    author: { ...config.site.author },
    path: new URL(rollup.url).pathname,
    url: rollup.url,
    id: rollup.id,
    key: rollup.key,
    markdown: '',
    html,
    body: () => Promise.reject(new Error('a roll-up has no Markdown body')),
  };
}
