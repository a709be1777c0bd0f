import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Author, Config } from '../config/index.js';
import { displayPath } from '../config/index.js';
import { GazetteError, GazetteErrors } from '../errors.js';
import { cacheKey, codeVersion, DiskCache } from '../util/disk-cache.js';
import { checkEmail } from '../util/email.js';
import { plainLine, stripControl } from '../util/text.js';
import { calendarDay, parseDate } from './dates.js';
import { findSources, type SourceFile } from './files.js';
import { type FrontMatter, splitFrontMatter } from './frontmatter.js';
import type { Issue } from './issue.js';
import { createMarkdownRenderer, type MarkdownRenderer, type RenderedMarkdown } from './markdown.js';
import { deriveSummary } from './summary.js';

/** What the cache keeps of an issue: enough for feeds and pages without parsing its Markdown. */
export interface RenderedBody {
  html: string;
  /** The derived summary (used when front matter gives none). */
  summary: string;
}

function isRenderedBody(value: unknown): value is RenderedBody {
  const v = value as RenderedBody;
  return typeof v?.html === 'string' && typeof v.summary === 'string';
}

/** Rendered issues kept between builds in `build.cache`/content. */
export function createIssueCache(config: Config): DiskCache<RenderedBody> {
  return new DiskCache(path.join(config.build.cache, 'content'), isRenderedBody);
}

export interface LoadOptions {
  /** Include drafts (default false). */
  drafts?: boolean;
  /** Include issues dated after `now` (default false). */
  future?: boolean;
  /** The present, for deciding what is in the future (default: the clock). */
  now?: Date;
  /** Rendered issues from earlier runs (see createIssueCache); without it every issue is parsed. */
  cache?: DiskCache<RenderedBody>;
}

export interface LoadResult {
  /** Published issues, newest first. */
  issues: Issue[];
  /** How many were left out, and why. */
  skipped: { drafts: number; future: number };
}

/** Decode strictly: a file that is not UTF-8 (GBK, say) is an error with the line of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Name the line of the first undecodable byte.
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const bad = lenient.indexOf('\uFFFD');
    const line = lenient.slice(0, Math.max(bad, 0)).split('\n').length;
    throw new GazetteError('not valid UTF-8 text (is it saved in another encoding, such as GBK?); save it as UTF-8', { file, line });
  }
}

/**
 * A file's text as the parsers expect it: no BOM, LF line endings, and no
 * control characters (a stray one pasted into a title is never meant, and
 * TOML would reject it).
 */
function normalize(text: string): string {
  return stripControl(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  return undefined;
}

/** Slugs are one URL path segment: no slashes, dots alone or control characters. */
function checkSlug(slug: string): string | undefined {
  if (slug === '') return 'must not be empty';
  if (/[/\\?#%]/.test(slug)) return `${JSON.stringify(slug)} may not contain / \\ ? # or %`;
  if (slug === '.' || slug === '..') return `${JSON.stringify(slug)} is not a usable slug`;
  return undefined;
}

function urlPath(config: Config, slug: string, date: Date): string {
  const day = calendarDay(date, config.site.timezone);
  return config.site.permalink
    .replaceAll('{slug}', encodeURIComponent(slug))
    .replaceAll('{year}', day.year)
    .replaceAll('{month}', day.month)
    .replaceAll('{day}', day.day);
}

/**
 * A `tag:` URI (RFC 4151) from the site's host, the issue's day and its slug:
 * unchanged if the site moves from http to https or the permalink changes.
 */
export function issueId(config: Config, slug: string, date: Date): string {
  const host = new URL(config.site.baseUrl).hostname;
  const day = calendarDay(date, config.site.timezone);
  return `tag:${host},${day.year}-${day.month}-${day.day}:${encodeURIComponent(slug)}`;
}

interface Context {
  config: Config;
  markdown: MarkdownRenderer;
  cache?: DiskCache<RenderedBody>;
  /** The content code's version, part of every cache key. */
  version?: string;
}

/** Build one Issue from a file, or throw every problem found in it. */
export async function parseIssue(bytes: Uint8Array, source: SourceFile, ctx: Context): Promise<Issue> {
  const file = displayPath(source.path);
  const text = normalize(decodeUtf8(bytes, file));
  const fm = splitFrontMatter(text, file);
  const problems: GazetteError[] = [];
  const problem = (key: string, message: string) => problems.push(new GazetteError(`${key}: ${message}`, { file, line: fm.lineOf(key) ?? 1 }));
  const fields = readFields(fm, ctx.config, problem);

  const defaultSlug = source.bundleDir ? path.basename(source.bundleDir) : path.basename(source.path).replace(/\.md$/i, '');
  const slug = plainLine(fields.slug ?? defaultSlug).replace(/\s+/g, '-');
  const slugProblem = checkSlug(slug);
  if (slugProblem) problem(fields.slug !== undefined ? 'slug' : 'file name', slugProblem);

  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new GazetteErrors(problems, `${file}: ${problems.length} problems`);

  const { config } = ctx;
  const date = fields.date!;
  const pagePath = urlPath(config, slug, date);
  const url = new URL(pagePath.replace(/^\/+/, ''), config.site.baseUrl).href;
  const description = fields.description;

  // An unchanged issue comes from the cache without its Markdown being parsed; its syntax
  // trees are parsed on demand, only by a renderer that needs them (an email not yet cached).
  let rendered: RenderedMarkdown | undefined;
  const render = () => (rendered ??= ctx.markdown.render(fm.body, url));
  const key = ctx.cache && cacheKey(ctx.version ?? '', url, fm.body, config.site.language, String(config.content.summaryLength));
  let body = key ? await ctx.cache!.get(key) : undefined;
  if (!body) {
    const r = render();
    body = { html: r.html, summary: deriveSummary(r.tree, r.hast, config.content.summaryLength) };
    if (key) await ctx.cache!.put(key, body);
  }
  const issue = {
    file,
    ...(source.bundleDir ? { bundleDir: source.bundleDir } : {}),
    slug,
    title: fields.title!,
    date,
    updated: fields.updated && fields.updated > date ? fields.updated : date,
    draft: fields.draft,
    ...(description ? { description } : {}),
    summary: description ?? body.summary,
    tags: fields.tags,
    categories: fields.categories,
    author: fields.author,
    path: new URL(url).pathname,
    url,
    id: issueId(config, slug, date),
    markdown: fm.body,
    html: body.html,
  };
  return Object.defineProperties(issue, {
    tree: { get: () => render().tree, enumerable: false },
    hast: { get: () => render().hast, enumerable: false },
  }) as Issue;
}

interface Fields {
  title?: string;
  date?: Date;
  updated?: Date;
  draft: boolean;
  slug?: string;
  description?: string;
  tags: string[];
  categories: string[];
  author: Author;
}

function readFields(fm: FrontMatter, config: Config, problem: (key: string, message: string) => void): Fields {
  // Keys are read without regard to case, as Hugo does (`Title`, `Date`).
  const d: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fm.data)) {
    const lower = key.toLowerCase();
    if (!(lower in d)) d[lower] = value;
  }
  const out: Fields = { draft: false, tags: [], categories: [], author: { ...config.site.author } };

  if (d.title === undefined) problem('title', 'required, but missing from the front matter');
  else if (typeof d.title !== 'string' && typeof d.title !== 'number') problem('title', 'must be text');
  else if (plainLine(String(d.title)) === '') problem('title', 'must not be empty');
  else out.title = plainLine(String(d.title));

  const date = (key: string, required: boolean): Date | undefined => {
    const value = d[key];
    if (value === undefined) {
      if (required) problem(key, 'required, but missing from the front matter');
      return undefined;
    }
    const parsed = typeof value === 'string' ? parseDate(value, config.site.timezone) : undefined;
    if (!parsed) {
      problem(key, `cannot read ${JSON.stringify(value)} as a date (use 2026-02-23, 2026-02-23T08:00:00 or 2026-02-23T08:00:00+08:00)`);
    }
    return parsed;
  };
  // Hugo's other names for the publication date, used when `date` is absent.
  const dateKey = ['date', 'publishdate', 'pubdate', 'published'].find((k) => d[k] !== undefined) ?? 'date';
  out.date = date(dateKey, true);
  out.updated = d.lastmod !== undefined ? date('lastmod', false) : date('updated', false);

  if (d.draft !== undefined) {
    // YAML 1.1 (older Hugo) wrote booleans as yes/no; accept them written as text.
    const text = typeof d.draft === 'string' ? d.draft.trim().toLowerCase() : undefined;
    if (typeof d.draft === 'boolean') out.draft = d.draft;
    else if (text && ['true', 'yes', 'on'].includes(text)) out.draft = true;
    else if (text && ['false', 'no', 'off'].includes(text)) out.draft = false;
    else problem('draft', 'must be true or false');
  }
  if (d.slug !== undefined) {
    if (typeof d.slug === 'string' || typeof d.slug === 'number') out.slug = String(d.slug);
    else problem('slug', 'must be text');
  }
  for (const key of ['description', 'summary'] as const) {
    if (d[key] === undefined || out.description !== undefined) continue;
    if (typeof d[key] !== 'string') problem(key, 'must be text');
    else if (plainLine(d[key]) !== '') out.description = plainLine(d[key]);
  }
  for (const key of ['tags', 'categories'] as const) {
    if (d[key] === undefined) continue;
    const list = stringList(d[key]);
    if (!list) problem(key, 'must be a list of text, e.g. ["AI", "news"]');
    else out[key] = [...new Set(list.map((t) => plainLine(t)).filter((t) => t !== ''))];
  }
  const author = d.author ?? d.authors;
  if (author !== undefined) {
    const first = Array.isArray(author) ? author[0] : author;
    if (typeof first === 'string') out.author = { name: plainLine(first) };
    else if (first && typeof first === 'object' && typeof (first as Author).name === 'string') {
      const a = first as Author;
      out.author = { name: plainLine(a.name!) };
      if (a.email !== undefined) {
        const checked = typeof a.email === 'string' ? checkEmail(stripControl(a.email)) : { reason: 'must be text' };
        if ('reason' in checked) problem(d.author !== undefined ? 'author' : 'authors', `email: ${checked.reason}`);
        else out.author.email = checked.email;
      }
    } else problem(d.author !== undefined ? 'author' : 'authors', 'must be a name, or a table with name and email');
  }
  return out;
}

/**
 * Read every issue under `content.dir`. Every broken file is reported in
 * one GazetteErrors; nothing is half-loaded.
 */
export async function loadIssues(config: Config, options: LoadOptions = {}): Promise<LoadResult> {
  const dirLabel = displayPath(config.content.dir);
  let sources: SourceFile[];
  try {
    sources = await findSources(config.content.dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GazetteError(code === 'ENOENT' ? 'content folder not found (content.dir)' : `cannot read the content folder: ${(err as Error).message}`, {
      file: dirLabel,
    });
  }
  const ctx: Context = {
    config,
    markdown: createMarkdownRenderer(config.site.language),
    ...(options.cache ? { cache: options.cache, version: await codeVersion(import.meta.url, new URL('../util/text.js', import.meta.url).href) } : {}),
  };
  const problems: GazetteError[] = [];
  const issues: Issue[] = [];
  const results = await Promise.all(
    sources.map(async (source) => {
      try {
        return await parseIssue(await readFile(source.path), source, ctx);
      } catch (err) {
        if (err instanceof GazetteErrors || err instanceof GazetteError) return err;
        if ((err as NodeJS.ErrnoException).code) return new GazetteError(`cannot read: ${(err as Error).message}`, { file: displayPath(source.path) });
        throw err;
      }
    }),
  );
  for (const result of results) {
    if (result instanceof GazetteErrors) problems.push(...result.problems);
    else if (result instanceof GazetteError) problems.push(result);
    else issues.push(result);
  }

  const bySlug = new Map<string, Issue>();
  for (const issue of issues) {
    const key = issue.slug.toLowerCase();
    const other = bySlug.get(key);
    if (other) {
      problems.push(new GazetteError(`slug ${JSON.stringify(issue.slug)} is also used by ${other.file}; give one of them another slug`, { file: issue.file }));
    } else bySlug.set(key, issue);
  }

  if (problems.length > 0) {
    const files = new Set(problems.map((p) => p.place.file)).size;
    throw new GazetteErrors(
      problems,
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}; nothing was written`,
    );
  }

  const now = options.now ?? new Date();
  const skipped = { drafts: 0, future: 0 };
  const published = issues.filter((issue) => {
    if (issue.draft && !options.drafts) {
      skipped.drafts++;
      return false;
    }
    if (issue.date > now && !options.future) {
      skipped.future++;
      return false;
    }
    return true;
  });
  published.sort((a, b) => b.date.getTime() - a.date.getTime() || (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  return { issues: published, skipped };
}
