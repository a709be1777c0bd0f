import { escapeHtml } from '../util/html.js';
import { rfc822 } from '../util/time.js';
import { authorOf, categoriesOf, FEED_STYLESHEET, type FeedInput, feedUrl, GENERATOR, lastUpdated } from './site.js';
import { el, type XmlElement, xmlDocument } from './xml.js';

/** An address every RSS validator and reader takes as one (else the name goes in dc:creator). */
const PLAIN_EMAIL = /^[A-Za-z0-9_\-+.]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;

/** RSS 2.0 with content:encoded, dc:creator and an atom:link to itself. */
export function renderRss({ site, issues, part }: FeedInput): string {
  const tz = site.timezone;
  const channel: XmlElement[] = [
    el('title', {}, part ? `${part.title} · ${site.title}` : site.title),
    el('link', {}, part?.link ?? site.baseUrl),
    el('description', {}, part?.title ?? (site.description || site.title)),
    el('atom:link', { href: part?.self ?? feedUrl(site, 'rss'), rel: 'self', type: 'application/rss+xml' }),
    el('language', {}, site.language),
    el('generator', {}, GENERATOR.name),
    el('docs', {}, 'https://www.rssboard.org/rss-specification'),
  ];
  if (site.author.email && PLAIN_EMAIL.test(site.author.email)) {
    channel.push(el('managingEditor', {}, `${site.author.email} (${site.author.name ?? site.title})`));
  }
  channel.push(el('lastBuildDate', {}, rfc822(lastUpdated(issues), tz)));

  for (const issue of issues) {
    const author = authorOf(issue, site);
    channel.push(
      el('item', {}, [
        el('title', {}, issue.title),
        el('link', {}, issue.url),
        el('guid', { isPermaLink: 'false' }, issue.id),
        el('pubDate', {}, rfc822(issue.date, tz)),
        // RSS's <author> must be an email address; a name alone goes in dc:creator.
        author.email && PLAIN_EMAIL.test(author.email) ? el('author', {}, `${author.email} (${author.name})`) : el('dc:creator', {}, author.name),
        ...categoriesOf(issue).map((c) => el('category', {}, c)),
        // <description> is HTML in RSS: the plain-text summary is escaped as
        // such, so a summary that mentions `<script>` is shown, never run.
        el('description', {}, escapeHtml(issue.summary)),
        el('content:encoded', {}, issue.html),
      ]),
    );
  }
  return xmlDocument(
    el(
      'rss',
      {
        version: '2.0',
        'xmlns:atom': 'http://www.w3.org/2005/Atom',
        'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
        'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
      },
      [el('channel', {}, channel)],
    ),
    new URL(FEED_STYLESHEET, site.baseUrl).pathname,
  );
}
