import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { checkSlug, readDate } from '../content/index.js';
import { fileError, GazetteError } from '../errors.js';
import { isCjk } from '../util/text.js';
import { calendarDay, rfc3339 } from '../util/time.js';
import { tomlString } from '../util/toml.js';

export interface NewIssueOptions {
  title: string;
  slug?: string | undefined;
  /** A date as front matter takes it (default: now), read in `site.timezone`. */
  date?: string | undefined;
  now?: Date;
}

/**
 * A slug from a title: its Latin letters and digits, lower-cased, joined by
 * `-`. A title with Chinese, Japanese or Korean in it gets none (the caller
 * uses the date): a transliteration would be mangled, and dropping the
 * characters would leave a misleading slug.
 */
export function slugFromTitle(title: string): string | undefined {
  if (Array.from(title).some(isCjk)) return undefined;
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || undefined;
}

/**
 * `gazette new "Title"`: `content/<date>-<slug>.md` (or `<date>.md` for a
 * title with no usable slug) with front matter in the site's time zone,
 * marked as a draft until the author removes the line. Never overwrites:
 * a name taken already gets the next free one (`<date>-2.md`) unless
 * `--slug` asked for that one.
 */
export async function newIssue(
  config: Config,
  options: NewIssueOptions,
): Promise<{ file: string; slug: string /** The slug that was taken, when a free one was picked instead. */; taken: string | undefined }> {
  const title = options.title.replace(/\s+/g, ' ').trim();
  if (!title) throw new GazetteError('USAGE', 'the title is empty: gazette new "Title of the issue"');
  let date = options.now ?? new Date();
  if (options.date !== undefined) {
    const read = readDate(options.date, config.site.timezone);
    if ('reason' in read) throw new GazetteError('USAGE', `--date: cannot read ${JSON.stringify(options.date)} as a date (${read.reason})`);
    date = read.date;
  }
  const day = calendarDay(date, config.site.timezone);
  const ymd = `${day.year}-${day.month}-${day.day}`;
  if (options.slug !== undefined) {
    const problem = checkSlug(options.slug);
    if (problem || /\s/.test(options.slug)) throw new GazetteError('USAGE', `--slug: ${problem ?? 'may not contain spaces'}`);
  }
  const base = options.slug !== undefined ? `${ymd}-${options.slug}` : [ymd, slugFromTitle(title)].filter(Boolean).join('-');
  const text = `+++
title = ${tomlString(title)}
date = ${rfc3339(date, config.site.timezone)}
tags = []
# Remove this line (or set it to false) to publish the issue.
draft = true
+++

`;
  // Without --slug, a name taken already (a second issue that day) gets the next free one: -2, -3…
  for (let n = 1; ; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    const file = path.join(config.content.dir, `${slug}.md`);
    try {
      await writeFile(file, text, { flag: 'wx' });
      // The loader takes an issue's slug from its file name.
      return { file, slug, taken: n === 1 ? undefined : base };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        if (options.slug === undefined && n < 100) continue;
        throw new GazetteError('USAGE', 'exists already; give this issue another --slug', { file });
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new GazetteError('CONFIG', 'content folder not found (content.dir)', { file: config.content.dir });
      }
      throw fileError(err, 'OUTPUT', 'write the new issue', file);
    }
  }
}
