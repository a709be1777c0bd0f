import { checkEmail } from '../util/email.js';
import type { Infer, TableSpec } from './schema.js';

function absoluteHttpUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an absolute URL such as "https://example.com/", got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected an http or https URL, got ${JSON.stringify(value)}`;
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

function languageTag(value: string): string | undefined {
  try {
    Intl.getCanonicalLocales(value);
    return undefined;
  } catch {
    return `${JSON.stringify(value)} is not a BCP 47 language tag (for example "en" or "zh-CN")`;
  }
}

/** Canonical IANA zone names: a set lookup, where making a formatter costs ICU's zone data (25 ms). */
let zones: Set<string> | undefined;

function timeZone(value: string): string | undefined {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
  if (zones.has(value)) return undefined;
  // Aliases (Asia/Calcutta), other spellings (utc): whatever ICU accepts.
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return undefined;
  } catch {
    return `${JSON.stringify(value)} is not an IANA time zone (for example "UTC" or "Asia/Shanghai")`;
  }
}

function permalink(value: string): string | undefined {
  if (!value.includes('{slug}')) return 'must contain {slug}, so that every issue has its own URL';
  const unknown = value.match(/\{(?!slug\}|year\}|month\}|day\})[^}]*\}/);
  if (unknown) return `unknown placeholder ${unknown[0]} (use {slug}, {year}, {month}, {day})`;
  if (/[?#]/.test(value)) return 'must be a path, without ? or #';
  return undefined;
}

function positive(value: number): string | undefined {
  return value >= 1 ? undefined : `must be at least 1, got ${value}`;
}

function relativeOrAbsolutePath(value: string): string | undefined {
  return value.trim() === '' ? 'must not be empty' : undefined;
}

function email(value: string): string | undefined {
  const checked = checkEmail(value);
  return 'reason' in checked ? checked.reason : undefined;
}

/** `news@example.com` or `Display Name <news@example.com>`, on one line. */
function mailbox(value: string): string | undefined {
  const m = /^\s*(?:([^<>\r\n]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
  const address = m?.[2] ?? m?.[3];
  if (!address || 'reason' in checkEmail(address)) return `${JSON.stringify(value)} is not an address like "News <news@example.com>"`;
  return undefined;
}

function subjectPattern(value: string): string | undefined {
  const unknown = value.match(/\{(?!title\}|site\}|date\})[^}]*\}/);
  if (unknown) return `unknown placeholder ${unknown[0]} (use {title}, {site}, {date})`;
  return value.trim() === '' ? 'must not be empty' : undefined;
}

function httpsUrl(value: string): string | undefined {
  const problem = absoluteHttpUrl(value);
  if (problem) return problem;
  return new URL(value).protocol === 'https:' || /^http:\/\/(localhost|127\.0\.0\.1)(:|\/)/.test(value)
    ? undefined
    : 'must be an https URL (one-click unsubscribe links must be https)';
}

function port(value: number): string | undefined {
  return value >= 1 && value <= 65535 ? undefined : `must be a port number, got ${value}`;
}

function atLeast(min: number) {
  return (value: number): string | undefined => (value >= min ? undefined : `must be at least ${min}, got ${value}`);
}

function above(min: number) {
  return (value: number): string | undefined => (value > min ? undefined : `must be more than ${min}, got ${value}`);
}

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

function weekday(value: string): string | undefined {
  return (WEEKDAYS as readonly string[]).includes(value) ? undefined : `${JSON.stringify(value)} is not a day of the week (monday … sunday)`;
}

function hourOfDay(value: number): string | undefined {
  return value >= 0 && value <= 23 ? undefined : `must be an hour from 0 to 23, got ${value}`;
}

function rollupTitle(value: string): string | undefined {
  const unknown = value.match(/\{(?!site\}|week\}|from\}|to\})[^}]*\}/);
  if (unknown) return `unknown placeholder ${unknown[0]} (use {site}, {week}, {from}, {to})`;
  return value.trim() === '' ? 'must not be empty' : undefined;
}

function topicKey(value: string): string | undefined {
  return /^[a-z0-9][a-z0-9-]{0,31}$/.test(value)
    ? undefined
    : `${JSON.stringify(value)} is not a topic key: up to 32 lower-case letters, digits and "-", starting with a letter or digit`;
}

function relayName(value: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(value)
    ? undefined
    : `${JSON.stringify(value)} is not a relay name: up to 32 letters, digits, "-" and "_", starting with a letter or digit`;
}

function smtpUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected a URL such as "smtp://user@smtp.example.com:587", got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return `must start with smtp:// or smtps://, not ${url.protocol}//`;
  if (url.password) return 'must not hold a password: set GAZETTE_SMTP_PASSWORD_<NAME> (or GAZETTE_SMTP_URL) instead';
  if (!url.hostname) return 'must name the host';
  return undefined;
}

function hostname(value: string): string | undefined {
  return /^[A-Za-z0-9.-]+$/.test(value) ? undefined : `${JSON.stringify(value)} is not a host name`;
}

/** `imaps://user@host[:port]/[mailbox]`, with no password in it (that comes from the environment). */
function imapUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected a URL such as "imaps://bounces@mail.example.com/INBOX", got ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'imaps:' && url.protocol !== 'imap:') return `must start with imaps:// (or imap:// for STARTTLS), not ${url.protocol}//`;
  if (url.password) return 'must not hold the password: set GAZETTE_BOUNCES_IMAP_PASSWORD instead (the config file is not a secret)';
  if (!url.username) return 'must name the login, as in imaps://bounces@mail.example.com/INBOX';
  return undefined;
}

/** An SNS topic ARN: `arn:aws:sns:<region>:<account>:<name>`. */
function topicArn(value: string): string | undefined {
  return /^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(value)
    ? undefined
    : `${JSON.stringify(value)} is not an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:ses-bounces"`;
}

/** The schema of `gazette.toml`. README's config reference follows it. */
export const configSchema = {
  site: {
    title: { kind: 'string', required: true, doc: "The newsletter's name, used as the feeds' title." },
    description: { kind: 'string', default: '', doc: 'One sentence about the newsletter (feed subtitle). Defaults to the title in RSS, which requires one.' },
    base_url: { kind: 'string', required: true, check: absoluteHttpUrl, doc: 'Absolute URL where `out/` is served, e.g. `"https://example.com/"`.' },
    language: { kind: 'string', default: 'en', check: languageTag, doc: 'BCP 47 language of the content, e.g. `"zh-CN"`.' },
    timezone: { kind: 'string', default: 'UTC', check: timeZone, doc: 'IANA time zone for dates written without an offset, and for dates shown in feeds.' },
    permalink: {
      kind: 'string',
      default: '/posts/{slug}/',
      check: permalink,
      doc: 'URL path of an issue under `base_url`; placeholders `{slug}`, `{year}`, `{month}`, `{day}`.',
    },
    author: {
      name: { kind: 'string', doc: 'Default author of every issue.' },
      email: { kind: 'string', check: email, doc: "The author's email, shown in feeds." },
    },
  },
  content: {
    dir: { kind: 'string', default: 'content', check: relativeOrAbsolutePath, doc: 'Folder of Markdown digests, searched recursively.' },
    max_file_size: {
      kind: 'integer',
      default: 4194304,
      check: positive,
      doc: 'Largest issue file read, in bytes (default 4 MiB); a bigger one is an error naming the file.',
    },
    max_nesting: {
      kind: 'integer',
      default: 64,
      check: positive,
      doc: 'Deepest nesting of lists, quotes or HTML elements in an issue; deeper is an error naming the file.',
    },
    summary_length: { kind: 'integer', default: 120, check: positive, doc: 'Length of a derived summary: words, with each CJK character counted as one.' },
  },
  build: {
    out: { kind: 'string', default: 'out', check: relativeOrAbsolutePath, doc: 'Output folder. Gazette owns it: each build replaces it whole.' },
    static: {
      kind: 'string',
      default: 'static',
      check: relativeOrAbsolutePath,
      doc: 'Folder copied as-is into the output (images, CNAME, ...), if it exists.',
    },
    cache: {
      kind: 'string',
      default: '.gazette-cache',
      check: relativeOrAbsolutePath,
      doc: 'Folder where rendered issues and emails are kept between builds, keyed on everything they are made of (keep it out of git).',
    },
  },
  feeds: {
    limit: { kind: 'integer', default: 20, check: positive, doc: 'How many of the newest issues each feed holds.' },
  },
  email: {
    from: { kind: 'string', check: mailbox, doc: 'Sender, e.g. `"Gazette <news@example.com>"`. Required by `gazette send`.' },
    reply_to: { kind: 'string', check: mailbox, doc: 'Where replies go, if not to `from`.' },
    subject: { kind: 'string', default: '{title}', check: subjectPattern, doc: 'Subject line pattern; placeholders `{title}`, `{site}`, `{date}`.' },
    postal_address: {
      kind: 'string',
      default: '',
      doc: "The sender's postal address for the footer (CAN-SPAM requires one); `build` warns while it is empty.",
    },
    invite_message: {
      kind: 'string',
      doc: "The opening of the confirmation `subscribers invite` mails to an imported list, in your words (e.g. `You were on {site}'s list at Substack; …`; `{site}` is the site's title). Default: the list moved, and asks to confirm.",
    },
    preview_limit: {
      kind: 'integer',
      default: 20,
      check: positive,
      doc: 'How many of the newest issues `build` renders the email of (into `out/email/`); an older one is rendered when `send --issue` or `preview` asks for it.',
    },
    template: {
      kind: 'string',
      check: relativeOrAbsolutePath,
      doc: "The MJML template of an issue's email. Default: `email-templates/issue.mjml` beside the config if it exists, else the one Gazette ships.",
    },
  },
  subscribers: {
    database: {
      kind: 'string',
      default: 'data/gazette.db',
      check: relativeOrAbsolutePath,
      doc: 'The SQLite file of subscribers and deliveries (keep it out of git), or a PostgreSQL server as `postgres://user@host:5432/database`, without its password: `GAZETTE_DATABASE_URL` (the whole URL, password included) overrides it.',
    },
  },
  server: {
    public_url: {
      kind: 'string',
      check: httpsUrl,
      doc: 'Public https URL of `gazette serve`; personal unsubscribe links live under it. Required by `gazette send`.',
    },
    trust_proxy: {
      kind: 'boolean',
      default: false,
      doc: "`gazette serve` runs behind a reverse proxy: take the client's address from `X-Forwarded-For` (for rate limits). Leave off when it faces the internet directly.",
    },
    proxy_hops: {
      kind: 'integer',
      default: 1,
      check: positive,
      doc: "With `trust_proxy`: how many proxies of yours stand in front of `serve` (nginx alone: 1; a CDN before it: 2). The client's address is taken that many entries from the right of `X-Forwarded-For`, the entries your proxies appended; what the client wrote further left is never believed.",
    },
    confirmations_per_hour: {
      kind: 'integer',
      default: 1000,
      check: positive,
      doc: 'Confirmation emails `serve` mails in an hour at most, to everyone together; a tenth of it (at least 20) to any one domain, and one to any one mailbox (`ann+1@` and `ann+2@` are one). Past a cap, a request is told to try again later.',
    },
  },
  smtp: {
    kind: 'tables',
    doc: 'The relay, or several: `[[smtp]]` once per relay, each with a `name`.',
    of: {
      name: {
        kind: 'string',
        check: relayName,
        doc: "The relay's name (letters, digits, `-`, `_`), required when there are several: its password comes from `GAZETTE_SMTP_PASSWORD_<NAME>` and the ledger records it with each message.",
      },
      url: {
        kind: 'string',
        check: smtpUrl,
        doc: 'The relay as one URL, `smtp://user@host:587` or `smtps://host:465`, instead of host, port, secure and user (no password here).',
      },
      host: { kind: 'string', check: hostname, doc: 'SMTP server. `GAZETTE_SMTP_URL` (`smtp://` or `smtps://`, credentials allowed) overrides this section.' },
      port: { kind: 'integer', check: port, doc: 'Default 465 when `secure`, else 587.' },
      secure: { kind: 'boolean', default: false, doc: 'TLS from the start (port 465); otherwise STARTTLS is used when offered.' },
      user: { kind: 'string', doc: 'Login name; the password comes only from `GAZETTE_SMTP_PASSWORD` (`GAZETTE_SMTP_PASSWORD_<NAME>` for a named relay).' },
      allow_plain_auth: {
        kind: 'boolean',
        default: false,
        doc: 'Allow logging in without TLS to a server that offers no STARTTLS (the password then crosses the network in clear). Never needed on loopback.',
      },
      tls_verify: {
        kind: 'boolean',
        default: true,
        doc: "Check the server's TLS certificate. A server on loopback (localhost) is not checked. `GAZETTE_SMTP_URL` may add `?tls_verify=false`.",
      },
      weight: { kind: 'number', default: 1, check: above(0), doc: "This relay's share of the messages, against the other relays' weights." },
      rate_limit: {
        kind: 'number',
        default: 0,
        check: atLeast(0),
        doc: 'Messages per second at most through this relay (every sender together); 0 means no limit.',
      },
      daily_limit: {
        kind: 'integer',
        default: 0,
        check: atLeast(0),
        doc: "Messages in any 24 hours at most through this relay (every sender and issue together, counted in the database); 0 means no limit. A send that reaches every relay's stops, says when to run it again, and exits 3.",
      },
    },
  },
  topics: {
    kind: 'map',
    name: topicKey,
    doc: 'What readers may choose: `[topics.<key>]` once per topic. No topics: one list, as before.',
    of: {
      label: { kind: 'string', required: true, doc: 'The topic as readers see it on the subscribe form and the preferences page.' },
      tags: {
        kind: 'strings',
        required: true,
        doc: 'The tags or categories of the issues this topic covers (`tags = ["models"]`): a reader who chose it gets those issues; one who chose no topic gets everything.',
      },
    },
  },
  rollup: {
    title: {
      kind: 'string',
      check: rollupTitle,
      doc: 'The weekly roll-up\'s title and subject: `{site}`, `{week}` (2026-W48), `{from}` and `{to}` (its first and last day). Default, in the site\'s language: "{site}: the week of {from}".',
    },
    starts_on: {
      kind: 'string',
      default: 'monday',
      check: weekday,
      doc: "The day a roll-up's week begins (in `site.timezone`); it is named by the ISO week of that day.",
    },
    hour: {
      kind: 'integer',
      default: 0,
      check: hourOfDay,
      doc: 'The hour that day the week begins (0-23): a roll-up holds the issues dated from then, for seven days.',
    },
  },
  send: {
    max_connections: { kind: 'integer', default: 5, check: positive, doc: 'SMTP connections used at once (and messages in flight).' },
    rate_limit: { kind: 'number', default: 0, check: atLeast(0), doc: 'Messages per second at most; 0 means no limit.' },
    retry_attempts: { kind: 'integer', default: 3, check: atLeast(0), doc: 'Extra passes over deferred messages (4xx, dropped connections) within one run.' },
    retry_delay: { kind: 'number', default: 30, check: atLeast(0), doc: 'Seconds before the first retry pass; each later pass waits twice as long.' },
    lease: {
      kind: 'number',
      default: 60,
      check: atLeast(5),
      doc: "On PostgreSQL, where several `send` workers share an issue: seconds a worker holds the subscribers it claimed without renewing them (it renews every third of it while it runs); a killed worker's go to the others this long after.",
    },
  },
  dkim: {
    domain: { kind: 'string', check: hostname, doc: 'DKIM signing domain (d=). Signing is on when domain, selector and private_key are all set.' },
    selector: { kind: 'string', doc: 'DKIM selector (s=).' },
    private_key: { kind: 'string', check: relativeOrAbsolutePath, doc: 'PEM file of the DKIM private key.' },
  },
  bounces: {
    return_path_domain: {
      kind: 'string',
      check: hostname,
      doc: 'Domain of the envelope sender: each message goes out from its own `bounces+<token>@<domain>` (VERP), so a report names its subscriber and issue. Its mail must reach `gazette bounces import` or `fetch`.',
    },
    soft_limit: {
      kind: 'integer',
      default: 3,
      check: positive,
      doc: 'Soft bounces (a full mailbox, a 4.x.x failure, a policy refusal) in a row, across issues, after which a subscriber is marked bounced.',
    },
    imap_url: {
      kind: 'string',
      check: imapUrl,
      doc: 'Mailbox `gazette bounces fetch` reads, e.g. `"imaps://bounces@mail.example.com/INBOX"`; password from `GAZETTE_BOUNCES_IMAP_PASSWORD`. `GAZETTE_BOUNCES_IMAP_URL` (password allowed) overrides it.',
    },
    processed_folder: {
      kind: 'string',
      default: 'Gazette/Processed',
      doc: 'IMAP folder that handled reports are moved to (made if missing; levels separated by `/`, whatever the server uses); other mail stays where it is, unread.',
    },
    tls_verify: {
      kind: 'boolean',
      default: true,
      doc: "Check the IMAP server's TLS certificate (never checked for a server on loopback).",
    },
  },
  webhooks: {
    ses_topic_arn: {
      kind: 'string',
      check: topicArn,
      doc: "Turns on `POST <public_url>webhooks/ses`: Amazon SES notifications through this SNS topic, each signature checked against Amazon's certificate.",
    },
    postmark: {
      kind: 'boolean',
      default: false,
      doc: 'Turns on `POST <public_url>webhooks/postmark`, behind HTTP basic auth: `GAZETTE_POSTMARK_WEBHOOK_AUTH` is `user:password` (put them in the webhook URL at Postmark).',
    },
    mailgun: {
      kind: 'boolean',
      default: false,
      doc: "Turns on `POST <public_url>webhooks/mailgun`: each event's signature checked with `GAZETTE_MAILGUN_SIGNING_KEY`.",
    },
  },
} as const satisfies TableSpec;

/** `gazette.toml` as validated: TOML's names, defaults filled in, paths not yet resolved. */
export type RawConfig = Infer<typeof configSchema>;
