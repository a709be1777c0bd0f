import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, type Stats, writeSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { fileError, GazetteError } from '../errors.js';
import { cacheKey } from '../util/disk-cache.js';
import { fileIdentity as identity } from '../util/files.js';
import { rememberOffset, zoneOffset } from '../util/time.js';
import type { SourceFile } from './files.js';
import type { Issue } from './issue.js';
import type { RenderedMarkdown } from './markdown.js';
import { type Context, normalize, parsedBody } from './parse.js';

/** An Issue as the index keeps it: every field but the file's own text, dates as ISO strings. */
export type IndexedIssue = Omit<Issue, 'file' | 'bundleDir' | 'date' | 'updated' | 'sendAt' | 'markdown' | 'html' | 'body' | 'fingerprint'> & {
  date: string;
  updated: string;
  sendAt?: string;
  /** Where the Markdown body starts in the file's normalized text. */
  bodyAt: number;
  /** The body cache's key for its HTML and summary. */
  bodyKey: string;
  /** The site's time zone's offsets (minutes) at `date` and `updated`. */
  offsets?: [number, number];
};

/** How long, in ms, a file must have been left alone before its identity vouches for its bytes (FAT keeps times to 2 s). */
const SETTLE_MS = 3000;

const fileId = (source: SourceFile) => `${source.path}\n${source.bundleDir ?? ''}`;

/** A line of the index's journal: an entry added, or a file's identity and key recorded (for the config `prefix`). */
type JournalLine = ['e', string, IndexedIssue] | ['f', string, string, string, string];

/**
 * Every issue as the last build parsed it (but its HTML, which is in the
 * body cache), in `build.cache`/content, keyed on the file's bytes, its
 * path, the site and content config, and Gazette's code: a rebuild parses
 * only the new or changed files (front matter, dates, URLs, checks),
 * instead of all of them. It reads and hashes only the files whose
 * identity differs from the one recorded with their key (see sameFile); a
 * renderer that needs the text of another reads it then, checked against
 * the key. Anything changed is a miss, never stale.
 *
 * It is kept as a snapshot (`issues.json`) and a journal (`issues.log`)
 * of what later builds added, a line each: a build that parses one new
 * issue appends two lines instead of rewriting the whole index (a tenth
 * of a rebuild's time for a thousand issues). A line cut short by a crash
 * is skipped. The snapshot is written anew (the journal then removed)
 * when the journal has grown to a quarter of it, when entries no build
 * uses have piled up, or when the config changed.
 */
export class IssueIndex {
  private readonly used = new Map<string, IndexedIssue>();
  /** Per source file: its identity when it was read, and its key (see sameFile). */
  private readonly files = new Map<string, [string, string]>();
  /** What this build adds: the journal's new lines. */
  private readonly added: JournalLine[] = [];
  private changed = false;
  /** When this build began reading: a file changed less than SETTLE_MS ms before it is not vouched for by its identity. */
  private readonly started = Date.now();

  private constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly known: Record<string, IndexedIssue>,
    private readonly knownFiles: Record<string, [string, string]>,
    /** Bytes of the snapshot and of the journal, or undefined when the snapshot is missing, damaged or of another config. */
    private readonly sizes: { snapshot: number; journal: number } | undefined,
    private readonly timeZone: string,
  ) {}

  private static journalOf(file: string): string {
    return file.replace(/\.json$/, '.log');
  }

  static open(config: Config, version: string): IssueIndex {
    const file = path.join(config.build.cache, 'content', 'issues.json');
    // The tz database's version too: the zone offsets kept with each entry come from it.
    const prefix = cacheKey(version, JSON.stringify({ site: config.site, content: config.content, tz: process.versions.tz ?? '' }));
    let known: Record<string, IndexedIssue> = {};
    let files: Record<string, [string, string]> = {};
    let sizes: { snapshot: number; journal: number } | undefined;
    try {
      const text = readFileSync(file, 'utf8');
      const data = JSON.parse(text) as {
        entries?: Record<string, IndexedIssue>;
        prefix?: string;
        files?: Record<string, [string, string]>;
      };
      if (data && typeof data.entries === 'object' && data.entries !== null) known = data.entries;
      // The files' keys hold for the config and code they were taken with, no other.
      if (data?.prefix === prefix && typeof data.files === 'object' && data.files !== null) {
        files = data.files;
        sizes = { snapshot: text.length, journal: 0 };
      }
    } catch {
      // No index yet, or a damaged one: every issue is parsed.
    }
    let journal = '';
    try {
      journal = readFileSync(IssueIndex.journalOf(file), 'utf8');
    } catch {
      // No journal: nothing was added since the snapshot.
    }
    if (sizes) sizes.journal = journal.length;
    for (const line of journal.split('\n')) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (!Array.isArray(entry)) continue;
      const [kind, a, b, c, d] = entry as JournalLine;
      if (kind === 'e' && typeof a === 'string' && typeof b === 'object' && b !== null) known[a] = b;
      else if (kind === 'f' && a === prefix && typeof b === 'string' && typeof c === 'string' && typeof d === 'string') files[b] = [c, d];
    }
    return new IssueIndex(file, prefix, known, files, sizes, config.site.timezone);
  }
  /**
   * The key and entry of a file whose identity (device, inode, size,
   * modification and change times) is the one recorded when it was last
   * read and hashed: its bytes are the same, as writing a file changes its
   * times, and its change time cannot be set back. Only identities of files
   * unchanged for SETTLE_MS ms before that build began reading are recorded
   * (a write in the same clock tick as the read would not show).
   */
  sameFile(source: SourceFile, st: Stats): { key: string; entry: IndexedIssue } | undefined {
    const recorded = this.knownFiles[fileId(source)];
    if (!Array.isArray(recorded) || recorded[0] !== identity(st) || typeof recorded[1] !== 'string') return undefined;
    const entry = this.get(recorded[1]);
    if (!entry) return undefined;
    this.seen(source, st, recorded[1]);
    return { key: recorded[1], entry };
  }

  /** Record that `source`, as `st` describes it, has `key` (if it had not changed lately). */
  seen(source: SourceFile, st: Stats, key: string): void {
    const id = fileId(source);
    if (Math.max(st.mtimeMs, st.ctimeMs) > this.started - SETTLE_MS) return;
    const value: [string, string] = [identity(st), key];
    if (this.knownFiles[id]?.[0] !== value[0] || this.knownFiles[id]?.[1] !== key) {
      this.changed = true;
      this.added.push(['f', this.prefix, id, value[0], key]);
    }
    this.files.set(id, value);
  }

  /** The bytes of a file vouched for by its identity, read when needed, checked against its key. */
  reread(source: SourceFile, key: string): Uint8Array {
    const bytes = readFileSync(source.path);
    if (this.key(source, bytes) !== key) {
      throw new GazetteError('CONTENT', 'the file changed while the build was reading it; build again', { file: source.path });
    }
    return bytes;
  }

  /** The index's key for a file: also the fingerprint of the Issue made from it. */
  key(source: SourceFile, bytes: Uint8Array): string {
    return createHash('sha256')
      .update(`${this.prefix}\n${source.path}\n${source.bundleDir ?? ''}\n`)
      .update(bytes)
      .digest('hex');
  }

  get(key: string): IndexedIssue | undefined {
    const entry = this.known[key];
    if (entry && typeof entry.slug === 'string' && typeof entry.url === 'string' && typeof entry.bodyAt === 'number' && typeof entry.bodyKey === 'string') {
      this.used.set(key, entry);
      return entry;
    }
    return undefined;
  }

  put(key: string, issue: Issue, bodyKey: string, bodyAt: number): void {
    const { file: _file, bundleDir: _dir, date, updated, sendAt, markdown: _markdown, html: _html, body: _body, fingerprint: _fingerprint, ...fields } = issue;
    const offsets: [number, number] = [zoneOffset(date.getTime(), this.timeZone), zoneOffset(updated.getTime(), this.timeZone)];
    const entry = {
      ...fields,
      date: date.toISOString(),
      updated: updated.toISOString(),
      ...(sendAt ? { sendAt: sendAt.toISOString() } : {}),
      bodyAt,
      bodyKey,
      offsets,
    };
    this.used.set(key, entry);
    this.added.push(['e', key, entry]);
    this.changed = true;
  }

  /**
   * Journal what this build added, or write the snapshot anew with only the
   * entries and files this build used (see above); nothing when nothing
   * changed.
   */
  save(): void {
    const unused = Object.keys(this.known).filter((key) => !this.used.has(key)).length;
    const gone = Object.keys(this.knownFiles).filter((id) => !this.files.has(id)).length;
    if (!this.changed && unused === 0 && gone === 0) return;
    const lines = this.added.map((line) => `${JSON.stringify(line)}\n`).join('');
    const { sizes } = this;
    if (sizes && sizes.journal + lines.length < sizes.snapshot / 4 && unused <= this.used.size / 4 && gone <= this.files.size / 4) {
      if (lines === '') return;
      try {
        appendFileSync(IssueIndex.journalOf(this.file), lines);
        return;
      } catch {
        // Cannot append: write the snapshot (which reports what went wrong).
      }
    }
    this.writeSnapshot();
  }

  private writeSnapshot(): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      // Entry by entry: one JSON string of ten thousand issues' HTML would need hundreds of MB at once.
      const fd = openSync(temp, 'w');
      try {
        let chunk = `{"prefix":${JSON.stringify(this.prefix)},"files":${JSON.stringify(Object.fromEntries(this.files))},"entries":{`;
        let first = true;
        for (const [key, entry] of this.used) {
          chunk += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(entry)}`;
          first = false;
          if (chunk.length > 1 << 20) {
            writeSync(fd, chunk);
            chunk = '';
          }
        }
        writeSync(fd, `${chunk}}}`);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
      // All it held is in the snapshot now.
      rmSync(IssueIndex.journalOf(this.file), { force: true });
    } catch (err) {
      throw fileError(err, 'OUTPUT', 'write the cache (build.cache)', this.file);
    }
  }
}

/**
 * An Issue from the index, undefined when the body cache no longer has its
 * HTML. Nothing but the index entry is decoded: its Markdown (the file's
 * text) and its HTML (from the body cache) are read when a renderer first
 * asks for them, so a rebuild that renders twenty pages reads twenty
 * bodies, not a thousand. Its Markdown is parsed only if a renderer asks
 * for the trees.
 */
export function issueFromIndex(entry: IndexedIssue, fingerprint: string, bytesOf: () => Uint8Array, source: SourceFile, ctx: Context): Issue | undefined {
  const cache = ctx.cache;
  if (!cache?.has(entry.bodyKey)) return undefined;
  let markdown: string | undefined;
  let html: string | undefined;
  const markdownOf = () => (markdown ??= normalize(new TextDecoder().decode(bytesOf())).slice(entry.bodyAt));
  const htmlOf = () => {
    if (html === undefined) {
      const body = cache.getNow(entry.bodyKey);
      // Another build compacting the same cache at this moment, or a damaged disk (the damaged
      // part is then removed, so that the next build parses the issue afresh).
      if (!body) throw new GazetteError('OUTPUT', 'the build cache changed during the build (is another build running?); build again', { file: source.path });
      html = body.html;
    }
    return html;
  };
  const date = new Date(entry.date);
  const updated = new Date(entry.updated);
  // Its dates' offsets in the site's zone, as the index's tz database gave them.
  const [dateOffset, updatedOffset] = Array.isArray(entry.offsets) ? entry.offsets : [];
  if (typeof dateOffset === 'number') rememberOffset(date.getTime(), ctx.config.site.timezone, dateOffset);
  if (typeof updatedOffset === 'number') rememberOffset(updated.getTime(), ctx.config.site.timezone, updatedOffset);
  // The same fields in the same order as parseIssue makes them (the output is the same whichever it came from).
  const issue = {
    file: source.path,
    ...(source.bundleDir ? { bundleDir: source.bundleDir } : {}),
    slug: entry.slug,
    title: entry.title,
    date,
    updated,
    draft: entry.draft,
    ...(typeof entry.sendAt === 'string' ? { sendAt: new Date(entry.sendAt) } : {}),
    ...(entry.description ? { description: entry.description } : {}),
    summary: entry.summary,
    tags: entry.tags,
    categories: entry.categories,
    author: entry.author,
    path: entry.path,
    url: entry.url,
    id: entry.id,
    key: entry.key,
  } as Issue;
  Object.defineProperties(issue, {
    markdown: { get: markdownOf, enumerable: true },
    html: { get: htmlOf, enumerable: true },
  });
  let parse: (() => Promise<RenderedMarkdown>) | undefined;
  issue.body = () => {
    parse ??= parsedBody(markdownOf(), entry.url, source.path, ctx);
    return parse();
  };
  issue.fingerprint = fingerprint;
  return issue;
}
