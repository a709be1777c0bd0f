import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import { bundleResources, completeRollups, type Issue, rollupAsEntry, rollupFeedTitle, topicsOfIssue } from '../content/index.js';
import {
  type EmailTemplate,
  loadTemplate,
  personalizeHtml,
  personalizeText,
  previewLinks,
  type RenderedEmail,
  renderRollupEmail,
  rollupTemplateSource,
} from '../email/index.js';
import { GazetteError } from '../errors.js';
import { FEED_FILES, FEED_STYLESHEET, renderAtom, renderJsonFeed, renderRss } from '../feeds/index.js';
import {
  archivePageUrl,
  type LayoutContext,
  type PageOptions,
  renderArchivePage,
  renderIndexPage,
  renderIssuePage,
  renderNotFoundPage,
  renderRollupPage,
  renderSitemap,
  renderTagPage,
  tagKey,
  tagUrl,
} from '../pages/index.js';
import { cacheKey, codeVersion } from '../util/disk-cache.js';
import { createWalker, filesUnder, type Guard, guardOf, publishable } from '../util/files.js';
import type { OutputFile } from './output.js';

/** The page templates Gazette ships (the project's own `page-templates/`). */
const BUNDLED_PAGE_TEMPLATES = fileURLToPath(new URL('../../page-templates/', import.meta.url));

/** `page-templates/<name>` beside the config if there is one, else Gazette's. */
export async function pageTemplatePath(config: Pick<Config, 'root'>, name = 'layout.hbs'): Promise<string> {
  const local = path.join(config.root, 'page-templates', name);
  return existsSync(local) ? local : path.join(BUNDLED_PAGE_TEMPLATES, name);
}

/** The code that makes pages and feeds from issues (a folder each): part of every page's key. */
const PAGE_CODE = ['../pages/index.js', '../feeds/index.js', '../i18n/index.js', '../util/html.js', '../content/index.js', './plan.js'].map(
  (m) => new URL(m, import.meta.url).href,
);

/** The longest file name most file systems allow, in bytes (ext4, APFS, NTFS in UTF-16 aside). */
const MAX_NAME_BYTES = 255;

/** base_url's own path, decoded: `https://example.com/digest/` serves out/ at /digest/. */
function sitePath(baseUrl: string): string {
  return decodeURIComponent(new URL(baseUrl).pathname);
}

/** The folder (relative to the output) an issue's page and resources live in, under base_url's path (`sitePath`). */
function folderUnder(issue: Issue, base: string): { dir: string; page: string } {
  const full = decodeURIComponent(issue.path);
  const decoded = (full.startsWith(base) ? full.slice(base.length) : full).replace(/^\/+/, '');
  if (decoded === '' || decoded.endsWith('/')) return { dir: decoded, page: `${decoded}index.html` };
  return { dir: path.posix.dirname(decoded), page: decoded };
}

/** The issues whose emails are previewed in out/email/, and their emails, being rendered. */
export interface PlannedEmails {
  issues: Issue[];
  rendered: Promise<Map<Issue, RenderedEmail>>;
  /** Each email's cache key (everything it is made of), when known: an unchanged preview is not made again. */
  keys?: Map<Issue, string>;
}

/**
 * The output being planned: each generated path once (two that collide
 * are an error naming both), every file's key, and the sitemap's entries.
 * Static files may be replaced by generated ones; nothing generated may
 * replace another.
 */
class OutputPlan {
  readonly files = new Map<string, OutputFile>();
  readonly sitemap: Array<{ url: string; updated?: Date | undefined }> = [];
  /** What owns each generated path: described only when two collide. */
  private readonly generated = new Map<string, { owner: string; issue: Issue | undefined }>();

  constructor(
    readonly config: Config,
    readonly warnings: string[],
    readonly guard: Guard,
    /** What every generated file is made from besides its issues (code, template, config): see `keyOf`. */
    private readonly pagesKey: string,
    readonly pageOptions: PageOptions,
  ) {}

  /** A file to copy into the output, unless it is one of Gazette's private files by another name. */
  copyable(file: string): boolean {
    const refused = publishable(this.guard, file);
    if (refused) this.warnings.push(refused);
    return !refused;
  }

  /** Copy a file from the static folder (it may be replaced by a generated one). */
  copy(rel: string, file: OutputFile): void {
    this.files.set(rel, file);
  }

  plan(rel: string, file: OutputFile, owner: string, issue?: Issue): void {
    const taken = this.generated.get(rel);
    if (taken !== undefined) {
      const described = taken.issue ? `${taken.owner === 'page' ? 'the page' : `the ${taken.owner}`} of ${taken.issue.slug}` : `the site's ${taken.owner}`;
      throw new GazetteError('CONTENT', `its ${owner} would be written to ${rel}, which is already ${described}; change the slug (or site.permalink)`, {
        file: issue?.file ?? this.config.file,
      });
    }
    // A name is at most three bytes a UTF-16 unit: only a long path can have a name over the limit.
    const long = rel.length * 3 <= MAX_NAME_BYTES ? undefined : rel.split('/').find((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES);
    if (long !== undefined) {
      throw new GazetteError(
        'CONTENT',
        `its ${owner} would need a file name of ${Buffer.byteLength(long)} bytes, over the ${MAX_NAME_BYTES} that file systems allow; use a shorter slug`,
        {
          file: issue?.file ?? this.config.file,
        },
      );
    }
    this.generated.set(rel, { owner, issue });
    this.files.set(rel, file);
  }

  /** A generated file's key: what it is made of besides the issues, and the issues' fingerprints (undefined when one has none). */
  keyOf(what: string, ...issueLists: Array<Array<Issue | undefined>>): string | undefined {
    // One hash, fed fingerprint by fingerprint (a tag on a thousand issues would join 64 KB first).
    const hash = createHash('sha256').update(`${this.pagesKey}\n${what.length}:${what}`);
    for (const list of issueLists) {
      hash.update(`\n${list.length}:`);
      for (const issue of list) {
        if (issue && issue.fingerprint === undefined) return undefined;
        hash.update(issue ? issue.fingerprint! : '-');
      }
    }
    return hash.digest('hex');
  }
}

/** The static folder's files, to copy (links to Gazette's private files refused, with a warning). */
async function planStatic(out: OutputPlan): Promise<void> {
  const { config } = out;
  if (statSync(config.build.static, { throwIfNoEntry: false })?.isDirectory() !== true) return;
  const walker = await createWalker(config.root, out.guard);
  for (const rel of await filesUnder(walker, config.build.static)) {
    const from = path.join(config.build.static, rel);
    if (out.copyable(from)) out.copy(rel.split(path.sep).join('/'), { copyFrom: from });
  }
  out.warnings.push(...walker.skipped);
}

/** RSS, Atom and JSON Feed of the newest `feeds.limit` issues. */
function planFeeds(out: OutputPlan, issues: Issue[]): void {
  const site = out.config.site;
  const inFeeds = issues.slice(0, out.config.feeds.limit);
  out.plan(FEED_FILES.rss, { text: () => renderRss({ site, issues: inFeeds }), key: out.keyOf('rss', inFeeds) }, 'RSS feed');
  out.plan(FEED_FILES.atom, { text: () => renderAtom({ site, issues: inFeeds }), key: out.keyOf('atom', inFeeds) }, 'Atom feed');
  out.plan(FEED_FILES.json, { text: () => renderJsonFeed({ site, issues: inFeeds }), key: out.keyOf('json', inFeeds) }, 'JSON feed');
}

/**
 * The home page, which holds the newest `feeds.limit` issues, and the
 * archive pages: every issue is on one, `feeds.limit` to a page, numbered
 * from the oldest, so a new issue changes the newest archive page only.
 * Then the page for missing pages and the feeds' stylesheet.
 */
async function planListPages(out: OutputPlan, issues: Issue[]): Promise<void> {
  const { config, pageOptions } = out;
  const site = config.site;
  const perPage = config.feeds.limit;
  const count = issues.length;
  const pages = Math.ceil(count / perPage);
  /** The archive page of the issue at `index` (newest first). */
  const pageOf = (index: number) => Math.floor((count - 1 - index) / perPage) + 1;
  const home = issues.slice(0, perPage);
  const older = count > perPage ? pageOf(perPage) : undefined;
  out.plan('index.html', { text: () => renderIndexPage(site, home, pageOptions, older), key: out.keyOf(`home, older on ${older}`, home) }, 'home page');
  out.sitemap.push({ url: site.baseUrl });
  for (let n = 1; n <= pages; n++) {
    const listed = issues.slice(Math.max(0, count - n * perPage), count - (n - 1) * perPage);
    const page = { n, newest: n === pages };
    out.plan(
      `archive/${n}/index.html`,
      { text: () => renderArchivePage(site, listed, pageOptions, page), key: out.keyOf(`archive ${n}${page.newest ? ', the newest' : ''}`, listed) },
      `archive page ${n}`,
    );
    out.sitemap.push({ url: archivePageUrl(site, n) });
  }
  out.plan('404.html', { text: () => renderNotFoundPage(site, pageOptions), key: out.keyOf('404') }, 'page for missing pages');
  out.plan(FEED_STYLESHEET, { copyFrom: await pageTemplatePath(config, FEED_STYLESHEET) }, 'feed stylesheet');
}

/** RSS, Atom and JSON Feed per topic of `[topics]` (`topics/<key>/`): a feed reader's way to choose, as email readers do. */
function planTopicFeeds(out: OutputPlan, issues: Issue[]): void {
  const { config } = out;
  const site = config.site;
  for (const topic of config.topics) {
    const covered = issues.filter((issue) => topicsOfIssue(issue, [topic]).length > 0).slice(0, config.feeds.limit);
    const part = (file: string) => ({ title: topic.label, link: site.baseUrl, self: new URL(`topics/${topic.key}/${file}`, site.baseUrl).href });
    const renderers = [
      [FEED_FILES.rss, renderRss, 'RSS'],
      [FEED_FILES.atom, renderAtom, 'Atom'],
      [FEED_FILES.json, renderJsonFeed, 'JSON'],
    ] as const;
    for (const [file, render, kind] of renderers) {
      out.plan(
        `topics/${topic.key}/${file}`,
        { text: () => render({ site, issues: covered, part: part(file) }), key: out.keyOf(`topic ${kind} ${topic.key} ${topic.label}`, covered) },
        `${kind} feed of the topic ${topic.key}`,
      );
    }
  }
}

/**
 * The weekly roll-ups (every complete week with an issue): a page each
 * (`weekly/<2026-w48>/`), and RSS, Atom and JSON Feed of them
 * (`weekly/`), for readers who want the week at once.
 */
async function planRollups(out: OutputPlan, issues: Issue[]): Promise<void> {
  const { config, pageOptions } = out;
  const site = config.site;
  const rollups = completeRollups(issues, config);
  const sample = { ...previewLinks(config), email: 'reader@example.com' };
  // The template is part of each preview's key: an edit to it makes them anew.
  const template = rollups.length
    ? createHash('sha256')
        .update(await rollupTemplateSource(config))
        .digest('hex')
    : '';
  for (const rollup of rollups) {
    out.plan(
      `weekly/${rollup.slug}/index.html`,
      { text: () => renderRollupPage(site, rollup, pageOptions), key: out.keyOf(`roll-up ${rollup.week} ${rollup.title}`, rollup.issues) },
      `page of the roll-up ${rollup.week}`,
    );
    // Its email as a reader of everything gets it (what `send --rollup` mails), beside its page.
    out.plan(
      `weekly/${rollup.slug}/email.html`,
      {
        text: async () => personalizeHtml(await renderRollupEmail(config, rollup, rollup.issues), sample),
        key: out.keyOf(`roll-up email ${rollup.week} ${rollup.title} ${template}`, rollup.issues),
      },
      `email preview of the roll-up ${rollup.week}`,
    );
    out.sitemap.push({ url: rollup.url, updated: rollup.end });
  }
  if (rollups.length === 0) return;
  const entries = rollups.slice(0, config.feeds.limit).map((r) => rollupAsEntry(r, config));
  const newest = rollups.slice(0, config.feeds.limit).flatMap((r) => r.issues);
  const part = (file: string) => ({ title: rollupFeedTitle(site.language), link: site.baseUrl, self: new URL(`weekly/${file}`, site.baseUrl).href });
  const feedKey = (kind: string) => out.keyOf(`roll-up feed ${kind} ${entries.map((r) => `${r.key} ${r.title}`).join(' ')}`, newest);
  out.plan(
    `weekly/${FEED_FILES.rss}`,
    { text: () => renderRss({ site, issues: entries, part: part(FEED_FILES.rss) }), key: feedKey('rss') },
    'RSS feed of the roll-ups',
  );
  out.plan(
    `weekly/${FEED_FILES.atom}`,
    { text: () => renderAtom({ site, issues: entries, part: part(FEED_FILES.atom) }), key: feedKey('atom') },
    'Atom feed of the roll-ups',
  );
  out.plan(
    `weekly/${FEED_FILES.json}`,
    { text: () => renderJsonFeed({ site, issues: entries, part: part(FEED_FILES.json) }), key: feedKey('json') },
    'JSON feed of the roll-ups',
  );
}

/** A page and an RSS feed per tag (tags and categories alike), so readers can follow part of a digest. */
function planTags(out: OutputPlan, issues: Issue[]): void {
  const { config, pageOptions } = out;
  const site = config.site;
  const byTag = new Map<string, { name: string; issues: Issue[] }>();
  for (const issue of issues) {
    for (const tag of new Set([...issue.tags, ...issue.categories])) {
      const key = tagKey(tag);
      const entry = byTag.get(key) ?? { name: tag, issues: [] };
      entry.issues.push(issue);
      byTag.set(key, entry);
    }
  }
  for (const [key, { name, issues: tagged }] of byTag) {
    const link = tagUrl(site, name);
    out.plan(
      `tags/${key}/index.html`,
      { text: () => renderTagPage(site, name, tagged, pageOptions), key: out.keyOf(`tag ${name}`, tagged) },
      `page of the tag ${name}`,
    );
    const newest = tagged.slice(0, config.feeds.limit);
    out.plan(
      `tags/${key}/rss.xml`,
      {
        text: () => renderRss({ site, issues: newest, part: { title: name, link, self: new URL('rss.xml', link).href } }),
        key: out.keyOf(`tag feed ${name}`, newest),
      },
      `feed of the tag ${name}`,
    );
    out.sitemap.push({ url: link, updated: tagged[0]?.updated });
  }
}

/** Each previewed email, as HTML and as text, addressed to a sample reader. */
function planEmailPreviews(out: OutputPlan, emails: PlannedEmails): void {
  const sample = { ...previewLinks(out.config), email: 'reader@example.com' };
  const emailOf = async (issue: Issue) => (await emails.rendered).get(issue)!;
  for (const issue of emails.issues) {
    const email = emails.keys?.get(issue);
    out.plan(
      `email/${issue.slug}.html`,
      { text: async () => personalizeHtml(await emailOf(issue), sample), key: email && out.keyOf(`email ${email}`) },
      'email preview',
      issue,
    );
    out.plan(
      `email/${issue.slug}.txt`,
      { text: async () => personalizeText(await emailOf(issue), sample), key: email && out.keyOf(`email text ${email}`) },
      'email text',
      issue,
    );
  }
}

/** Each issue's page, linking its neighbours, and the files of its bundle. */
async function planIssuePages(out: OutputPlan, issues: Issue[]): Promise<void> {
  const { config, pageOptions } = out;
  const base = sitePath(config.site.baseUrl);
  for (const [index, issue] of issues.entries()) {
    const { dir, page } = folderUnder(issue, base);
    const neighbours = { older: issues[index + 1], newer: issues[index - 1] };
    out.plan(
      page,
      { text: () => renderIssuePage(config.site, issue, pageOptions, neighbours), key: out.keyOf('page', [issue, neighbours.older, neighbours.newer]) },
      'page',
      issue,
    );
    out.sitemap.push({ url: issue.url, updated: issue.updated });
    if (issue.bundleDir) {
      const walker = await createWalker(config.root, out.guard);
      for (const rel of await bundleResources(walker, issue.bundleDir)) {
        const from = path.join(issue.bundleDir, rel);
        if (out.copyable(from)) out.plan(path.posix.join(dir, rel.split(path.sep).join('/')), { copyFrom: from }, `file ${rel}`, issue);
      }
      out.warnings.push(...walker.skipped);
    }
  }
}

/** What every generated file is made from besides its issues (no secrets: SMTP and the send secret play no part). */
async function pagesKeyOf(config: Config, layout: EmailTemplate): Promise<string> {
  const { site, content, build: folders, feeds, server, topics, rollup } = config;
  return cacheKey(await codeVersion(...PAGE_CODE), layout.source, JSON.stringify({ site, content, folders, feeds, server, topics, rollup }));
}

/**
 * Every file of the output, planned, a function per kind: static files
 * and bundle resources listed for copying, feeds and pages rendered from
 * the issues when written. Not pure: it walks `build.static` and the
 * bundles (refusing links to Gazette's private files, with a warning), and
 * loads the page template. A change to the code, the template or the
 * config makes every page anew.
 */
export async function planOutput(
  config: Config,
  issues: Issue[],
  emails: PlannedEmails = { issues: [], rendered: Promise.resolve(new Map()) },
  warnings: string[] = [],
): Promise<Map<string, OutputFile>> {
  const layout = await loadTemplate(await pageTemplatePath(config), 'page template', config.neverPublished);
  const pageOptions = { publicUrl: config.server.publicUrl, topics: config.topics, layout: (context: LayoutContext) => layout.fill(context) };
  const out = new OutputPlan(config, warnings, guardOf(config.neverPublished), await pagesKeyOf(config, layout), pageOptions);
  await planStatic(out);
  planFeeds(out, issues);
  await planListPages(out, issues);
  planTags(out, issues);
  planTopicFeeds(out, issues);
  await planRollups(out, issues);
  planEmailPreviews(out, emails);
  await planIssuePages(out, issues);
  out.plan('sitemap.xml', { text: () => renderSitemap(out.sitemap), key: out.keyOf('sitemap', issues) }, 'sitemap');
  return out.files;
}
