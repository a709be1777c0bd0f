import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { GazetteError, GazetteErrors } from '../errors.js';
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
  checkOutFolder(config);
  if (raw.smtp.host === undefined && (raw.smtp.user !== undefined || raw.smtp.port !== undefined)) {
    warnings.push(`${file}: [smtp] has no host, so the section is ignored`);
  }
  return { config, warnings };
}

/** The output folder is replaced on every build: refuse one that holds the site itself. */
function checkOutFolder(config: Config): void {
  const out = config.build.out;
  const inside = (parent: string, child: string) => {
    const r = path.relative(parent, child);
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  };
  for (const [what, dir] of [
    ['the config folder', config.root],
    ['content.dir', config.content.dir],
    ['build.static', config.build.static],
    ['build.cache', config.build.cache],
    ['subscribers.database', config.subscribers.database],
  ] as const) {
    if (inside(out, dir)) {
      throw new GazetteError('CONFIG', `build.out (${out}) would contain ${what}; each build replaces build.out whole, so choose a folder of its own`, {
        file: config.file,
      });
    }
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
