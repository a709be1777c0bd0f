import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { GazetteError, GazetteErrors } from '../errors.js';
import { inside } from '../util/files.js';
import { readUserFile } from '../util/paths.js';
import { type Config, toConfig } from './config.js';
import { validate } from './schema.js';
import { configSchema } from './site-schema.js';

export interface LoadedConfig {
  config: Config;
  /** One line each: unknown keys and the like. */
  warnings: string[];
}

/** Turn parsed TOML into a Config, or throw with every problem found. */
export function resolveConfig(data: unknown, file: string): LoadedConfig {
  const checked = validate(configSchema, data);
  if (checked.errors.length > 0) {
    throw new GazetteErrors(
      checked.errors.map((e) => new GazetteError('CONFIG', e, { file })),
      `${file}: ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'} in the config`,
    );
  }
  const raw = checked.value;
  const dkimKeys = [raw.dkim.domain, raw.dkim.selector, raw.dkim.private_key].filter(Boolean).length;
  if (dkimKeys > 0 && dkimKeys < 3) {
    throw new GazetteError('CONFIG', 'dkim: set domain, selector and private_key together (or none of them)', { file });
  }
  const config = toConfig(raw, file);
  const warnings = checked.warnings.map((w) => `${file}: ${w}`);
  checkOwnedFolders(config);
  if (raw.smtp.host === undefined && (raw.smtp.user !== undefined || raw.smtp.port !== undefined)) {
    warnings.push(`${file}: [smtp] has no host, so the section is ignored`);
  }
  return { config, warnings };
}

/**
 * The folders a build replaces (`build.out`) or prunes (`build.cache`) may
 * never be, or hold, anything else of the user's: the file system's root,
 * the home folder, the site folder, or any other configured path. And the
 * output may not sit inside a folder the build reads from.
 */
function checkOwnedFolders(config: Config): void {
  const problems: string[] = [];
  const protectedPaths: Array<[string, string]> = [
    ['the root of the file system', path.parse(config.root).root],
    ['your home folder', homedir()],
    ['the site folder (where gazette.toml is)', config.root],
    ['content.dir', config.content.dir],
    ['build.static', config.build.static],
    ['subscribers.database', config.subscribers.database],
    ...(config.email.template ? [['email.template', config.email.template] as [string, string]] : []),
  ];
  const owned: Array<[string, string, string]> = [
    ['build.out', config.build.out, 'each build replaces it whole'],
    ['build.cache', config.build.cache, 'builds delete what they no longer need from it'],
  ];
  for (const [key, dir, why] of owned) {
    for (const [what, other] of [...protectedPaths, ...owned.filter(([k]) => k !== key).map(([k, d]) => [k, d] as [string, string])]) {
      if (inside(dir, other)) problems.push(`${key} (${dir}) ${dir === other ? 'is' : 'would contain'} ${what}; ${why}, so give it a folder of its own`);
    }
  }
  for (const [what, dir] of [
    ['content.dir', config.content.dir],
    ['build.static', config.build.static],
  ] as const) {
    if (inside(dir, config.build.out) && dir !== config.build.out)
      problems.push(`build.out (${config.build.out}) is inside ${what}, which builds read from; put it elsewhere`);
  }
  if (problems.length === 1) throw new GazetteError('CONFIG', problems[0]!, { file: config.file });
  if (problems.length > 1) {
    throw new GazetteErrors(
      problems.map((p) => new GazetteError('CONFIG', p, { file: config.file })),
      `${config.file}: ${problems.length} problems in the config`,
    );
  }
}

export async function loadConfig(configPath: string): Promise<LoadedConfig> {
  const file = path.resolve(configPath);
  const text = (await readUserFile(file, 'CONFIG', 'the config file', 'config file not found (use --config PATH)')).toString('utf8');
  let data: unknown;
  try {
    data = parseToml(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof TomlError) {
      throw new GazetteError('CONFIG', `invalid TOML: ${firstLine(err.message)}`, { file, line: err.line, column: err.column });
    }
    throw err;
  }
  return resolveConfig(data, file);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
}
