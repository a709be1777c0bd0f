import path from 'node:path';
import { build } from '../build/index.js';
import { displayPath, loadConfig } from '../config/index.js';
import { type Io, plural } from './report.js';

export interface BuildFlags {
  config: string;
  drafts?: boolean;
  future?: boolean;
}

export async function buildCommand(flags: BuildFlags, io: Io): Promise<number> {
  const started = performance.now();
  const { config, warnings } = await loadConfig(flags.config);
  for (const w of warnings) io.err(`warning: ${w}`);
  const result = await build(config, { drafts: flags.drafts, future: flags.future });
  for (const w of result.warnings) io.err(`warning: ${w}`);
  const left = [
    result.skipped.drafts ? plural(result.skipped.drafts, 'draft') : '',
    result.skipped.future ? `${result.skipped.future} dated in the future` : '',
  ].filter(Boolean);
  const ms = Math.round(performance.now() - started);
  io.out(
    `Built ${plural(result.issues.length, 'issue')}${left.length ? ` (left out: ${left.join(', ')})` : ''} into ${displayPath(config.build.out)}${path.sep} in ${ms} ms: rss.xml, atom.xml, feed.json and ${plural(result.files - 3, 'other file')}`,
  );
  return 0;
}
