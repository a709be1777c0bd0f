import type { Author, Config } from '../config/index.js';
import { checkEmail } from '../util/email.js';
import { plainLine, stripControl } from '../util/text.js';
import { readDate } from './dates.js';
import type { FrontMatter } from './frontmatter.js';

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  return undefined;
}

/** Slugs are one URL path segment: no slashes, dots alone or control characters. */
export function checkSlug(slug: string): string | undefined {
  if (slug === '') return 'must not be empty';
  if (/[/\\?#%]/.test(slug)) return `${JSON.stringify(slug)} may not contain / \\ ? # or %`;
  if (slug === '.' || slug === '..') return `${JSON.stringify(slug)} is not a usable slug`;
  return undefined;
}

export interface Fields {
  title?: string;
  date?: Date;
  updated?: Date;
  draft: boolean;
  sendAt?: Date;
  slug?: string;
  /** An explicit identity for sending (see Issue.key). */
  id?: string;
  description?: string;
  tags: string[];
  categories: string[];
  author: Author;
}

/**
 * An issue's front-matter fields, read leniently where Hugo is (keys in
 * any case, its other names for the date, yes/no drafts) and checked; each
 * problem goes to `problem` with the key it is about.
 */
export function readFields(fm: FrontMatter, config: Pick<Config, 'site'>, problem: (key: string, message: string) => void): Fields {
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
    const read = typeof value === 'string' ? readDate(value, config.site.timezone) : { reason: 'not text' };
    if ('reason' in read) {
      const hint = read.reason === 'not a date in an accepted form' ? 'use 2026-02-23, 2026-02-23T08:00:00 or 2026-02-23T08:00:00+08:00' : read.reason;
      problem(key, `cannot read ${JSON.stringify(value)} as a date (${hint})`);
      return undefined;
    }
    return read.date;
  };
  // Hugo's other names for the publication date, used when `date` is absent.
  const dateKey = ['date', 'publishdate', 'pubdate', 'published'].find((k) => d[k] !== undefined) ?? 'date';
  out.date = date(dateKey, true);
  out.updated = d.lastmod !== undefined ? date('lastmod', false) : date('updated', false);
  const sendAt = date('send_at', false);
  if (sendAt) out.sendAt = sendAt;

  if (d.draft !== undefined) {
    // YAML 1.1 (older Hugo) wrote booleans as yes/no; accept them written as text.
    const text = typeof d.draft === 'string' ? d.draft.trim().toLowerCase() : undefined;
    if (typeof d.draft === 'boolean') out.draft = d.draft;
    else if (text && ['true', 'yes', 'on'].includes(text)) out.draft = true;
    else if (text && ['false', 'no', 'off'].includes(text)) out.draft = false;
    else problem('draft', 'must be true or false');
  }
  if (d.id !== undefined) {
    if ((typeof d.id === 'string' || typeof d.id === 'number') && plainLine(String(d.id)) !== '') out.id = plainLine(String(d.id));
    else problem('id', 'must be text (an identity for sending that never changes)');
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
