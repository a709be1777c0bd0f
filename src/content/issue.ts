import type { Root as HastRoot } from 'hast';
import type { Root as MdastRoot } from 'mdast';
import type { Author } from '../config/index.js';

/** One digest issue: parsed, validated, rendered to safe HTML. The one model every renderer reads. */
export interface Issue {
  /** Absolute path of the source file. */
  file: string;
  /** The folder of a Hugo leaf bundle (`slug/index.md`): its other files are the issue's resources. */
  bundleDir?: string;
  slug: string;
  /** Plain text, one line. */
  title: string;
  date: Date;
  /** `lastmod` / `updated` from front matter, else `date`. */
  updated: Date;
  draft: boolean;
  /** `send_at` in front matter: `send --pending` holds the issue back until then (and `send` refuses it). */
  sendAt?: Date;
  /** The author's own description, if any. */
  description?: string;
  /** `description`, or text derived from the body. Plain text. */
  summary: string;
  tags: string[];
  categories: string[];
  author: Author;
  /** URL path under the site, e.g. `/posts/2026-02-23/` (percent-encoded). */
  path: string;
  /** Absolute URL of the issue's page. */
  url: string;
  /** Stable unique id: a `tag:` URI from host, date and slug. Same in every format. */
  id: string;
  /**
   * The issue's identity for sending: front matter `id`, else the slug.
   * The ledger records deliveries under it, so fixing the date or moving
   * the site to another host never mails the issue again.
   */
  key: string;
  /** The Markdown body (after front matter). */
  markdown: string;
  /** Sanitized HTML of the body, every URL absolute. */
  html: string;
  /**
   * The body's syntax trees, for renderers that need more than HTML (the
   * email and its plain text). Parsed on the first call (an issue from the
   * cache has not parsed its Markdown), then kept.
   */
  body(): Promise<ParsedBody>;
  /**
   * A hash of everything the issue is made from (its file's bytes and path,
   * the site and content config, Gazette's content code), when it was
   * loaded with a cache: two issues with the same fingerprint are the same,
   * so a page made only of unchanged issues need not be made again.
   */
  fingerprint?: string;
}

export interface ParsedBody {
  /** The Markdown syntax tree. */
  tree: MdastRoot;
  /** The sanitized HTML tree, every URL absolute (do not mutate: clone to restyle). */
  hast: HastRoot;
}
