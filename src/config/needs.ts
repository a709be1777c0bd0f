import { GazetteError } from '../errors.js';
import type { Config } from './config.js';
import type { ImapSettings, SmtpSettings } from './environment.js';
import { NEEDS, type Need, placeholderProblems } from './uses.js';

/** What a need gives back when it is met. */
interface Met {
  'email.from': string;
  'server.public_url': string;
  'no placeholders': true;
  /** At least one. */
  smtp: SmtpSettings[];
  mailbox: ImapSettings & { password: string };
  'webhook secrets': { postmark?: string; mailgun?: string };
  secret: true;
}

/** What each check reads of the config (and `file`, which its error names). */
interface Reads {
  'email.from': Pick<Config, 'file' | 'email'>;
  'server.public_url': Pick<Config, 'file' | 'server'>;
  'no placeholders': Pick<Config, 'file' | 'placeholders'>;
  smtp: Pick<Config, 'file' | 'smtp'>;
  mailbox: Pick<Config, 'file' | 'bounces'>;
  'webhook secrets': Pick<Config, 'file' | 'webhooks'>;
  secret: Pick<Config, 'file' | 'subscribers' | 'tokenSecret'>;
}

/** A need not met: the error's code and its one line. */
type Unmet = { code: 'CONFIG' | 'SMTP_CONFIG' | 'SECRET'; message: string };

const CHECKS: { [N in Need]: (config: Reads[N]) => Met[N] | Unmet } = {
  'email.from': (config) => config.email.from ?? { code: 'CONFIG', message: 'email.from is not set: the sender address, e.g. "News <news@example.com>"' },
  'server.public_url': (config) =>
    config.server.publicUrl ?? {
      code: 'CONFIG',
      message: 'server.public_url is not set: where readers reach gazette serve; the unsubscribe and confirmation links point there',
    },
  'no placeholders': (config) => (config.placeholders.length ? { code: 'CONFIG', message: placeholderProblems(config.placeholders).join('; ') } : true),
  smtp: (config) =>
    (config.smtp.length ? config.smtp : undefined) ?? {
      code: 'SMTP_CONFIG',
      message:
        'no SMTP server is configured: set GAZETTE_SMTP_URL (e.g. smtps://user:password@smtp.example.com:465) or [smtp] host in gazette.toml; --dry-run writes the messages to files instead',
    },
  mailbox: (config) => {
    const imap = config.bounces.imap;
    if (!imap)
      return {
        code: 'CONFIG',
        message: 'no mailbox to read: set [bounces] imap_url (e.g. "imaps://bounces@mail.example.com/INBOX") or GAZETTE_BOUNCES_IMAP_URL',
      };
    if (!imap.password) return { code: 'CONFIG', message: `no password for ${imap.user}@${imap.host}: set GAZETTE_BOUNCES_IMAP_PASSWORD` };
    return { ...imap, password: imap.password };
  },
  'webhook secrets': (config) => {
    // A provider turned on without its secret, or with a weak one, is refused at start rather than left open to forged requests.
    const { postmark, mailgun, postmarkAuth = '', mailgunKey = '' } = config.webhooks;
    const password = postmarkAuth.slice(postmarkAuth.indexOf(':') + 1);
    if (postmark && (!postmarkAuth.includes(':') || password.length < 16 || new Set(password).size < 8)) {
      return {
        code: 'SECRET',
        message: 'webhooks.postmark is on, but GAZETTE_POSTMARK_WEBHOOK_AUTH is not "user:password" with a password of at least 16 random characters',
      };
    }
    if (mailgun && mailgunKey.length < 16)
      return { code: 'SECRET', message: 'webhooks.mailgun is on, but GAZETTE_MAILGUN_SIGNING_KEY (the HTTP webhook signing key) is not set' };
    return { ...(postmark ? { postmark: postmarkAuth } : {}), ...(mailgun ? { mailgun: mailgunKey } : {}) };
  },
  // GAZETTE_SECRET is checked as it is read (environment.ts); without it, the secret file is made on first use,
  // beside a SQLite database. Every sender and serve of a list on PostgreSQL must sign with the same one.
  secret: (config) =>
    config.tokenSecret || config.subscribers.secretGiven || config.subscribers.database.kind === 'sqlite'
      ? true
      : { code: 'SECRET', message: SECRET_ON_POSTGRES },
};

export const SECRET_ON_POSTGRES =
  'the subscriber list is on PostgreSQL: set GAZETTE_SECRET (at least 16 random characters, e.g. openssl rand -hex 32), or GAZETTE_SECRET_FILE to the gazette.secret of the SQLite list it was copied from, the same for every send and serve of the list';

const unmet = (value: unknown): value is Unmet => typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

/** One need of a command, met (its value) or refused with its one line. Core code asks here for what it cannot run without. */
export function need<N extends Need>(config: Reads[N], key: N): Met[N] {
  const result = (CHECKS[key] as (config: Reads[N]) => Met[N] | Unmet)(config);
  if (unmet(result)) throw new GazetteError(result.code, result.message, { file: config.file });
  return result as Met[N];
}

/**
 * Check everything `use` needs (the table `NEEDS`): the settings it reads
 * first, all of them in one error, then its servers and secrets.
 */
export function checkNeeds(config: Config, use: keyof typeof NEEDS): void {
  const problems = NEEDS[use].map((key) => CHECKS[key](config)).filter(unmet);
  const settings = problems.filter((p) => p.code === 'CONFIG');
  if (settings.length) throw new GazetteError('CONFIG', settings.map((p) => p.message).join('; '), { file: config.file });
  const first = problems[0];
  if (first) throw new GazetteError(first.code, first.message, { file: config.file });
}
