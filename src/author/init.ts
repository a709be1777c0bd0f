import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_TEMPLATES } from '../email/index.js';
import { fileError, GazetteError } from '../errors.js';
import { fillIn } from '../util/text.js';
import { rfc3339 } from '../util/time.js';
import { tomlStringBody } from '../util/toml.js';

/** Files `init` starts a site from, shipped with Gazette. */
const STARTER = fileURLToPath(new URL('../../starter/', import.meta.url));

export interface InitOptions {
  /** The newsletter's name (default: the folder's name). */
  title?: string | undefined;
  /** BCP 47 language (default `en`). */
  language?: string | undefined;
  /** IANA time zone (default: this machine's). */
  timezone?: string | undefined;
  now?: Date;
}

export interface InitResult {
  dir: string;
  /** Files written, relative to `dir`. */
  written: string[];
  /** Files that were there already and were left as they were. */
  kept: string[];
}

/**
 * `gazette init [DIR]`: a minimal site of one's own — a commented
 * gazette.toml, one example issue, the email templates to edit, and a
 * .gitignore. It adds files and never overwrites one: what is there already
 * is kept and listed.
 */
export async function initSite(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const root = path.resolve(dir);
  const title = options.title?.trim() || path.basename(root) || 'My Digest';
  const language = options.language ?? 'en';
  try {
    Intl.getCanonicalLocales(language);
  } catch {
    throw new GazetteError('USAGE', `--language: ${JSON.stringify(language)} is not a BCP 47 language tag (for example "en" or "zh-CN")`);
  }
  const timezone = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new GazetteError('USAGE', `--timezone: ${JSON.stringify(timezone)} is not an IANA time zone (for example "UTC" or "Asia/Shanghai")`);
  }
  const now = options.now ?? new Date();
  const stamp = rfc3339(now, timezone);
  // Each value lands inside a TOML string (or a Markdown file's TOML front matter): escaped for it, inserted verbatim.
  const fill = (text: string) =>
    fillIn(text, {
      '{{title}}': tomlStringBody(title),
      '{{language}}': tomlStringBody(language),
      '{{timezone}}': tomlStringBody(timezone),
      '{{date}}': stamp,
    });
  const files: Array<[string, () => Promise<string>]> = [
    ['gazette.toml', async () => fill(await readFile(path.join(STARTER, 'gazette.toml'), 'utf8'))],
    [path.join('content', `${stamp.slice(0, 10)}-welcome.md`), async () => fill(await readFile(path.join(STARTER, 'welcome.md'), 'utf8'))],
    [path.join('email-templates', 'issue.mjml'), () => readFile(path.join(BUNDLED_TEMPLATES, 'issue.mjml'), 'utf8')],
    [path.join('email-templates', 'confirm.mjml'), () => readFile(path.join(BUNDLED_TEMPLATES, 'confirm.mjml'), 'utf8')],
    [path.join('page-templates', 'layout.hbs'), () => readFile(path.join(STARTER, '..', 'page-templates', 'layout.hbs'), 'utf8')],
    ['.gitignore', () => readFile(path.join(STARTER, 'gitignore'), 'utf8')],
  ];
  const result: InitResult = { dir: root, written: [], kept: [] };
  for (const [rel, content] of files) {
    const target = path.join(root, rel);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // `wx`: an existing file is never replaced.
      await writeFile(target, await content(), { flag: 'wx' });
      result.written.push(rel);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') result.kept.push(rel);
      else throw fileError(err, 'OUTPUT', 'write the new site', target);
    }
  }
  return result;
}
