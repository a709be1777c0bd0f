import { rfc3339 } from '../util/time.js';
import { authorOf, categoriesOf, type FeedInput, feedUrl } from './site.js';

interface JsonAuthor {
  name: string;
  url?: string;
}

function jsonAuthor(author: { name: string; email?: string }): JsonAuthor {
  return author.email ? { name: author.name, url: `mailto:${author.email}` } : { name: author.name };
}

/** JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): `authors` arrays and `language`. */
export function renderJsonFeed({ site, issues, part }: FeedInput): string {
  const tz = site.timezone;
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: part ? `${part.title} · ${site.title}` : site.title,
    home_page_url: part?.link ?? site.baseUrl,
    feed_url: part?.self ?? feedUrl(site, 'json'),
    ...(site.description ? { description: site.description } : {}),
    language: site.language,
    authors: [jsonAuthor(authorOf(undefined, site))],
    items: issues.map((issue) => {
      const tags = categoriesOf(issue);
      return {
        id: issue.id,
        url: issue.url,
        title: issue.title,
        summary: issue.summary,
        content_html: issue.html,
        date_published: rfc3339(issue.date, tz),
        date_modified: rfc3339(issue.updated, tz),
        authors: [jsonAuthor(authorOf(issue, site))],
        ...(tags.length ? { tags } : {}),
      };
    }),
  };
  return `${JSON.stringify(feed, null, 2)}\n`;
}
