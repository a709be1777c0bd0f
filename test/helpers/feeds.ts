import { parseFeed } from '@rowanmanning/feed-parser';
import { SaxesParser } from 'saxes';

/** Parse with a strict XML 1.0 parser; throws on anything not well-formed. */
export function assertWellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  let error: Error | undefined;
  parser.on('error', (e) => {
    error ??= e;
  });
  parser.write(xml).close();
  if (error) throw error;
}

/** Read a feed as a feed reader would. */
export const readFeed = parseFeed;

/** Check the fields JSON Feed 1.1 requires and the ones Gazette promises. */
export function checkJsonFeed(text: string): string[] {
  const problems: string[] = [];
  const feed = JSON.parse(text);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
  if (feed.version !== 'https://jsonfeed.org/version/1.1') problems.push('version');
  if (typeof feed.title !== 'string' || !feed.title) problems.push('title');
  if (!Array.isArray(feed.items)) problems.push('items');
  if ('author' in feed) problems.push('1.0 author at top level');
  if (!Array.isArray(feed.authors) || feed.authors.some((a: { name?: string }) => !a.name)) problems.push('authors');
  if (typeof feed.language !== 'string') problems.push('language');
  for (const url of [feed.home_page_url, feed.feed_url]) if (!/^https?:\/\//.test(url)) problems.push(`url ${url}`);
  const ids = new Set();
  for (const [i, item] of (feed.items ?? []).entries()) {
    if (typeof item.id !== 'string' || !item.id) problems.push(`items[${i}].id`);
    if (ids.has(item.id)) problems.push(`items[${i}].id repeated`);
    ids.add(item.id);
    if (typeof item.content_html !== 'string' && typeof item.content_text !== 'string') problems.push(`items[${i}] content`);
    if (!rfc3339.test(item.date_published)) problems.push(`items[${i}].date_published`);
    if (item.date_modified && !rfc3339.test(item.date_modified)) problems.push(`items[${i}].date_modified`);
    if (!/^https?:\/\//.test(item.url)) problems.push(`items[${i}].url`);
    if ('author' in item) problems.push(`items[${i}] 1.0 author`);
    if (item.tags && !item.tags.every((t: unknown) => typeof t === 'string')) problems.push(`items[${i}].tags`);
  }
  return problems;
}
