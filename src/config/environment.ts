import path from 'node:path';
import { GazetteError } from '../errors.js';

/**
 * What the environment adds to `gazette.toml`: the servers' addresses when
 * given as URLs with their passwords, and the secrets. They are read here,
 * once, by `loadConfig`, for the sections the command reads; nothing below
 * `cli/` and `config/` reads the environment. None of them is ever printed.
 */

export interface SmtpSettings {
  /** The relay's name: `name` in its `[[smtp]]` table, else its host. The ledger records it with each message. */
  name: string;
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  /** Check the server's certificate (never done for a loopback server). */
  tlsVerify: boolean;
  /** Log in even where the server offers no TLS. */
  allowPlainAuth: boolean;
  /** Its share of a campaign's messages, against the other relays' weights. */
  weight: number;
  /** Messages a second at most through it (every sender together); 0: no limit. */
  rateLimit: number;
  /** Messages in any 24 hours at most through it; 0: no limit. */
  dailyLimit: number;
}

export interface ImapSettings {
  host: string;
  port: number;
  /** TLS from the start (imaps://); otherwise STARTTLS, required except on loopback. */
  secure: boolean;
  user: string;
  /** Required by `gazette bounces fetch` (`needs`), from the URL or `GAZETTE_BOUNCES_IMAP_PASSWORD`. */
  password?: string;
  /** The folder read; default INBOX. */
  mailbox: string;
  tlsVerify: boolean;
}

/** One `[smtp]` table as the file gives it (checked by `load.ts`: a host or a URL, names unique). */
export interface SmtpSection {
  name?: string | undefined;
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  secure: boolean;
  user?: string | undefined;
  allowPlainAuth: boolean;
  tlsVerify: boolean;
  weight: number;
  rateLimit: number;
  dailyLimit: number;
}

/** `GAZETTE_SMTP_PASSWORD_<NAME>`: the relay's name in capitals, `-` as `_`. */
export const relayPasswordVariable = (name: string): string => `GAZETTE_SMTP_PASSWORD_${name.toUpperCase().replace(/-/g, '_')}`;

/** An `smtp://` or `smtps://` URL as settings (its password, where the environment gave one). */
function fromUrl(text: string, what: string): Pick<SmtpSettings, 'host' | 'port' | 'secure' | 'user' | 'password'> & { params: URLSearchParams } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GazetteError('SMTP_CONFIG', `${what} is not a URL (use smtp://user:password@host:587 or smtps://host:465)`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new GazetteError('SMTP_CONFIG', `${what} must start with smtp:// or smtps://, not ${url.protocol}//`);
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    params: url.searchParams,
  };
}

/**
 * The relays: `GAZETTE_SMTP_URL` (one relay, the section's other settings
 * kept), else each `[smtp]` table with a host or a URL, its password from
 * `GAZETTE_SMTP_PASSWORD_<NAME>` (or `GAZETTE_SMTP_PASSWORD` when there is
 * one relay); none when neither is set.
 */
export function smtpFrom(sections: SmtpSection[], env: NodeJS.ProcessEnv): SmtpSettings[] {
  const given = sections.filter((s) => s.host || s.url);
  if (env.GAZETTE_SMTP_URL) {
    if (given.length > 1) {
      throw new GazetteError(
        'SMTP_CONFIG',
        `GAZETTE_SMTP_URL names one relay, but gazette.toml lists ${given.length} ([[smtp]]): unset it, and give each relay's password as ${relayPasswordVariable('<name>')}`,
      );
    }
    const section = given[0] ?? sections[0];
    const { params, ...url } = fromUrl(env.GAZETTE_SMTP_URL, 'GAZETTE_SMTP_URL');
    const verify = params.get('tls_verify');
    const plain = params.get('allow_plain_auth');
    return [
      {
        name: section?.name ?? url.host,
        weight: section?.weight ?? 1,
        rateLimit: section?.rateLimit ?? 0,
        dailyLimit: section?.dailyLimit ?? 0,
        tlsVerify: verify === null ? (section?.tlsVerify ?? true) : !/^(false|0|no)$/i.test(verify),
        allowPlainAuth: plain === null ? (section?.allowPlainAuth ?? false) : /^(true|1|yes)$/i.test(plain),
        ...url,
      },
    ];
  }
  if (given.length > 1 && env.GAZETTE_SMTP_PASSWORD && !given.every((s) => s.name && env[relayPasswordVariable(s.name)] !== undefined)) {
    throw new GazetteError(
      'SMTP_CONFIG',
      `GAZETTE_SMTP_PASSWORD is set, but gazette.toml lists ${given.length} relays: give each its own, ${given.map((s) => relayPasswordVariable(s.name ?? '')).join(', ')}`,
    );
  }
  return given.map((section) => {
    const { params: _, ...url } = section.url
      ? fromUrl(section.url, 'smtp.url')
      : { host: section.host!, port: section.port ?? (section.secure ? 465 : 587), secure: section.secure, user: section.user, params: undefined };
    const password = (section.name ? env[relayPasswordVariable(section.name)] : undefined) ?? (given.length === 1 ? env.GAZETTE_SMTP_PASSWORD : undefined);
    return {
      name: section.name ?? url.host,
      host: url.host,
      port: url.port,
      secure: url.secure,
      tlsVerify: section.tlsVerify,
      allowPlainAuth: section.allowPlainAuth,
      weight: section.weight,
      rateLimit: section.rateLimit,
      dailyLimit: section.dailyLimit,
      ...(url.user ? { user: url.user } : {}),
      ...(password ? { password } : {}),
    };
  });
}

/**
 * The bounce mailbox from `GAZETTE_BOUNCES_IMAP_URL` (password allowed), else
 * `[bounces] imap_url` with `GAZETTE_BOUNCES_IMAP_PASSWORD`; none when
 * neither is set. What reading it needs besides is checked in `needs.ts`.
 */
export function imapFrom(imapUrl: string | undefined, tlsVerify: boolean, env: NodeJS.ProcessEnv): ImapSettings | undefined {
  const fromEnv = env.GAZETTE_BOUNCES_IMAP_URL;
  const text = fromEnv || imapUrl;
  const name = fromEnv ? 'GAZETTE_BOUNCES_IMAP_URL' : 'bounces.imap_url';
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GazetteError('CONFIG', `${name} is not a URL (use imaps://user@host/INBOX)`);
  }
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:')
    throw new GazetteError('CONFIG', `${name} must start with imaps:// or imap://, not ${url.protocol}//`);
  if (!url.username) throw new GazetteError('CONFIG', `${name} must name the login, as in imaps://bounces@mail.example.com/INBOX`);
  const password = url.password ? decodeURIComponent(url.password) : env.GAZETTE_BOUNCES_IMAP_PASSWORD;
  const secure = url.protocol === 'imaps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(url.username),
    ...(password ? { password } : {}),
    mailbox: decodeURIComponent(url.pathname.replace(/^\/+/, '')) || 'INBOX',
    tlsVerify,
  };
}

/**
 * `GAZETTE_SECRET`, the key of reader tokens, VERP addresses and Message-IDs,
 * when set (else Gazette makes one and keeps it beside the database). A
 * weak key would let anyone forge unsubscribe links: refused, never used.
 */
export function tokenSecretFrom(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GAZETTE_SECRET) return undefined;
  const secret = env.GAZETTE_SECRET.trim();
  if (secret.length < 16 || new Set(secret).size < 8) {
    throw new GazetteError('SECRET', 'GAZETTE_SECRET is too weak: use at least 16 random characters (for example: openssl rand -hex 32)');
  }
  return secret;
}

/** The providers' webhook secrets, as set (`needs` says when one turned on is missing or weak). */
export function webhookSecretsFrom(env: NodeJS.ProcessEnv): { postmarkAuth?: string; mailgunKey?: string } {
  return {
    ...(env.GAZETTE_POSTMARK_WEBHOOK_AUTH ? { postmarkAuth: env.GAZETTE_POSTMARK_WEBHOOK_AUTH } : {}),
    ...(env.GAZETTE_MAILGUN_SIGNING_KEY?.trim() ? { mailgunKey: env.GAZETTE_MAILGUN_SIGNING_KEY.trim() } : {}),
  };
}

/** Where the subscriber list lives: a SQLite file (the default), or a PostgreSQL server. */
export type DatabaseLocation =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'postgres';
      /** The URL with its password: handed to the driver only, never printed. */
      url: string;
      /** The same without the password (`postgres://user@host:5432/name`): for messages. */
      where: string;
      /** `host:port`, as errors name the server. */
      host: string;
    };

const POSTGRES = /^postgres(?:ql)?:\/\//i;

/**
 * `subscribers.database` (a file path, or a `postgres://` URL without a
 * password), unless `GAZETTE_DATABASE_URL` names a PostgreSQL server: the
 * password belongs there, never in `gazette.toml`.
 */
export function databaseFrom(value: string, root: string, env: NodeJS.ProcessEnv): DatabaseLocation {
  const fromEnv = env.GAZETTE_DATABASE_URL?.trim();
  if (fromEnv) {
    if (!POSTGRES.test(fromEnv)) throw new GazetteError('CONFIG', 'GAZETTE_DATABASE_URL must be a postgres:// or postgresql:// URL');
    return postgresLocation(fromEnv, 'GAZETTE_DATABASE_URL');
  }
  if (!POSTGRES.test(value)) return { kind: 'sqlite', file: path.resolve(root, value) };
  const location = postgresLocation(value, 'subscribers.database');
  if (new URL(value).password || /[?&]password=/i.test(value)) {
    throw new GazetteError(
      'CONFIG',
      'subscribers.database holds a password: gazette.toml is no place for it; set GAZETTE_DATABASE_URL to the whole URL instead',
    );
  }
  return location;
}

/** A PostgreSQL URL as a list's location; `key` names where it came from in errors. */
export function postgresLocation(value: string, key: string): Extract<DatabaseLocation, { kind: 'postgres' }> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GazetteError('CONFIG', `${key} is not a URL (use postgres://user:password@host:5432/database)`);
  }
  if (!url.hostname || url.pathname.length < 2) throw new GazetteError('CONFIG', `${key} must name a host and a database (postgres://user@host:5432/database)`);
  const host = `${url.hostname}:${url.port || '5432'}`;
  const shown = new URL(value);
  shown.password = '';
  shown.search = '';
  return { kind: 'postgres', url: value, where: shown.toString(), host };
}
