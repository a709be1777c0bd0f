import path from 'node:path';
import type { BuildResult } from '../build/index.js';
import type { Config } from '../config/index.js';
import { EXIT } from '../errors.js';
import { displayPath, type Io, plural, printWarnings } from './report.js';

export interface BuildFlags {
  config?: string;
  drafts?: boolean;
  future?: boolean;
}

export async function buildCommand(flags: BuildFlags, io: Io): Promise<number> {
  const started = performance.now();
  const [{ loadConfig }, { build }] = await Promise.all([import('../config/index.js'), import('../build/index.js')]);
  const loaded = await loadConfig(flags.config, 'build');
  const config: Config = loaded.config;
  printWarnings(io, loaded.warnings);
  const result: BuildResult = await build(config, { drafts: flags.drafts, future: flags.future });
  printWarnings(io, result.warnings);
  const left = [
    result.skipped.drafts ? plural(result.skipped.drafts, 'draft') : '',
    result.skipped.future ? `${result.skipped.future} dated in the future` : '',
  ].filter(Boolean);
  const ms = Math.round(performance.now() - started);
  io.out(
    `Built ${plural(result.issues.length, 'issue')}${left.length ? ` (left out: ${left.join(', ')})` : ''} into ${displayPath(config.build.out)}${path.sep} in ${ms} ms: rss.xml, atom.xml, feed.json and ${plural(result.files - 3, 'other file')}`,
  );
  return EXIT.ok;
}
