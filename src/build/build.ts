import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { bundleResources, type Issue, loadIssues, type LoadOptions } from '../content/index.js';
import { FEED_FILES, renderAtom, renderJsonFeed, renderRss } from '../feeds/index.js';
import { renderIndexPage, renderIssuePage } from '../pages/index.js';
import { type OutputFile, writeOutput } from './output.js';

export type BuildOptions = LoadOptions;

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
  const exists = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!exists) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((rel) => !rel.split(path.sep).some((part) => part.startsWith('.')))
    .sort();
}

/** Pure: the issues and site in, every output file out (static files and bundle resources listed for copying). */
export async function planOutput(config: Config, issues: Issue[]): Promise<Map<string, OutputFile>> {
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
  }
  return files;
}

/** `gazette build`: content in, `build.out` replaced whole, or untouched on any error. */
export async function build(config: Config, options: BuildOptions = {}): Promise<BuildResult> {
  const { issues, skipped } = await loadIssues(config, options);
  const files = await planOutput(config, issues);
  await writeOutput(config.build.out, files);
  const warnings: string[] = [];
  if (issues.length === 0) warnings.push('no published issues: the feeds are empty');
  return { issues, skipped, files: files.size, warnings };
}
