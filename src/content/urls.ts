import type { Config } from '../config/index.js';
import { fillIn } from '../util/text.js';
import { calendarDay } from '../util/time.js';

/** Where an issue lives: its URL under the site (from `site.permalink`) and its feed id. */

/** The issue's URL path from `site.permalink`, e.g. `/posts/2026-02-23/` (percent-encoded). */
export function urlPath(config: Pick<Config, 'site'>, slug: string, date: Date): string {
  const day = calendarDay(date, config.site.timezone);
  return fillIn(config.site.permalink, { '{slug}': encodeURIComponent(slug), '{year}': day.year, '{month}': day.month, '{day}': day.day });
}

/** The issue's absolute URL under `site.base_url`. */
export function issueUrl(config: Config, slug: string, date: Date): string {
  return new URL(urlPath(config, slug, date).replace(/^\/+/, ''), config.site.baseUrl).href;
}

/**
 * A `tag:` URI (RFC 4151) from the site's host, the issue's day and its slug:
 * unchanged if the site moves from http to https or the permalink changes.
 */
export function issueId(config: Pick<Config, 'site'>, slug: string, date: Date): string {
  const host = new URL(config.site.baseUrl).hostname;
  const day = calendarDay(date, config.site.timezone);
  return `tag:${host},${day.year}-${day.month}-${day.day}:${encodeURIComponent(slug)}`;
}
