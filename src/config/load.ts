import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { GazetteError, GazetteErrors } from '../errors.js';
import { inside } from '../util/files.js';
import { readUserFile } from '../util/user-files.js';
import { type Config, type Runtime, toConfig } from './config.js';
import { checkNeeds } from './needs.js';
import { validate } from './schema.js';
import { configSchema, type RawConfig } from './site-schema.js';
import { type ConfigUse, NEEDS, type Need, SECTIONS_USED } from './uses.js';

/** The config's name, looked for in the current folder and then each folder above it (as git and npm do). */
export const CONFIG_NAME = 'gazette.toml';

export interface LoadedConfig {
  config: Config;
  /** One line each: unknown keys and the like. */
  warnings: string[];
}

/**
 * Turn parsed TOML into a Config, or throw with every problem found. `use`
 * names the command: an unknown key in a section it reads is an error.
 */
export function resolveConfig(data: unknown, file: string, use?: ConfigUse, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  const checked = validate(configSchema, data);
  const used: readonly string[] = use ? SECTIONS_USED[use] : [];
  for (const { key, guess } of checked.unknown) {
    const section = key.includes('.') ? key.split('.')[0]! : guess;
    if (section === undefined || !used.includes(section)) continue;
    checked.errors.push(
      key.includes('.')
        ? `${key}: unknown key${guess ? ` (did you mean ${guess}?)` : ''}; \`gazette ${use}\` reads [${section}], so it stops rather than ignore it`
        : `[${key}]: unknown section (did you mean [${guess}]?); \`gazette ${use}\` reads [${guess}], so it stops rather than ignore it`,
    );
  }
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
  checkRelays(raw.smtp, file);
  const needs = (key: Need) => !use || (NEEDS as Partial<Record<ConfigUse, readonly Need[]>>)[use]?.includes(key) === true;
  const config = toConfig(raw, file, {
    runtime: runtimeOf(env),
    env,
    reads: (section) => !use || used.includes(section),
    signs: needs('secret'),
    // serve mails confirmations when SMTP is set (and writes them to the outbox when not).
    mails: needs('smtp') || use === 'serve',
    readsMailbox: needs('mailbox'),
  });
  const warnings = checked.warnings.map((w) => `${file}: ${w}`);
  checkOwnedFolders(config);
  if (use && use in NEEDS) checkNeeds(config, use as keyof typeof NEEDS);
  if (raw.smtp.length === 1 && !raw.smtp[0]!.host && !raw.smtp[0]!.url && (raw.smtp[0]!.user !== undefined || raw.smtp[0]!.port !== undefined)) {
    warnings.push(`${file}: [smtp] has no host, so the section is ignored`);
  }
  return { config, warnings };
}

/** Several relays each need a name of their own (their passwords and the ledger go by it), and a host or a URL. */
function checkRelays(relays: RawConfig['smtp'], file: string): void {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  relays.forEach((relay, i) => {
    const where = relays.length > 1 ? `smtp[${i + 1}]` : 'smtp';
    if (relay.url && (relay.host || relay.port !== undefined || relay.user || relay.secure))
      problems.push(`${where}: set url, or host, port, secure and user, not both`);
    if (relays.length > 1 && !relay.url && !relay.host) problems.push(`${where}: set host (or url)`);
    if (relays.length > 1 && !relay.name) problems.push(`${where}: several relays each need a name (their passwords and the ledger go by it)`);
    const key = relay.name?.toUpperCase().replace(/-/g, '_');
    if (key !== undefined) {
      const first = seen.get(key);
      if (first !== undefined)
        problems.push(
          `${where}: the name ${JSON.stringify(relay.name)} is taken by smtp[${first + 1}] (names differing only in case, or "-" and "_", share a password variable)`,
        );
      else seen.set(key, i);
    }
  });
  if (problems.length) throw new GazetteError('CONFIG', problems.join('; '), { file });
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
    ...(config.subscribers.database.kind === 'sqlite' ? [['subscribers.database', config.subscribers.database.file] as [string, string]] : []),
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

/**
 * Read and check the config for command `use`: the file `--config` names, or
 * else the nearest `gazette.toml` in `from` (default: the current folder) or
 * a folder above it; with what `env` (default: this process's environment)
 * adds to the sections `use` reads, and everything `use` needs (`NEEDS`).
 */
export async function loadConfig(
  configPath: string | undefined,
  use?: ConfigUse,
  { from = process.cwd(), env = process.env }: { from?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedConfig> {
  const file = configPath === undefined ? findConfig(from) : path.resolve(from, configPath);
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
  return resolveConfig(data, file, use, env);
}

/** What the environment says about how this run works (the rest of it is read by the commands that need it). */
function runtimeOf(env: NodeJS.ProcessEnv): Runtime {
  const workers = env.GAZETTE_WORKERS === undefined || env.GAZETTE_WORKERS === '' ? undefined : Number(env.GAZETTE_WORKERS);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
    throw new GazetteError('CONFIG', `GAZETTE_WORKERS must be a whole number of threads, not ${JSON.stringify(env.GAZETTE_WORKERS)}`);
  }
  return { workers, debug: Boolean(env.GAZETTE_DEBUG) };
}

/** The nearest `gazette.toml` in `from` or a folder above it; none is an error naming where the search began. */
export function findConfig(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, CONFIG_NAME);
    let found: ReturnType<typeof statSync> | undefined;
    try {
      found = statSync(candidate);
    } catch {
      // Not here (or a folder this user cannot read): look further up.
    }
    if (found?.isFile()) {
      // A config in a shared folder above (/tmp/gazette.toml) may be anyone's: only the user's own is taken unasked.
      const uid = process.getuid?.();
      if (uid !== undefined && found.uid !== uid) {
        throw new GazetteError('CONFIG', `${candidate} belongs to another user, so it is not read unasked; name it with --config if it is yours to use`);
      }
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new GazetteError(
    'CONFIG',
    `no ${CONFIG_NAME} in ${path.resolve(from)} or any folder above it: run it in your site's folder (gazette init makes one), or use --config PATH`,
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
}
