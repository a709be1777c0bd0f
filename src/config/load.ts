import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { GazetteError, GazetteErrors } from '../errors.js';
import { displayPath, readUserFile } from '../util/paths.js';
import type { Config } from './config.js';
import { validate } from './schema.js';
import { configSchema } from './site-schema.js';

export interface LoadedConfig {
  config: Config;
  /** One line each: unknown keys and the like. */
  warnings: string[];
}

/** Turn parsed TOML into a Config, or throw with every problem found. */
export function resolveConfig(data: unknown, file: string): LoadedConfig {
  const rel = displayPath(file);
  const checked = validate(configSchema, data);
  if (checked.errors.length > 0) {
    throw new GazetteErrors(
      checked.errors.map((e) => new GazetteError(e, { file: rel })),
      `${rel}: ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'} in the config`,
    );
  }
  const v = checked.value as {
    site: Record<string, string> & { author: Record<string, string | undefined> };
    content: { dir: string; summary_length: number };
    build: { out: string; static: string; cache: string };
    feeds: { limit: number };
    email: { from?: string; reply_to?: string; subject: string; postal_address: string; template?: string };
    subscribers: { database: string };
    server: { public_url?: string };
    smtp: { host?: string; port?: number; secure: boolean; user?: string; tls_verify: boolean };
    send: { max_connections: number; rate_limit: number; retry_attempts: number; retry_delay: number };
    dkim: { domain?: string; selector?: string; private_key?: string };
  };
  const root = path.dirname(file);
  const baseUrl = new URL(v.site.base_url!);
  if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
  const author = { name: v.site.author.name, email: v.site.author.email };
  const config: Config = {
    file,
    root,
    site: {
      title: v.site.title!,
      description: v.site.description ?? '',
      baseUrl: baseUrl.href,
      language: Intl.getCanonicalLocales(v.site.language!)[0]!,
      timezone: v.site.timezone!,
      permalink: v.site.permalink!,
      author: Object.fromEntries(Object.entries(author).filter(([, x]) => x !== undefined)),
    },
    content: { dir: path.resolve(root, v.content.dir), summaryLength: v.content.summary_length },
    build: { out: path.resolve(root, v.build.out), static: path.resolve(root, v.build.static), cache: path.resolve(root, v.build.cache) },
    feeds: { limit: v.feeds.limit },
    email: {
      ...(v.email.from ? { from: v.email.from.trim() } : {}),
      ...(v.email.reply_to ? { replyTo: v.email.reply_to.trim() } : {}),
      subject: v.email.subject,
      postalAddress: v.email.postal_address.trim(),
      ...(v.email.template ? { template: path.resolve(root, v.email.template) } : {}),
    },
    subscribers: { database: path.resolve(root, v.subscribers.database) },
    server: v.server.public_url ? { publicUrl: withSlash(v.server.public_url) } : {},
    smtp: {
      ...(v.smtp.host ? { host: v.smtp.host } : {}),
      ...(v.smtp.port ? { port: v.smtp.port } : {}),
      secure: v.smtp.secure,
      ...(v.smtp.user ? { user: v.smtp.user } : {}),
      tlsVerify: v.smtp.tls_verify,
    },
    send: {
      maxConnections: v.send.max_connections,
      rateLimit: v.send.rate_limit,
      retryAttempts: v.send.retry_attempts,
      retryDelay: v.send.retry_delay,
    },
    ...(v.dkim.domain && v.dkim.selector && v.dkim.private_key
      ? { dkim: { domain: v.dkim.domain, selector: v.dkim.selector, privateKey: path.resolve(root, v.dkim.private_key) } }
      : {}),
  };
  const dkimKeys = [v.dkim.domain, v.dkim.selector, v.dkim.private_key].filter(Boolean).length;
  if (dkimKeys > 0 && dkimKeys < 3) {
    throw new GazetteError('dkim: set domain, selector and private_key together (or none of them)', { file: rel });
  }
  const warnings = checked.warnings.map((w) => `${rel}: ${w}`);
  checkOutFolder(config, rel);
  if (v.smtp.host === undefined && (v.smtp.user !== undefined || v.smtp.port !== undefined)) {
    warnings.push(`${rel}: [smtp] has no host, so the section is ignored`);
  }
  return { config, warnings };
}

function withSlash(url: string): string {
  const u = new URL(url);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/** The output folder is replaced on every build: refuse one that holds the site itself. */
function checkOutFolder(config: Config, rel: string): void {
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
      throw new GazetteError(`build.out (${out}) would contain ${what}; each build replaces build.out whole, so choose a folder of its own`, { file: rel });
    }
  }
}

export async function loadConfig(configPath: string): Promise<LoadedConfig> {
  const file = path.resolve(configPath);
  const rel = displayPath(file);
  const text = (await readUserFile(file, 'the config file', 'config file not found (use --config PATH)')).toString('utf8');
  let data: unknown;
  try {
    data = parseToml(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    if (err instanceof TomlError) {
      throw new GazetteError(`invalid TOML: ${firstLine(err.message)}`, { file: rel, line: err.line, column: err.column });
    }
    throw err;
  }
  return resolveConfig(data, file);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
}
