import type { Config } from '../config/index.js';
import type { Issue, Rollup } from '../content/index.js';
import { escapeXmlText, feedUrl } from '../feeds/index.js';
import { pageWords, readerWords, rollupWords } from '../i18n/index.js';
import { escapeHtml as e } from '../util/html.js';
import { fillIn } from '../util/text.js';
import { longDate, rfc3339 } from '../util/time.js';
import { subscribeForm, type TopicChoice } from './subscribe.js';

type Site = Config['site'];

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--link:#4493f8}}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.7 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main,header,footer{max-width:42rem;margin:0 auto;padding:0 1.25rem}main{overflow-wrap:anywhere}
header{padding-top:1.5rem}header a{color:var(--muted);text-decoration:none;font-weight:600}
a{color:var(--link)}h1{line-height:1.3}time,.meta{color:var(--muted);font-size:.9em}
img{max-width:100%;height:auto}pre{overflow-x:auto;padding:1em;border:1px solid var(--line);border-radius:6px}
code{font-size:.9em}table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}td,th{border:1px solid var(--line);padding:.3em .6em;overflow-wrap:normal;word-break:normal;min-width:6em}.nw{white-space:nowrap}
blockquote{margin:1em 0;padding:0 1em;border-left:4px solid var(--line);color:var(--muted)}
em:lang(zh),em:lang(ja),em:lang(ko){font-style:normal;font-weight:600}
ul.issues{list-style:none;padding:0}ul.issues li{margin:1.25em 0}ul.issues p{margin:.25em 0}ul.titles li{margin:.4em 0}
footer{margin-top:3rem;padding-bottom:2rem;color:var(--muted);font-size:.9em}
.subscribe{margin:2.5rem 0 0;padding:1rem 1.25rem;border:1px solid var(--line);border-radius:8px}.subscribe p{margin:0}
.subscribe label{display:block;margin:.5rem 0 .25rem;font-size:.9em}.subscribe input[type=email]{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}
.subscribe button{margin-top:.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;color:#fff;background:var(--link);border:0;border-radius:6px}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.subscribe fieldset{border:1px solid var(--line);border-radius:6px;margin:.75rem 0;padding:.25rem .75rem}.subscribe legend{font-size:.9em}
.subscribe label.choice{display:block;margin:.25rem 0}.subscribe .hint{color:var(--muted);font-size:.85em}
nav.pager{display:flex;justify-content:space-between;gap:1rem;margin:2rem 0}nav.pager a{max-width:48%}.tags a{color:var(--muted)}`;

export interface PageOptions {
  /** The page template, filled in (`page-templates/layout.hbs`, the site's or Gazette's). */
  layout: (context: LayoutContext) => string;
  /** Where readers subscribe: `gazette serve` at `server.public_url`, when it is set. */
  publicUrl?: string | undefined;
  /** The topics the subscribe form offers (`[topics]`). */
  topics?: readonly TopicChoice[] | undefined;
}

/** What the page template (`page-templates/layout.hbs`) is filled with. */
export interface LayoutContext {
  site: { title: string; url: string; language: string };
  title: string;
  description: string;
  url: string;
  kind: 'website' | 'article';
  feeds: Array<{ type: string; label: string; url: string }>;
  style: string;
  main: string;
  subscribe: string;
  /** The home page, whose heading is the site's title already: the template leaves out its header link there. */
  home: boolean;
}

function layout(
  site: Site,
  title: string,
  canonical: string,
  description: string,
  main: string,
  options: PageOptions,
  kind: 'website' | 'article' = 'website',
  home = false,
): string {
  return options.layout({
    site: { title: site.title, url: site.baseUrl, language: site.language },
    title,
    description,
    url: canonical,
    kind,
    feeds: [
      { type: 'application/rss+xml', label: 'RSS', url: feedUrl(site, 'rss') },
      { type: 'application/atom+xml', label: 'Atom', url: feedUrl(site, 'atom') },
      { type: 'application/feed+json', label: 'JSON Feed', url: feedUrl(site, 'json') },
      // Each topic's feed (`[topics]`), so that a feed reader chooses too.
      ...(options.topics ?? []).map((t) => ({
        type: 'application/rss+xml',
        label: `RSS · ${t.label}`,
        url: new URL(`topics/${t.key}/rss.xml`, site.baseUrl).href,
      })),
    ],
    style: STYLE,
    main,
    subscribe: options.publicUrl ? subscribeForm(readerWords(site.language, site.title), options.publicUrl, options.topics) : '',
    home,
  });
}

function time(issue: Issue, site: Site): string {
  return `<time datetime="${e(rfc3339(issue.date, site.timezone))}">${e(day(issue, site))}</time>`;
}

/** The issue's day in the site's zone, as its language writes a date (as the email does): `2026年2月23日`, `February 23, 2026`. */
function day(issue: Issue, site: Site): string {
  return longDate(issue.date, site.language, site.timezone);
}

/** The URL of a tag's page (and, with `rss.xml`, of its feed). */
export function tagUrl(site: Site, tag: string): string {
  return new URL(`tags/${encodeURIComponent(tagKey(tag))}/`, site.baseUrl).href;
}

/** A tag as a folder name: lower-cased, spaces as `-`, no `/`, `\`, `?`, `#` or `%`. */
export function tagKey(tag: string): string {
  return (
    tag
      .toLowerCase()
      .replace(/[\s/\\?#%]+/g, '-')
      .replace(/^[-.]+|-+$/g, '') || 'tag'
  );
}

export interface IssueNeighbours {
  /** The issue before it in time. */
  older?: Issue | undefined;
  newer?: Issue | undefined;
}

/** The web page of one issue, at its permalink, linking its tags and the issues before and after it. */
export function renderIssuePage(site: Site, issue: Issue, options: PageOptions, neighbours: IssueNeighbours = {}): string {
  const words = pageWords(site.language);
  const tags = [...new Set([...issue.tags, ...issue.categories])];
  const tagLinks = tags.map((t) => `<a href="${e(tagUrl(site, t))}">${e(t)}</a>`).join(', ');
  const pager =
    neighbours.older || neighbours.newer
      ? `<nav class="pager">${neighbours.older ? `<a rel="prev" href="${e(neighbours.older.url)}">← ${e(words.previous_issue)}: ${e(neighbours.older.title)}</a>` : '<span></span>'}${neighbours.newer ? `<a rel="next" href="${e(neighbours.newer.url)}">${e(words.next_issue)}: ${e(neighbours.newer.title)} →</a>` : ''}</nav>`
      : '';
  const main = `<article>
<h1>${e(issue.title)}</h1>
<p class="meta">${time(issue, site)}${issue.author.name ? ` · ${e(issue.author.name)}` : ''}${tags.length ? ` · <span class="tags">${tagLinks}</span>` : ''}</p>
${issue.html}
</article>
${pager}`;
  return layout(site, `${issue.title} · ${site.title}`, issue.url, issue.summary, main, options, 'article');
}

/** Issues newest first: with their summaries (home and archive pages), or their titles alone (tag pages, which list every issue). */
function issueList(site: Site, issues: Issue[], summaries = true): string {
  const item = (issue: Issue) =>
    summaries
      ? `<li>${time(issue, site)}<br><a href="${e(issue.url)}">${e(issue.title)}</a><p>${e(issue.summary)}</p></li>`
      : `<li>${time(issue, site)} <a href="${e(issue.url)}">${e(issue.title)}</a></li>`;
  return `<ul class="issues${summaries ? '' : ' titles'}">
${issues.map(item).join('\n')}
</ul>`;
}

/** The URL of archive page `n` (see renderArchivePage). */
export function archivePageUrl(site: Site, n: number): string {
  return new URL(`archive/${n}/`, site.baseUrl).href;
}

/**
 * The home page: the newest issues, and a link to the archive page that
 * holds the next older one (`older`), when there are more.
 */
export function renderIndexPage(site: Site, issues: Issue[], options: PageOptions, older?: number): string {
  const words = pageWords(site.language);
  const pager = older ? `<nav class="pager"><span></span><a rel="next" href="${e(archivePageUrl(site, older))}">${e(words.older)} →</a></nav>` : '';
  const main = `<h1>${e(site.title)}</h1>
${site.description ? `<p>${e(site.description)}</p>` : ''}
${issueList(site, issues)}
${pager}`;
  return layout(site, site.title, site.baseUrl, site.description || site.title, main, options, 'website', true);
}

/**
 * Archive page `n`: every issue is on one, `feeds.limit` to a page,
 * numbered from the oldest (page 1 holds the first issues), so that a page
 * keeps its issues as the archive grows: a new issue joins the newest page
 * and changes no other. Issues newest first, linked to the newer page (the
 * home page from the newest) and the older one.
 */
export function renderArchivePage(site: Site, issues: Issue[], options: PageOptions, page: { n: number; newest: boolean }): string {
  const words = pageWords(site.language);
  const newer = page.newest ? site.baseUrl : archivePageUrl(site, page.n + 1);
  const pager = `<nav class="pager"><a rel="prev" href="${e(newer)}">← ${e(words.newer)}</a>${page.n > 1 ? `<a rel="next" href="${e(archivePageUrl(site, page.n - 1))}">${e(words.older)} →</a>` : ''}</nav>`;
  const label = fillIn(words.page, { '{n}': String(page.n) });
  const span = issues.length ? `${day(issues.at(-1)!, site)} – ${day(issues[0]!, site)}` : '';
  const main = `<h1>${e(label)}</h1>
${span ? `<p class="meta">${e(span)}</p>` : ''}
${issueList(site, issues)}
${pager}`;
  return layout(site, `${site.title} · ${label}`, archivePageUrl(site, page.n), site.description || site.title, main, options);
}

/** A tag's page: the title of every issue with the tag, newest first, and its own feed. */
export function renderTagPage(site: Site, tag: string, issues: Issue[], options: PageOptions): string {
  const heading = fillIn(pageWords(site.language).tagged, { '{tag}': tag });
  const feed = new URL('rss.xml', tagUrl(site, tag)).href;
  const main = `<h1>${e(heading)}</h1>
<p><a href="${e(feed)}">RSS</a></p>
${issueList(site, issues, false)}`;
  return layout(site, `${heading} · ${site.title}`, tagUrl(site, tag), heading, main, options);
}

/** A weekly roll-up's page (`weekly/<2026-w48>/`): its title, its lead, and each issue of the week with its summary. */
export function renderRollupPage(site: Site, rollup: Rollup, options: PageOptions): string {
  const words = rollupWords(site.language);
  const lead = fillIn(words.lead, {
    '{from}': longDate(rollup.start, site.language, site.timezone),
    '{to}': longDate(new Date(rollup.end.getTime() - 1), site.language, site.timezone),
  });
  const feed = new URL('weekly/rss.xml', site.baseUrl).href;
  const main = `<h1>${e(rollup.title)}</h1>
<p>${e(lead)} <a href="${e(feed)}">RSS</a></p>
${issueList(site, rollup.issues, true)}`;
  return layout(site, `${rollup.title} · ${site.title}`, rollup.url, lead, main, options, 'article');
}

/** `404.html`, which static hosts serve for a missing page. */
export function renderNotFoundPage(site: Site, options: PageOptions): string {
  const words = pageWords(site.language);
  return layout(
    site,
    words.not_found_title,
    site.baseUrl,
    words.not_found,
    `<h1>${e(words.not_found_title)}</h1>\n<p>${e(words.not_found)} <a href="${e(site.baseUrl)}">${e(site.title)}</a></p>`,
    options,
  );
}

/** `sitemap.xml`: the home pages, every issue (with its last change) and every tag page. */
export function renderSitemap(entries: Array<{ url: string; updated?: Date }>): string {
  const urls = entries.map((x) => `<url><loc>${escapeXmlText(x.url)}</loc>${x.updated ? `<lastmod>${x.updated.toISOString()}</lastmod>` : ''}</url>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`;
}
