import { rfc3339 } from '../util/time.js';
import { authorOf, categoriesOf, FEED_STYLESHEET, type FeedInput, feedUrl, GENERATOR, lastUpdated } from './site.js';
import { el, xmlDocument } from './xml.js';

function person(author: { name: string; email?: string }) {
  return el('author', {}, [el('name', {}, author.name), ...(author.email ? [el('email', {}, author.email)] : [])]);
}

/** Atom 1.0 (RFC 4287) with xml:lang, categories with term, and plain-text titles. */
export function renderAtom({ site, issues, part }: FeedInput): string {
  const tz = site.timezone;
  const entries = issues.map((issue) =>
    el('entry', {}, [
      el('id', {}, issue.id),
      el('title', { type: 'text' }, issue.title),
      el('link', { rel: 'alternate', type: 'text/html', href: issue.url }),
      el('published', {}, rfc3339(issue.date, tz)),
      el('updated', {}, rfc3339(issue.updated, tz)),
      person(authorOf(issue, site)),
      ...categoriesOf(issue).map((term) => el('category', { term })),
      el('summary', { type: 'text' }, issue.summary),
      el('content', { type: 'html' }, issue.html),
    ]),
  );
  return xmlDocument(
    el('feed', { xmlns: 'http://www.w3.org/2005/Atom', 'xml:lang': site.language }, [
      // A part's feed (a topic's) is a feed of its own: its own id, title and links.
      el('id', {}, part?.self ?? site.baseUrl),
      el('title', { type: 'text' }, part ? `${part.title} · ${site.title}` : site.title),
      ...(site.description ? [el('subtitle', { type: 'text' }, site.description)] : []),
      el('link', { rel: 'alternate', type: 'text/html', href: part?.link ?? site.baseUrl }),
      el('link', { rel: 'self', type: 'application/atom+xml', href: part?.self ?? feedUrl(site, 'atom') }),
      el('updated', {}, rfc3339(lastUpdated(issues), tz)),
      person(authorOf(undefined, site)),
      el('generator', { uri: GENERATOR.uri }, GENERATOR.name),
      ...entries,
    ]),
    new URL(FEED_STYLESHEET, site.baseUrl).pathname,
  );
}
