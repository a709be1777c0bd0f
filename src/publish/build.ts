import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { bundleResources, createIssueCache, type Issue, type LoadOptions, loadIssues } from '../content/index.js';
import { personalizeHtml, personalizeText, previewUnsubscribeUrl, type RenderedEmail, renderEmails } from '../email/index.js';
import { FEED_FILES, renderAtom, renderJsonFeed, renderRss } from '../feeds/index.js';
import { renderIndexPage, renderIssuePage } from '../pages/index.js';
import { OUTBOX } from '../send/outbox.js';
import { type OutputFile, writeOutput } from './output.js';

export interface BuildOptions extends LoadOptions {
  /** MJML validation level for the emails (default `soft`; tests use `strict`). */
  emailValidation?: 'strict' | 'soft';
}

/** Gmail clips a message over 102 KB; warn well before. */
export const EMAIL_SIZE_WARNING = 90 * 1024;

export interface BuildResult {
  /** Published issues written. */
  issues: Issue[];
  skipped: { drafts: number; future: number };
  /** Files written under `build.out`. */
  files: number;
  warnings: string[];
}

/** The folder (relative to the output) an issue's page and resources live in. */
export function issueFolder(issue: Issue): { dir: string; page: string } {
  const decoded = decodeURIComponent(issue.path).replace(/^\/+/, '');
  if (decoded === '' || decoded.endsWith('/')) return { dir: decoded, page: `${decoded}index.html` };
  return { dir: path.posix.dirname(decoded), page: decoded };
}

async function staticFiles(dir: string): Promise<string[]> {
  const exists = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!exists) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !rel.split(path.sep).some((part) => part.startsWith('.')))
    .sort();
}

/** Pure: the issues and site in, every output file out (static files and bundle resources listed for copying). */
export async function planOutput(config: Config, issues: Issue[], emails = new Map<Issue, RenderedEmail>()): Promise<Map<string, OutputFile>> {
  const files = new Map<string, OutputFile>();
  for (const rel of await staticFiles(config.build.static)) {
    files.set(rel.split(path.sep).join('/'), { copyFrom: path.join(config.build.static, rel) });
  }
  const site = config.site;
  const inFeeds = issues.slice(0, config.feeds.limit);
  files.set(FEED_FILES.rss, { text: renderRss({ site, issues: inFeeds }) });
  files.set(FEED_FILES.atom, { text: renderAtom({ site, issues: inFeeds }) });
  files.set(FEED_FILES.json, { text: renderJsonFeed({ site, issues: inFeeds }) });
  files.set('index.html', { text: renderIndexPage(site, issues) });
  for (const issue of issues) {
    const { dir, page } = issueFolder(issue);
    if (issue.bundleDir) {
      for (const rel of await bundleResources(issue.bundleDir)) {
        files.set(path.posix.join(dir, rel.split(path.sep).join('/')), { copyFrom: path.join(issue.bundleDir, rel) });
      }
    }
    files.set(page, { text: renderIssuePage(site, issue) });
    const email = emails.get(issue);
    if (email) {
      const sample = { unsubscribeUrl: previewUnsubscribeUrl(config), email: 'reader@example.com' };
      files.set(`email/${issue.slug}.html`, { text: personalizeHtml(email.html, sample) });
      files.set(`email/${issue.slug}.txt`, { text: personalizeText(email.text, sample) });
    }
  }
  return files;
}

/** `gazette build`: content in, `build.out` replaced whole, or untouched on any error. */
export async function build(config: Config, options: BuildOptions = {}): Promise<BuildResult> {
  const issueCache = createIssueCache(config);
  const { issues, skipped } = await loadIssues(config, { ...options, cache: issueCache });
  const warnings: string[] = [];
  const emails = await renderEmails(config, issues, { validationLevel: options.emailValidation, warn: (w) => warnings.push(w) });
  const files = await planOutput(config, issues, emails);
  await writeOutput(config.build.out, files, [OUTBOX]);
  await issueCache.prune();
  if (issues.length === 0) warnings.push('no published issues: the feeds are empty');
  for (const [issue, email] of emails) {
    const size = Buffer.byteLength(email.html);
    if (size > EMAIL_SIZE_WARNING) {
      warnings.push(`${issue.file}: the email is ${Math.round(size / 1024)} KB; Gmail clips messages over 102 KB (shorten the issue or the template)`);
    }
  }
  if (emails.size > 0 && !config.email.postalAddress) {
    warnings.push('email.postal_address is empty: anti-spam laws (CAN-SPAM) require a postal address in every newsletter');
  }
  return { issues, skipped, files: files.size, warnings };
}
