import type { Author, Config } from '../config/index.js';
import type { Issue } from '../content/index.js';

/** The file names of the three feeds under `build.out`. */
export const FEED_FILES = { rss: 'rss.xml', atom: 'atom.xml', json: 'feed.json' } as const;

/** The XSLT stylesheet a browser shows RSS and Atom feeds through, under `build.out`. */
export const FEED_STYLESHEET = 'feed.xsl';

/** What every feed renderer reads: the site and the issues it holds (newest first, already limited). */
export interface FeedInput {
  site: Config['site'];
  issues: Issue[];
  /** A feed of part of the site (a tag's): its title, its page and its own URL. Default: the site's. */
  part?: { title: string; link: string; self: string };
}

export const GENERATOR = { name: 'Gazette', uri: 'https://www.npmjs.com/package/gazette' };

export function feedUrl(site: Config['site'], kind: keyof typeof FEED_FILES): string {
  return new URL(FEED_FILES[kind], site.baseUrl).href;
}

/**
 * When the feed last changed: the newest `updated` among its issues, never
 * the clock, so the same content always builds the same bytes. An empty
 * feed says the Unix epoch.
 */
export function lastUpdated(issues: Issue[]): Date {
  let newest = 0;
  for (const issue of issues) newest = Math.max(newest, issue.updated.getTime());
  return new Date(newest);
}

/** Tags then categories, without repeats. */
export function categoriesOf(issue: Issue): string[] {
  return [...new Set([...issue.tags, ...issue.categories])];
}

/** The issue's author, falling back to the site's, then to the site's title. */
export function authorOf(issue: Issue | undefined, site: Config['site']): Author & { name: string } {
  const a = issue?.author.name ? issue.author : site.author;
  return { name: a.name ?? site.title, ...(a.email ? { email: a.email } : {}) };
}
