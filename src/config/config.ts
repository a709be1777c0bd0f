import path from 'node:path';
import {
  type DatabaseLocation,
  databaseFrom,
  type ImapSettings,
  imapFrom,
  type SmtpSettings,
  smtpFrom,
  tokenSecretFrom,
  webhookSecretsFrom,
} from './environment.js';
import { type RawConfig, WEEKDAYS } from './site-schema.js';
import { isPlaceholderUrl } from './uses.js';

/**
 * The validated config as the rest of Gazette reads it: one mapper per
 * section turns the TOML's names and relative paths into camelCase names
 * and absolute paths. `Config`'s type is inferred from these mappers, and
 * their input from the schema (`site-schema.ts`): the shape is declared
 * once, in the schema.
 */

function withSlash(url: string): string {
  const u = new URL(url);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

export interface Author {
  name?: string;
  email?: string;
}

const sections = {
  site: (v) => ({
    title: v.title,
    description: v.description,
    /** Absolute, always ending in `/`. */
    baseUrl: withSlash(v.base_url),
    language: Intl.getCanonicalLocales(v.language)[0]!,
    timezone: v.timezone,
    permalink: v.permalink,
    author: { ...(v.author.name !== undefined ? { name: v.author.name } : {}), ...(v.author.email !== undefined ? { email: v.author.email } : {}) } as Author,
  }),
  content: (v, root) => ({
    /** Absolute path. */
    dir: path.resolve(root, v.dir),
    summaryLength: v.summary_length,
    limits: { maxFileSize: v.max_file_size, maxNesting: v.max_nesting },
  }),
  build: (v, root) => ({
    /** Absolute path. */
    out: path.resolve(root, v.out),
    /** Absolute path (may not exist). */
    static: path.resolve(root, v.static),
    /** Absolute path of the render cache folder. */
    cache: path.resolve(root, v.cache),
  }),
  feeds: (v) => ({ limit: v.limit }),
  email: (v, root) => ({
    from: v.from?.trim() || undefined,
    replyTo: v.reply_to?.trim() || undefined,
    subject: v.subject,
    postalAddress: v.postal_address.trim(),
    /** The invitation's opening, in the author's words (`{site}` filled in), if set. */
    inviteMessage: v.invite_message?.trim() || undefined,
    /** Issues (newest first) whose email a build renders. */
    previewLimit: v.preview_limit,
    /** Absolute path of the MJML template, if the config names one. */
    template: v.template ? path.resolve(root, v.template) : undefined,
  }),
  subscribers: (v, root) => subscriberFiles(databaseFrom(v.database, root, {}), root),
  server: (v) => ({
    /** Ends in `/`. */
    publicUrl: v.public_url ? withSlash(v.public_url) : undefined,
    trustProxy: v.trust_proxy,
    /** Proxies of the operator's in front of `serve`: X-Forwarded-For entries believed, from the right. */
    proxyHops: v.proxy_hops,
    confirmationsPerHour: v.confirmations_per_hour,
  }),
  smtp: (v) =>
    v.map((relay) => ({
      name: relay.name || undefined,
      url: relay.url || undefined,
      host: relay.host || undefined,
      port: relay.port || undefined,
      secure: relay.secure,
      user: relay.user || undefined,
      allowPlainAuth: relay.allow_plain_auth,
      tlsVerify: relay.tls_verify,
      weight: relay.weight,
      rateLimit: relay.rate_limit,
      dailyLimit: relay.daily_limit,
    })),
  /** The weekly roll-up: its title pattern (the language's when unset), and when its weeks begin. */
  rollup: (v) => ({ title: v.title || undefined, startsOn: WEEKDAYS.indexOf(v.starts_on as (typeof WEEKDAYS)[number]), hour: v.hour }),
  /** The topics readers may choose, in the config's order; empty: one list. */
  topics: (v) => Object.entries(v).map(([key, topic]) => ({ key, label: topic.label, tags: topic.tags.map((t) => t.toLowerCase()) })),
  send: (v) => ({
    maxConnections: v.max_connections,
    rateLimit: v.rate_limit,
    retryAttempts: v.retry_attempts,
    /** Seconds. */
    retryDelay: v.retry_delay,
    /** Seconds a send worker's claims last unrenewed. */
    lease: v.lease,
  }),
  bounces: (v) => ({
    returnPathDomain: v.return_path_domain?.toLowerCase() || undefined,
    softLimit: v.soft_limit,
    imapUrl: v.imap_url || undefined,
    processedFolder: v.processed_folder,
    tlsVerify: v.tls_verify,
  }),
  webhooks: (v) => ({
    sesTopicArn: v.ses_topic_arn || undefined,
    postmark: v.postmark,
    mailgun: v.mailgun,
  }),
  /** Signing is on only when all three are set (load.ts refuses a partial section). */
  dkim: (v, root) =>
    v.domain && v.selector && v.private_key
      ? {
          domain: v.domain,
          selector: v.selector,
          /** Absolute path of the PEM file. */
          privateKey: path.resolve(root, v.private_key),
        }
      : undefined,
} satisfies { [K in keyof RawConfig]: (value: RawConfig[K], root: string) => unknown };

type Sections = typeof sections;

/** The list's database, and Gazette's private files that go with it. */
function subscriberFiles(database: DatabaseLocation, root: string) {
  // Beside a SQLite file; a PostgreSQL list has no folder of its own: the outbox goes beside the config, and the
  // secret must come from GAZETTE_SECRET (every sender and serve on the list signs with the same one).
  const dir = database.kind === 'sqlite' ? path.dirname(database.file) : undefined;
  return {
    /** The SQLite file (absolute), or the PostgreSQL server. */
    database,
    /** The generated token key (when GAZETTE_SECRET is not set): beside a SQLite database, mode 0600; none on PostgreSQL, unless GAZETTE_SECRET_FILE names one. */
    secret: dir ? path.join(dir, 'gazette.secret') : undefined,
    /** The secret file was named by GAZETTE_SECRET_FILE: it must exist (one is never made there). */
    secretGiven: false,
    /** Where messages are written instead of sent (dry runs, no SMTP): beside the database (or the config), mode 0700. */
    outbox: dir ? path.join(dir, 'outbox') : path.join(root, '.gazette-outbox'),
  };
}

/**
 * What no build or preview publishes, whatever path reaches it (a link, a
 * hard link, a folder named as static): files by path, and folders with
 * everything in them.
 */
export interface NeverPublished {
  /** The subscriber database and its -wal, -shm and -journal files, the secret, the config. */
  files: string[];
  /** The render cache, the outbox, the output folder itself. */
  folders: string[];
}

export interface Runtime {
  /** `GAZETTE_WORKERS`: MJML's worker threads at most (default: one per core, up to 8). */
  workers?: number | undefined;
  /** `GAZETTE_DEBUG`: say more on standard error. */
  debug: boolean;
}

type Mapped = { [K in keyof Sections]: ReturnType<Sections[K]> };

/** The validated, resolved site configuration: the file's sections, and what the environment adds to them. */
export type Config = {
  /** Absolute path of the config file. */
  file: string;
  /** The folder the config file is in; relative paths resolve against it. */
  root: string;
  neverPublished: NeverPublished;
  /**
   * Keys still holding the placeholder `gazette init` wrote (a URL on the
   * reserved example.com): `send` refuses to mail links there, `build` warns.
   */
  placeholders: string[];
  /** How this run works, from the environment (read once, by `loadConfig`), never from the file. */
  runtime: Runtime;
  /** `GAZETTE_SECRET` (checked strong), when set: else the secret file beside the database is used. */
  tokenSecret?: string;
} & Omit<Mapped, 'smtp' | 'bounces' | 'webhooks'> & {
    /**
     * The relays, by their settings: `GAZETTE_SMTP_URL`, else each `[smtp]` table with its password from
     * `GAZETTE_SMTP_PASSWORD_<NAME>` (`GAZETTE_SMTP_PASSWORD` for one); empty when none is set.
     */
    smtp: SmtpSettings[];
    bounces: Omit<Mapped['bounces'], 'imapUrl'> & {
      /** The bounce mailbox: `GAZETTE_BOUNCES_IMAP_URL`, else `imap_url` with `GAZETTE_BOUNCES_IMAP_PASSWORD`. */
      imap: ImapSettings | undefined;
    };
    webhooks: Mapped['webhooks'] & {
      /** `GAZETTE_POSTMARK_WEBHOOK_AUTH`: `user:password` of the basic auth Postmark sends. */
      postmarkAuth?: string;
      /** `GAZETTE_MAILGUN_SIGNING_KEY`: the key of Mailgun's signatures. */
      mailgunKey?: string;
    };
  };

export interface ConfigSources {
  runtime?: Runtime;
  /** The environment: SMTP and IMAP URLs and passwords, the secrets. */
  env?: NodeJS.ProcessEnv;
  /** Whether the command reads a section (default: every one): only those the environment is read for. */
  reads?: (section: keyof RawConfig) => boolean;
  /** Whether the command signs or checks what Gazette signs (default true): only then is `GAZETTE_SECRET` read. */
  signs?: boolean;
  /** Whether the command mails (default true): only then are the SMTP URL and password read (a dry run writes files). */
  mails?: boolean;
  /** Whether the command reads the bounce mailbox (default true): only then are its URL and password read. */
  readsMailbox?: boolean;
}

/** Map every section of a validated config, and add what the environment says to the sections the command reads. */
export function toConfig(raw: RawConfig, file: string, sources: ConfigSources = {}): Config {
  const { runtime = { debug: false }, env = {}, reads = () => true, signs = true, mails = true, readsMailbox = true } = sources;
  const root = path.dirname(file);
  const mapped = Object.fromEntries(
    (Object.keys(sections) as Array<keyof Sections>).map((key) => [key, (sections[key] as (v: unknown, root: string) => unknown)(raw[key], root)]),
  ) as Mapped;
  if (reads('subscribers') && env.GAZETTE_DATABASE_URL?.trim()) mapped.subscribers = subscriberFiles(databaseFrom('', root, env), root);
  // A secret file named by the environment (the one a SQLite list had, copied to each machine of a list on PostgreSQL).
  const secretFile = reads('subscribers') && signs ? env.GAZETTE_SECRET_FILE?.trim() : undefined;
  if (secretFile) mapped.subscribers = { ...mapped.subscribers, secret: path.resolve(root, secretFile), secretGiven: true };
  const { database, secret, outbox } = mapped.subscribers;
  const databaseFiles = database.kind === 'sqlite' ? ['', '-wal', '-shm', '-journal'].map((end) => `${database.file}${end}`) : [];
  const neverPublished: NeverPublished = {
    files: [...databaseFiles, ...(secret ? [secret] : []), file],
    folders: [mapped.build.cache, outbox, mapped.build.out],
  };
  const placeholders = [
    ...(isPlaceholderUrl(mapped.site.baseUrl) ? ['site.base_url'] : []),
    ...(isPlaceholderUrl(mapped.server.publicUrl) ? ['server.public_url'] : []),
  ];
  const { imapUrl, ...bounces } = mapped.bounces;
  const tokenSecret = signs ? tokenSecretFrom(env) : undefined;
  return {
    file,
    root,
    neverPublished,
    placeholders,
    runtime,
    ...(tokenSecret ? { tokenSecret } : {}),
    ...mapped,
    smtp: reads('smtp') && mails ? smtpFrom(mapped.smtp, env) : [],
    bounces: { ...bounces, imap: reads('bounces') && readsMailbox ? imapFrom(imapUrl, bounces.tlsVerify, env) : undefined },
    webhooks: { ...mapped.webhooks, ...(reads('webhooks') ? webhookSecretsFrom(env) : {}) },
  };
}
