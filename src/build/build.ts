import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, placeholderProblems } from '../config/index.js';
import { bundleResources, createIssueCache, type Issue, type LoadOptions, loadIssues } from '../content/index.js';
import {
  loadTemplate,
  personalizeHtml,
  personalizeText,
  preloadEmailRenderer,
  prestartMjml,
  previewUnsubscribeUrl,
  type RenderedEmail,
  renderEmails,
  ShellCache,
} from '../email/index.js';
import { GazetteError } from '../errors.js';
import { FEED_FILES, FEED_STYLESHEET, renderAtom, renderJsonFeed, renderRss } from '../feeds/index.js';
import { OUTBOX } from '../mail/index.js';
import {
  archivePageUrl,
  type LayoutContext,
  renderArchivePage,
  renderIndexPage,
  renderIssuePage,
  renderNotFoundPage,
  renderSitemap,
  renderTagPage,
  tagKey,
  tagUrl,
} from '../pages/index.js';
import { cacheKey, codeVersion } from '../util/disk-cache.js';
import { createWalker, filesUnder, guardOf, publishable } from '../util/files.js';
import { type OutputFile, retireOutboxInOutput, writeOutput } from './output.js';

export interface BuildOptions extends LoadOptions {
  /** MJML validation level for the emails (default `soft`; tests use `strict`). */
  emailValidation?: 'strict' | 'soft';
}

/** The page templates Gazette ships (the project's own `page-templates/`). */
const BUNDLED_PAGE_TEMPLATES = fileURLToPath(new URL('../../page-templates/', import.meta.url));

/** `page-templates/<name>` beside the config if there is one, else Gazette's. */
export async function pageTemplatePath(config: Config, name = 'layout.hbs'): Promise<string> {
  const local = path.join(config.root, 'page-templates', name);
  return existsSync(local) ? local : path.join(BUNDLED_PAGE_TEMPLATES, name);
}

/** The code that makes pages and feeds from issues (a folder each): part of every page's key. */
const PAGE_CODE = ['../pages/index.js', '../feeds/index.js', '../i18n/index.js', '../util/html.js', '../content/index.js', './build.js'].map(
  (m) => new URL(m, import.meta.url).href,
);

/** The longest file name most file systems allow, in bytes (ext4, APFS, NTFS in UTF-16 aside). */
const MAX_NAME_BYTES = 255;

/** Gmail clips a message over 102 KB; warn well before. */
export const EMAIL_SIZE_WARNING = 90 * 1024;

export interface BuildResult {
  /** Published issues written. */
  issues: Issue[];
  skipped: { drafts: number; future: number };
  /** Files written under `build.out`. */
  files: number;
  /** The newest `email.preview_limit` issues' emails, as rendered (per-subscriber values still markers). */
  emails: Map<Issue, RenderedEmail>;
  warnings: string[];
}

/** The folder (relative to the output) an issue's page and resources live in. */
export function issueFolder(issue: Issue, baseUrl: string): { dir: string; page: string } {
  return folderUnder(issue, sitePath(baseUrl));
}

/** base_url's own path, decoded: `https://example.com/digest/` serves out/ at /digest/. */
function sitePath(baseUrl: string): string {
  return decodeURIComponent(new URL(baseUrl).pathname);
}

/** issueFolder, with base_url's path (`sitePath`) worked out once for all issues. */
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
 * Every file of the output, planned: pages and feeds rendered from the
 * issues, static files and bundle resources listed for copying. Not pure:
 * it walks `build.static` and the bundles (refusing links to Gazette's
 * private files, with a warning), and loads the page template.
 */
export async function planOutput(
  config: Config,
  issues: Issue[],
  emails: PlannedEmails = { issues: [], rendered: Promise.resolve(new Map()) },
  warnings: string[] = [],
): Promise<Map<string, OutputFile>> {
  const files = new Map<string, OutputFile>();
  const exists = statSync(config.build.static, { throwIfNoEntry: false })?.isDirectory() === true;
  const guard = guardOf(config.neverPublished);
  /** A file to copy into the output, unless it is one of Gazette's private files by another name. */
  const copyable = (file: string) => {
    const refused = publishable(guard, file);
    if (refused) warnings.push(refused);
    return !refused;
  };
  const staticWalker = await createWalker(config.root, guard);
  for (const rel of exists ? await filesUnder(staticWalker, config.build.static) : []) {
    const from = path.join(config.build.static, rel);
    if (copyable(from)) files.set(rel.split(path.sep).join('/'), { copyFrom: from });
  }
  warnings.push(...staticWalker.skipped);
  const site = config.site;
  const inFeeds = issues.slice(0, config.feeds.limit);
  // Static files may be replaced by generated ones; nothing generated may replace another.
  /** What owns each generated path: described only when two collide. */
  const generated = new Map<string, { owner: string; issue: Issue | undefined }>();
  const describe = ({ owner, issue }: { owner: string; issue: Issue | undefined }) =>
    issue ? `${owner === 'page' ? 'the page' : `the ${owner}`} of ${issue.slug}` : `the site's ${owner}`;
  const plan = (rel: string, file: OutputFile, owner: string, issue?: Issue) => {
    const taken = generated.get(rel);
    if (taken !== undefined) {
      throw new GazetteError('CONTENT', `its ${owner} would be written to ${rel}, which is already ${describe(taken)}; change the slug (or site.permalink)`, {
        file: issue?.file ?? config.file,
      });
    }
    // A name is at most three bytes a UTF-16 unit: only a long path can have a name over the limit.
    const long = rel.length * 3 <= MAX_NAME_BYTES ? undefined : rel.split('/').find((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES);
    if (long !== undefined) {
      throw new GazetteError(
        'CONTENT',
        `its ${owner} would need a file name of ${Buffer.byteLength(long)} bytes, over the ${MAX_NAME_BYTES} that file systems allow; use a shorter slug`,
        {
          file: issue?.file ?? config.file,
        },
      );
    }
    generated.set(rel, { owner, issue });
    files.set(rel, file);
  };
  const layout = await loadTemplate(await pageTemplatePath(config), 'page template', config.neverPublished);
  // What every generated file is made from besides its issues (no secrets: SMTP and the send secret play no
  // part): a change to any of it makes every page anew.
  const { content, build: folders, feeds, server } = config;
  const pagesKey = cacheKey(await codeVersion(...PAGE_CODE), layout.source, JSON.stringify({ site, content, folders, feeds, server }));
  const keyOf = (what: string, ...issueLists: Array<Array<Issue | undefined>>) => {
    // One hash, fed fingerprint by fingerprint (a tag on a thousand issues would join 64 KB first).
    const hash = createHash('sha256').update(`${pagesKey}\n${what.length}:${what}`);
    for (const list of issueLists) {
      hash.update(`\n${list.length}:`);
      for (const issue of list) {
        if (issue && issue.fingerprint === undefined) return undefined;
        hash.update(issue ? issue.fingerprint! : '-');
      }
    }
    return hash.digest('hex');
  };
  plan(FEED_FILES.rss, { text: () => renderRss({ site, issues: inFeeds }), key: keyOf('rss', inFeeds) }, 'RSS feed');
  plan(FEED_FILES.atom, { text: () => renderAtom({ site, issues: inFeeds }), key: keyOf('atom', inFeeds) }, 'Atom feed');
  plan(FEED_FILES.json, { text: () => renderJsonFeed({ site, issues: inFeeds }), key: keyOf('json', inFeeds) }, 'JSON feed');
  const pageOptions = { publicUrl: config.server.publicUrl, layout: (context: LayoutContext) => layout.fill(context) };
  // The home page holds the newest feeds.limit issues; every issue is also on an archive page,
  // feeds.limit to a page, numbered from the oldest: a new issue changes the newest archive page only.
  const perPage = config.feeds.limit;
  const count = issues.length;
  const pages = Math.ceil(count / perPage);
  /** The archive page of the issue at `index` (newest first). */
  const pageOf = (index: number) => Math.floor((count - 1 - index) / perPage) + 1;
  const home = issues.slice(0, perPage);
  const older = count > perPage ? pageOf(perPage) : undefined;
  plan('index.html', { text: () => renderIndexPage(site, home, pageOptions, older), key: keyOf(`home, older on ${older}`, home) }, 'home page');
  const sitemap: Array<{ url: string; updated?: Date }> = [{ url: site.baseUrl }];
  for (let n = 1; n <= pages; n++) {
    const listed = issues.slice(Math.max(0, count - n * perPage), count - (n - 1) * perPage);
    const page = { n, newest: n === pages };
    plan(
      `archive/${n}/index.html`,
      { text: () => renderArchivePage(site, listed, pageOptions, page), key: keyOf(`archive ${n}${page.newest ? ', the newest' : ''}`, listed) },
      `archive page ${n}`,
    );
    sitemap.push({ url: archivePageUrl(site, n) });
  }
  plan('404.html', { text: () => renderNotFoundPage(site, pageOptions), key: keyOf('404') }, 'page for missing pages');
  plan(FEED_STYLESHEET, { copyFrom: await pageTemplatePath(config, FEED_STYLESHEET) }, 'feed stylesheet');
  // A page and an RSS feed per tag (tags and categories alike), so readers can follow part of a digest.
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
    plan(
      `tags/${key}/index.html`,
      { text: () => renderTagPage(site, name, tagged, pageOptions), key: keyOf(`tag ${name}`, tagged) },
      `page of the tag ${name}`,
    );
    const newest = tagged.slice(0, config.feeds.limit);
    plan(
      `tags/${key}/rss.xml`,
      {
        text: () => renderRss({ site, issues: newest, part: { title: name, link, self: new URL('rss.xml', link).href } }),
        key: keyOf(`tag feed ${name}`, newest),
      },
      `feed of the tag ${name}`,
    );
    sitemap.push({ url: link, updated: tagged[0]?.updated });
  }
  const sample = { unsubscribeUrl: previewUnsubscribeUrl(config), email: 'reader@example.com' };
  const emailOf = async (issue: Issue) => (await emails.rendered).get(issue)!;
  for (const issue of emails.issues) {
    const email = emails.keys?.get(issue);
    plan(
      `email/${issue.slug}.html`,
      { text: async () => personalizeHtml(await emailOf(issue), sample), key: email && keyOf(`email ${email}`) },
      'email preview',
      issue,
    );
    plan(
      `email/${issue.slug}.txt`,
      { text: async () => personalizeText(await emailOf(issue), sample), key: email && keyOf(`email text ${email}`) },
      'email text',
      issue,
    );
  }
  const base = sitePath(site.baseUrl);
  for (const [index, issue] of issues.entries()) {
    const { dir, page } = folderUnder(issue, base);
    const neighbours = { older: issues[index + 1], newer: issues[index - 1] };
    plan(
      page,
      { text: () => renderIssuePage(site, issue, pageOptions, neighbours), key: keyOf('page', [issue, neighbours.older, neighbours.newer]) },
      'page',
      issue,
    );
    sitemap.push({ url: issue.url, updated: issue.updated });
    if (issue.bundleDir) {
      const walker = await createWalker(config.root, guard);
      for (const rel of await bundleResources(walker, issue.bundleDir)) {
        const from = path.join(issue.bundleDir, rel);
        if (copyable(from)) plan(path.posix.join(dir, rel.split(path.sep).join('/')), { copyFrom: from }, `file ${rel}`, issue);
      }
      warnings.push(...walker.skipped);
    }
  }
  plan('sitemap.xml', { text: () => renderSitemap(sitemap), key: keyOf('sitemap', issues) }, 'sitemap');
  return files;
}

/** `gazette build`: content in, `build.out` replaced whole, or untouched on any error. */
export async function build(config: Config, options: BuildOptions = {}): Promise<BuildResult> {
  const issueCache = createIssueCache(config);
  // MJML loads on another core while the issues are read, in case an email must be rendered, unless
  // the cache has the shells that emails are made from (see email/shell.ts): then it likely needs none.
  const mjml = ShellCache.any(config.build.cache) ? undefined : prestartMjml(config.runtime.workers);
  let emails: Map<Issue, RenderedEmail>;
  let loaded: Awaited<ReturnType<typeof loadIssues>>;
  let files: Map<string, OutputFile>;
  try {
    // A new issue's email will need the renderer: its modules load while the issues are read.
    let preloading = false;
    const parsing = () => {
      if (!preloading) preloadEmailRenderer();
      preloading = true;
    };
    loaded = await loadIssues(config, { ...options, cache: issueCache, parsing });
    // Only the newest issues can still be sent: the older ones' emails are rendered when asked for.
    // They are rendered (on MJML's core) while the other files are written; theirs come last.
    let dispatched!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      dispatched = resolve;
    });
    const newest = loaded.issues.slice(0, config.email.previewLimit);
    let keys: Map<Issue, string> | undefined;
    const rendering = renderEmails(config, newest, {
      validationLevel: options.emailValidation,
      warn: (w) => loaded.warnings.push(w),
      mjml,
      dispatched,
      keyed: (k) => {
        keys = k;
      },
    });
    rendering.catch(() => undefined);
    // Writing the output keeps this thread busy: first let the emails reach MJML.
    await Promise.race([handedOver, rendering]);
    files = await planOutput(config, loaded.issues, { issues: newest, rendered: rendering, ...(keys ? { keys } : {}) }, loaded.warnings);
    await retireOutboxInOutput(config.build.out, OUTBOX, config.subscribers.outbox);
    await writeOutput(config.build.out, files, { manifests: path.join(config.build.cache, 'output') });
    emails = await rendering;
  } finally {
    await mjml?.close();
  }
  const { issues, skipped, warnings } = loaded;
  issueCache.save();
  if (issues.length === 0) warnings.push('no published issues: the feeds are empty');
  warnings.push(...placeholderProblems(config.placeholders.filter((key) => key === 'site.base_url')).map((p) => `${config.file}: ${p}`));
  for (const [issue, email] of emails) {
    const size = Buffer.byteLength(email.html);
    if (size > EMAIL_SIZE_WARNING) {
      warnings.push(`${issue.file}: the email is ${Math.round(size / 1024)} KB; Gmail clips messages over 102 KB (shorten the issue or the template)`);
    }
  }
  if (emails.size > 0 && !config.email.postalAddress) {
    warnings.push('email.postal_address is empty: anti-spam laws (CAN-SPAM) require a postal address in every newsletter');
  }
  return { issues, skipped, files: files.size, emails, warnings };
}
