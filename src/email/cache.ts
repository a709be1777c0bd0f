import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { cacheKey, codeVersion, DiskCache } from '../util/disk-cache.js';
import { mjmlVersion } from './mjml.js';
import type { RenderedEmail, ShellStore } from './render.js';
import { isShell, type Shell } from './shell.js';
import type { EmailTemplate } from './template.js';

function isRenderedEmail(value: unknown): value is RenderedEmail {
  const v = value as RenderedEmail;
  return (
    typeof v?.html === 'string' &&
    typeof v.text === 'string' &&
    typeof v.subject === 'string' &&
    typeof v.nonce === 'string' &&
    /^[0-9A-F]{16}$/.test(v.nonce) &&
    (v.shell === undefined || typeof v.shell === 'string')
  );
}

/**
 * Rendered emails kept between builds (`build.cache`/email), keyed on
 * everything an email is made of: the issue, the site and email config, the
 * template and the renderer's code. An unchanged issue is not rendered again.
 */
export class EmailCache extends DiskCache<RenderedEmail> {
  constructor(cacheDir: string) {
    super(path.join(cacheDir, 'email'), isRenderedEmail);
  }

  async key(issue: Issue, config: Config, template: EmailTemplate): Promise<string> {
    const { template: _path, ...email } = config.email;
    return cacheKey(
      await codeVersion(import.meta.url, new URL('../content/index.js', import.meta.url).href),
      mjmlVersion(),
      template.source,
      JSON.stringify({ content: issueContent(issue), site: config.site, email }),
    );
  }
}

/**
 * What an issue's email is made from: its fingerprint when it has one (a
 * hash of everything the issue is made of), else all its fields. With the
 * fingerprint, an unchanged issue's text is not read to look its email up.
 */
function issueContent(issue: Issue): object {
  if (issue.fingerprint !== undefined) return { fingerprint: issue.fingerprint };
  const { bundleDir: _dir, file: _file, fingerprint: _fingerprint, ...content } = issue;
  return content;
}

/**
 * Rendered MJML shells kept between builds (`build.cache`/email/shells, see
 * shell.ts), keyed on the MJML version, its options and the shell's own
 * source: a new issue's email needs no MJML when its template's shell is here.
 */
export class ShellCache extends DiskCache<Shell> implements ShellStore {
  constructor(cacheDir: string) {
    super(ShellCache.folder(cacheDir), isShell);
  }

  static folder(cacheDir: string): string {
    return path.join(cacheDir, 'email', 'shells');
  }

  /** Whether any shell is kept: if none, a build will likely need MJML. */
  static any(cacheDir: string): boolean {
    try {
      return readdirSync(ShellCache.folder(cacheDir)).some((name) => name.endsWith('.json'));
    } catch {
      return false;
    }
  }
}
