import { create } from 'xmlbuilder2';
import { rfc3339 } from '../content/index.js';
import { authorOf, categoriesOf, type FeedInput, feedUrl, GENERATOR, lastUpdated } from './site.js';

/** Atom 1.0 (RFC 4287) with xml:lang, categories with term, and plain-text titles. */
export function renderAtom({ site, issues }: FeedInput): string {
  const tz = site.timezone;
  const feed = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' }).ele('feed', {
    xmlns: 'http://www.w3.org/2005/Atom',
    'xml:lang': site.language,
  });
  feed.ele('id').txt(site.baseUrl);
  feed.ele('title', { type: 'text' }).txt(site.title);
  if (site.description) feed.ele('subtitle', { type: 'text' }).txt(site.description);
  feed.ele('link', { rel: 'alternate', type: 'text/html', href: site.baseUrl });
  feed.ele('link', { rel: 'self', type: 'application/atom+xml', href: feedUrl(site, 'atom') });
  feed.ele('updated').txt(rfc3339(lastUpdated(issues), tz));
  const siteAuthor = feed.ele('author');
  siteAuthor.ele('name').txt(site.author.name ?? site.title);
  if (site.author.email) siteAuthor.ele('email').txt(site.author.email);
  feed.ele('generator', { uri: GENERATOR.uri }).txt(GENERATOR.name);

  for (const issue of issues) {
    const entry = feed.ele('entry');
    entry.ele('id').txt(issue.id);
    entry.ele('title', { type: 'text' }).txt(issue.title);
    entry.ele('link', { rel: 'alternate', type: 'text/html', href: issue.url });
    entry.ele('published').txt(rfc3339(issue.date, tz));
    entry.ele('updated').txt(rfc3339(issue.updated, tz));
    const author = authorOf(issue, site);
    const a = entry.ele('author');
    a.ele('name').txt(author.name);
    if (author.email) a.ele('email').txt(author.email);
    for (const category of categoriesOf(issue)) entry.ele('category', { term: category });
    entry.ele('summary', { type: 'text' }).txt(issue.summary);
    entry.ele('content', { type: 'html' }).txt(issue.html);
  }
  return feed.end({ prettyPrint: true }) + '\n';
}
