import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { feedUrl } from '../feeds/index.js';
import { readerWords } from '../i18n/index.js';
import { escapeHtml as e } from '../util/html.js';
import { rfc3339 } from '../util/time.js';
import { subscribeForm } from './subscribe.js';

type Site = Config['site'];

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--link:#4493f8}}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.7 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main,header,footer{max-width:42rem;margin:0 auto;padding:0 1.25rem}main{overflow-wrap:anywhere}
header{padding-top:1.5rem}header a{color:var(--muted);text-decoration:none;font-weight:600}
a{color:var(--link)}h1{line-height:1.3}time,.meta{color:var(--muted);font-size:.9em}
img{max-width:100%;height:auto}pre{overflow-x:auto;padding:1em;border:1px solid var(--line);border-radius:6px}
code{font-size:.9em}table{border-collapse:collapse;display:block;overflow-x:auto}td,th{border:1px solid var(--line);padding:.3em .6em}
blockquote{margin:1em 0;padding:0 1em;border-left:4px solid var(--line);color:var(--muted)}
em:lang(zh),em:lang(ja),em:lang(ko){font-style:normal;font-weight:600}
ul.issues{list-style:none;padding:0}ul.issues li{margin:1.25em 0}ul.issues p{margin:.25em 0}
footer{margin-top:3rem;padding-bottom:2rem;color:var(--muted);font-size:.9em}
.subscribe{margin:2.5rem 0 0;padding:1rem 1.25rem;border:1px solid var(--line);border-radius:8px}.subscribe p{margin:0}
.subscribe label{display:block;margin:.5rem 0 .25rem;font-size:.9em}.subscribe input[type=email]{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}
.subscribe button{margin-top:.75rem;padding:.5rem 1rem;font:inherit;font-weight:600;color:#fff;background:var(--link);border:0;border-radius:6px}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}`;

/** Where readers subscribe: `gazette serve` at `server.public_url`, when it is set. */
export interface PageOptions {
  publicUrl?: string | undefined;
}

function layout(site: Site, title: string, canonical: string, description: string, main: string, options: PageOptions): string {
  const feeds = [
    ['application/rss+xml', 'rss', 'RSS'],
    ['application/atom+xml', 'atom', 'Atom'],
    ['application/feed+json', 'json', 'JSON Feed'],
  ] as const;
  return `<!DOCTYPE html>
<html lang="${e(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<meta name="description" content="${e(description)}">
<link rel="canonical" href="${e(canonical)}">
${feeds.map(([type, kind, label]) => `<link rel="alternate" type="${type}" title="${e(`${site.title} (${label})`)}" href="${e(feedUrl(site, kind))}">`).join('\n')}
<style>${STYLE}</style>
</head>
<body>
<header><a href="${e(site.baseUrl)}">${e(site.title)}</a></header>
<main>
${main}
${options.publicUrl ? subscribeForm(readerWords(site.language, site.title), options.publicUrl) : ''}
</main>
<footer>${feeds.map(([, kind, label]) => `<a href="${e(feedUrl(site, kind))}">${label}</a>`).join(' · ')}</footer>
</body>
</html>
`;
}

function time(issue: Issue, site: Site): string {
  const stamp = rfc3339(issue.date, site.timezone);
  return `<time datetime="${e(stamp)}">${e(stamp.slice(0, 10))}</time>`;
}

/** The web page of one issue, at its permalink. */
export function renderIssuePage(site: Site, issue: Issue, options: PageOptions = {}): string {
  const tags = [...issue.tags, ...issue.categories];
  const main = `<article>
<h1>${e(issue.title)}</h1>
<p class="meta">${time(issue, site)}${issue.author.name ? ` · ${e(issue.author.name)}` : ''}${tags.length ? ` · ${tags.map(e).join(', ')}` : ''}</p>
${issue.html}
</article>`;
  return layout(site, `${issue.title} · ${site.title}`, issue.url, issue.summary, main, options);
}

/** The home page: every published issue, newest first. */
export function renderIndexPage(site: Site, issues: Issue[], options: PageOptions = {}): string {
  const items = issues.map((issue) => `<li>${time(issue, site)}<br><a href="${e(issue.url)}">${e(issue.title)}</a><p>${e(issue.summary)}</p></li>`).join('\n');
  const main = `<h1>${e(site.title)}</h1>
${site.description ? `<p>${e(site.description)}</p>` : ''}
<ul class="issues">
${items}
</ul>`;
  return layout(site, site.title, site.baseUrl, site.description || site.title, main, options);
}
