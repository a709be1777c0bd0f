import path from 'node:path';
import type { Config } from '../config/index.js';
import { GazetteError, GazetteErrors } from '../errors.js';
import { cacheKey } from '../util/disk-cache.js';
import type { PackCache } from '../util/pack-cache.js';
import { plainLine, stripControl } from '../util/text.js';
import { checkSlug, readFields } from './fields.js';
import type { SourceFile } from './files.js';
import { splitFrontMatter } from './frontmatter.js';
import type { Issue } from './issue.js';
import { checkNesting } from './limits.js';
import type { MarkdownRenderer, RenderedMarkdown } from './markdown.js';
import { deriveSummary } from './summary.js';
import { issueId, issueUrl } from './urls.js';

/** What the cache keeps of an issue: enough for feeds and pages without parsing its Markdown. */
export interface RenderedBody {
  html: string;
  /** The derived summary (used when front matter gives none). */
  summary: string;
}

export function isRenderedBody(value: unknown): value is RenderedBody {
  const v = value as RenderedBody;
  return typeof v?.html === 'string' && typeof v.summary === 'string';
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
    throw new GazetteError('CONTENT', 'not valid UTF-8 text (is it saved in another encoding, such as GBK?); save it as UTF-8', { file, line });
  }
}

/**
 * A file's text as the parsers expect it: no BOM, LF line endings, and no
 * control characters (a stray one pasted into a title is never meant, and
 * TOML would reject it).
 */
export function normalize(text: string): string {
  return stripControl(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'));
}

export interface Context {
  config: Config;
  /** The Markdown pipeline, loaded on the first issue not in the cache (a tenth of a second, bundled). */
  markdown: () => Promise<MarkdownRenderer>;
  cache?: PackCache<RenderedBody>;
  /** The content code's version, part of every cache key. */
  version?: string;
}

const TOO_DEEP = 'too deeply nested to parse (lists, quotes or HTML elements); flatten it';

/**
 * An issue's syntax trees, parsed on the first call: an unchanged issue
 * comes from the cache without its Markdown being parsed, and only a
 * renderer that needs the trees (an email not yet cached) parses it.
 */
export function parsedBody(markdown: string, url: string, file: string, ctx: Context): () => Promise<RenderedMarkdown> {
  let parsed: Promise<RenderedMarkdown> | undefined;
  return () =>
    (parsed ??= ctx.markdown().then(async (renderer) => {
      try {
        return await renderer.renderAsync(markdown, url);
      } catch (err) {
        // Whatever the nesting check missed still ends as an input error, not a crash.
        throw err instanceof RangeError ? new GazetteError('CONTENT', TOO_DEEP, { file }) : err;
      }
    }));
}

/** Build one Issue from a file, or throw every problem found in it. */
export async function parseIssue(bytes: Uint8Array, source: SourceFile, ctx: Context): Promise<Issue> {
  return (await parseSource(bytes, source, ctx)).issue;
}

/** parseIssue, with what the index keeps besides: where the body starts in the text, the body cache's key. */
export async function parseSource(
  bytes: Uint8Array,
  source: SourceFile,
  ctx: Context,
): Promise<{ issue: Issue; bodyAt: number | undefined; bodyKey: string | undefined }> {
  const file = source.path;
  const text = normalize(decodeUtf8(bytes, file));
  const fm = splitFrontMatter(text, file);
  checkNesting(fm.body, ctx.config.content.limits, file);
  const problems: GazetteError[] = [];
  const problem = (key: string, message: string) => problems.push(new GazetteError('CONTENT', `${key}: ${message}`, { file, line: fm.lineOf(key) ?? 1 }));
  const fields = readFields(fm, ctx.config, problem);

  const defaultSlug = source.bundleDir ? path.basename(source.bundleDir) : path.basename(source.path).replace(/\.md$/i, '');
  const slug = plainLine(fields.slug ?? defaultSlug).replace(/\s+/g, '-');
  const slugProblem = checkSlug(slug);
  if (slugProblem) problem(fields.slug !== undefined ? 'slug' : 'file name', slugProblem);

  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new GazetteErrors(problems, `${file}: ${problems.length} problems`);

  const { config } = ctx;
  const date = fields.date!;
  const url = issueUrl(config, slug, date);
  const description = fields.description;

  const render = parsedBody(fm.body, url, file, ctx);
  const key = ctx.cache && bodyKey(ctx, url, fm.body);
  let body = key ? await ctx.cache!.get(key) : undefined;
  if (!body) {
    // Its syntax trees are not kept (holding every issue's until the build ends took 1.4 GB for
    // ten thousand issues): the few renderers that need them parse the body again (about 1 ms).
    const r = await parsedBody(fm.body, url, file, ctx)();
    const rendered: RenderedBody = { html: r.html, summary: deriveSummary(r.tree, r.hast, config.content.summaryLength) };
    if (key) ctx.cache!.put(key, rendered);
    body = rendered;
  }
  const issue: Issue = {
    file,
    ...(source.bundleDir ? { bundleDir: source.bundleDir } : {}),
    slug,
    title: fields.title!,
    date,
    updated: fields.updated && fields.updated > date ? fields.updated : date,
    draft: fields.draft,
    ...(fields.sendAt ? { sendAt: fields.sendAt } : {}),
    ...(description ? { description } : {}),
    summary: description ?? body.summary,
    tags: fields.tags,
    categories: fields.categories,
    author: fields.author,
    path: new URL(url).pathname,
    url,
    id: issueId(config, slug, date),
    key: fields.id ?? slug,
    markdown: fm.body,
    html: body.html,
    body: render,
  };
  return { issue, bodyAt: text.endsWith(fm.body) ? text.length - fm.body.length : undefined, bodyKey: key };
}

/** The body cache's key for an issue's Markdown at its URL. */
export function bodyKey(ctx: Context, url: string, markdown: string): string {
  return cacheKey(ctx.version ?? '', url, markdown, ctx.config.site.language, String(ctx.config.content.summaryLength));
}
