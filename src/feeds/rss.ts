import { create } from 'xmlbuilder2';
import { rfc822 } from '../content/index.js';
import { escapeHtml } from '../util/html.js';
import { authorOf, categoriesOf, type FeedInput, feedUrl, GENERATOR, lastUpdated } from './site.js';

/** An address every RSS validator and reader takes as one (else the name goes in dc:creator). */
const PLAIN_EMAIL = /^[A-Za-z0-9_\-+.]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;

/** RSS 2.0 with content:encoded, dc:creator and an atom:link to itself. */
export function renderRss({ site, issues }: FeedInput): string {
  const tz = site.timezone;
  const channel = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' })
    .ele('rss', {
      version: '2.0',
      'xmlns:atom': 'http://www.w3.org/2005/Atom',
      'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
      'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
    })
    .ele('channel');
  channel.ele('title').txt(site.title);
  channel.ele('link').txt(site.baseUrl);
  channel.ele('description').txt(site.description || site.title);
  channel.ele('atom:link', { href: feedUrl(site, 'rss'), rel: 'self', type: 'application/rss+xml' });
  channel.ele('language').txt(site.language);
  channel.ele('generator').txt(GENERATOR.name);
  channel.ele('docs').txt('https://www.rssboard.org/rss-specification');
  if (site.author.email && PLAIN_EMAIL.test(site.author.email)) {
    channel.ele('managingEditor').txt(`${site.author.email} (${site.author.name ?? site.title})`);
  }
  channel.ele('lastBuildDate').txt(rfc822(lastUpdated(issues), tz));

  for (const issue of issues) {
    const item = channel.ele('item');
    item.ele('title').txt(issue.title);
    item.ele('link').txt(issue.url);
    item.ele('guid', { isPermaLink: 'false' }).txt(issue.id);
    item.ele('pubDate').txt(rfc822(issue.date, tz));
    const author = authorOf(issue, site);
    // RSS's <author> must be an email address; a name alone goes in dc:creator.
    if (author.email && PLAIN_EMAIL.test(author.email)) item.ele('author').txt(`${author.email} (${author.name})`);
    else item.ele('dc:creator').txt(author.name);
    for (const category of categoriesOf(issue)) item.ele('category').txt(category);
    // <description> is HTML in RSS: the plain-text summary is escaped as such,
    // so a summary that mentions `<script>` is shown, never run.
    item.ele('description').txt(escapeHtml(issue.summary));
    item.ele('content:encoded').txt(issue.html);
  }
  return channel.end({ prettyPrint: true }) + '\n';
}
