import path from 'node:path';
import type { Config } from '../config/index.js';
import { prestartMjml } from '../email/mjml.js';
import { EXIT } from '../errors.js';
import type { BuildResult } from '../publish/index.js';
import { displayPath, type Io, plural, printWarnings } from './report.js';

export interface BuildFlags {
  config: string;
  drafts?: boolean;
  future?: boolean;
}

export async function buildCommand(flags: BuildFlags, io: Io): Promise<number> {
  const started = performance.now();
  // MJML (half a second to load) starts loading on another core before the rest of Gazette does,
  // in case an email must be rendered.
  const mjml = prestartMjml();
  let result: BuildResult;
  let config: Config;
  try {
    const [{ loadConfig }, { build }] = await Promise.all([import('../config/index.js'), import('../publish/index.js')]);
    const loaded = await loadConfig(flags.config);
    config = loaded.config;
    printWarnings(io, loaded.warnings);
    result = await build(config, { drafts: flags.drafts, future: flags.future, mjml });
  } finally {
    await mjml?.close();
  }
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
