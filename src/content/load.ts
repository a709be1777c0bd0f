import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { GazetteError, GazetteErrors } from '../errors.js';
import { codeVersion } from '../util/disk-cache.js';
import { createWalker, guardOf } from '../util/files.js';
import { PackCache } from '../util/pack-cache.js';
import { inParallel } from '../util/pool.js';
import { findSources, type SourceFile } from './files.js';
import type { Issue } from './issue.js';
import { IssueIndex, issueFromIndex } from './issue-index.js';
import { checkFileSize } from './limits.js';
import type { MarkdownRenderer } from './markdown.js';
import { type Context, isRenderedBody, parseSource, type RenderedBody } from './parse.js';

/**
 * Rendered issues kept between builds in `build.cache`/content (call
 * `save` when done). An older cache kept one file per body
 * (`<hash>.json`): those files go at the first save.
 */
export function createIssueCache(config: Pick<Config, 'build'>): PackCache<RenderedBody> {
  return new PackCache(path.join(config.build.cache, 'content'), 'bodies', isRenderedBody, /^[0-9a-f]{64}\.json$/);
}

export interface LoadOptions {
  /** Include drafts (default false). */
  drafts?: boolean;
  /** Include issues dated after `now` (default false). */
  future?: boolean;
  /** The present, for deciding what is in the future (default: the clock). */
  now?: Date;
  /** Rendered issues from earlier runs (see createIssueCache); without it every issue is parsed. */
  cache?: PackCache<RenderedBody>;
  /** Called when an issue is parsed, not taken from the cache (a build then loads what a new issue needs, meanwhile). */
  parsing?: () => void;
}

export interface LoadResult {
  /** Published issues, newest first. */
  issues: Issue[];
  /** How many were left out, and why. */
  skipped: { drafts: number; future: number };
  /** Links in the content folder that were not followed, one line each. */
  warnings: string[];
}

/**
 * Read every issue under `content.dir`. Every broken file is reported in
 * one GazetteErrors; nothing is half-loaded.
 */
export async function loadIssues(config: Config, options: LoadOptions = {}): Promise<LoadResult> {
  let sources: SourceFile[];
  const walker = await createWalker(config.root, guardOf(config.neverPublished));
  try {
    sources = await findSources(walker, config.content.dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'content folder not found (content.dir)' : `cannot read the content folder: ${(err as Error).message}`;
    throw new GazetteError('CONTENT', reason, { file: config.content.dir });
  }
  const ctx: Context = {
    config,
    markdown: markdownLoader(config.site.language),
    ...(options.cache ? { cache: options.cache, version: await codeVersion(import.meta.url, new URL('../util/text.js', import.meta.url).href) } : {}),
  };
  const problems: GazetteError[] = [];
  const issues: Issue[] = [];
  const index = options.cache ? IssueIndex.open(config, ctx.version!) : undefined;
  // A few files at a time: all of them read at once, each waiting its turn to be parsed, held
  // every file's text at the same moment (over a gigabyte for ten thousand issues).
  const results: Array<Issue | GazetteError | GazetteErrors> = new Array(sources.length);
  await inParallel(
    sources.map((source, i) => [source, i] as const),
    8,
    async ([source, i]) => {
      results[i] = await loadOne(source);
    },
  );
  async function loadOne(source: SourceFile): Promise<Issue | GazetteError | GazetteErrors> {
    try {
      // Synchronous: for a thousand small files, far cheaper than a promise and a file handle each.
      const st = statSync(source.path);
      checkFileSize(st.size, config.content.limits, source.path);
      // A file just as it was when its key was taken is not read again (nor hashed) unless a renderer needs its text.
      const same = index?.sameFile(source, st);
      if (same) {
        const revived = issueFromIndex(same.entry, same.key, () => index!.reread(source, same.key), source, ctx);
        if (revived) return revived;
      }
      const bytes = readFileSync(source.path);
      const key = index?.key(source, bytes);
      const known = key === undefined ? undefined : index!.get(key);
      const revived = known && issueFromIndex(known, key!, () => bytes, source, ctx);
      if (revived) {
        index!.seen(source, st, key!);
        return revived;
      }
      options.parsing?.();
      const { issue, bodyAt, bodyKey } = await parseSource(bytes, source, ctx);
      if (key === undefined) return issue;
      if (bodyAt !== undefined && bodyKey !== undefined) index!.put(key, issue, bodyKey, bodyAt);
      index!.seen(source, st, key);
      return { ...issue, fingerprint: key };
    } catch (err) {
      if (err instanceof GazetteErrors || err instanceof GazetteError) return err;
      if ((err as NodeJS.ErrnoException).code) return new GazetteError('CONTENT', `cannot read: ${(err as Error).message}`, { file: source.path });
      throw err;
    }
  }
  index?.save();
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
      problems.push(
        new GazetteError('CONTENT', `slug ${JSON.stringify(issue.slug)} is also used by ${other.file}; give one of them another slug`, { file: issue.file }),
      );
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
  return { issues: published, skipped, warnings: walker.skipped };
}

/** The Markdown pipeline for a language, loaded once, on first use. */
function markdownLoader(language: string): () => Promise<MarkdownRenderer> {
  let renderer: Promise<MarkdownRenderer> | undefined;
  return () => (renderer ??= import('./markdown.js').then((m) => m.createMarkdownRenderer(language)));
}
