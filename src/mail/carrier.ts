import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Config, SmtpSettings } from '../config/index.js';
import { fileError, GazetteError } from '../errors.js';
import { isLoopback } from '../util/mail.js';
import { readUserFile } from '../util/user-files.js';
import { cannotReach } from './classify.js';
import { outboxFileName } from './outbox.js';

/**
 * What carries a composed message: an SMTP pool, or files in an outbox
 * (composing is separate from the transport that carries it, as in
 * nodemailer). DKIM signing happens here, so every message a carrier
 * takes is signed alike.
 */
export interface Carrier {
  /** For people: `smtp://mail.example.com:587` (never a password) or the outbox folder's absolute path. */
  description: string;
  kind: 'smtp' | 'outbox';
  send(message: SendMailOptions): Promise<{ response: string }>;
  close(): void;
}

/** Signed headers: nodemailer's defaults plus the list headers mailbox providers check. */
const DKIM_HEADERS = [
  'From',
  'Sender',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'Cc',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
].join(':');

async function dkimOptions(config: Pick<Config, 'dkim'>) {
  if (!config.dkim) return undefined;
  const privateKey = (await readUserFile(config.dkim.privateKey, 'INPUT', 'the DKIM private key', 'DKIM private key not found (dkim.private_key)')).toString(
    'utf8',
  );
  return { domainName: config.dkim.domain, keySelector: config.dkim.selector, privateKey, headerFieldNames: DKIM_HEADERS };
}

/**
 * nodemailer's pooled SMTP transport. `maxRequeues: 0`: a message whose
 * connection fails is reported as failed at once, and the ledger decides
 * whether and when to retry it.
 */
export async function smtpCarrier(config: Pick<Config, 'send' | 'dkim'>, smtp: SmtpSettings): Promise<Carrier> {
  const options = smtpTransportOptions(config, smtp);
  const transport = nodemailer.createTransport({ ...options, ...(config.dkim ? { dkim: await dkimOptions(config) } : {}) });
  return {
    description: `smtp${smtp.secure ? 's' : ''}://${smtp.host}:${smtp.port}`,
    kind: 'smtp',
    async send(message) {
      try {
        const info = await transport.sendMail(message);
        return { response: String(info.response ?? '') };
      } catch (err) {
        const e = err as { command?: string; response?: string; message?: string };
        if (options.requireTLS && e.command === 'STARTTLS') {
          e.response = `${e.response ?? e.message}: the server offers no TLS, and Gazette sends no password in clear (smtp.allow_plain_auth = true would allow it)`;
        }
        throw err;
      }
    },
    close() {
      transport.close();
    },
  };
}

/** nodemailer's pool options for these settings (no DKIM): separate, so the security decisions can be tested. */
export function smtpTransportOptions(
  config: Pick<Config, 'send'>,
  smtp: Pick<SmtpSettings, 'host' | 'port' | 'secure' | 'user' | 'password' | 'tlsVerify' | 'allowPlainAuth'> & { rateLimit?: number },
) {
  // In one process, the pool keeps the lower of the send's rate and the relay's (the send pipeline keeps
  // them for every worker and relay together).
  const rate = Math.min(...[config.send.rateLimit, smtp.rateLimit ?? 0].filter((r) => r > 0), Number.POSITIVE_INFINITY);
  return {
    pool: true as const,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    // A password never crosses the network in clear: with a login, STARTTLS is required (the
    // session fails where the server offers none), unless on loopback or explicitly allowed.
    requireTLS: Boolean(smtp.user && !smtp.secure && !isLoopback(smtp.host) && !smtp.allowPlainAuth),
    maxConnections: config.send.maxConnections,
    maxMessages: 1000,
    maxRequeues: 0,
    ...(rate < Number.POSITIVE_INFINITY
      ? rate >= 1
        ? { rateDelta: 1000, rateLimit: Math.floor(rate) }
        : { rateDelta: Math.round(1000 / rate), rateLimit: 1 }
      : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    // A loopback server (a local relay, a test server) often has a self-signed certificate:
    // no one can intercept loopback, so it is not checked there.
    tls: { servername: smtp.host, rejectUnauthorized: smtp.tlsVerify && !isLoopback(smtp.host) },
  };
}

/**
 * Each message as an `.eml` file under `dir` (a dry run, or no SMTP
 * configured): the folder readable by its owner only (0700), each file too
 * (0600), since each holds an address and a working unsubscribe link.
 */
export async function outboxCarrier(config: Config, dir: string): Promise<Carrier> {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(config.dkim ? { dkim: await dkimOptions(config) } : {}),
  });
  // The outbox shows one run: the files of an earlier one are replaced.
  try {
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    await chmod(path.dirname(dir), 0o700);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
  } catch (err) {
    throw fileError(err, 'OUTPUT', 'make the outbox folder', dir);
  }
  let n = 0;
  return {
    description: dir,
    kind: 'outbox',
    async send(message) {
      const info = await transport.sendMail(message);
      const to = typeof message.to === 'string' ? message.to : (message.to as { address: string }).address;
      const name = outboxFileName(++n, to);
      const temp = path.join(dir, `.${String(n)}.tmp`);
      await writeFile(temp, info.message as Buffer, { mode: 0o600 });
      await rename(temp, path.join(dir, name));
      return { response: `written to ${name}` };
    },
    close() {},
  };
}

export interface CarrierChoice {
  /** Write files to `outboxDir` instead of mailing (`--dry-run`): the only way files are written. */
  dryRun?: boolean | undefined;
  /** The outbox folder of a dry run. */
  outboxDir: string;
}

/** What a carrier's failure means to the person who asked for one message: one line naming the server. */
export function carrierError(err: unknown, via: string): unknown {
  if (err instanceof GazetteError) return err;
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const reply = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if (e.code === 'EAUTH') return new GazetteError('SMTP_AUTH', `${via} refused the login: ${reply}`);
  if (typeof e.responseCode === 'number') return new GazetteError('SMTP_REFUSED', `${via} refused the message: ${reply}`);
  if (e.code) return new GazetteError('SMTP_CONNECT', cannotReach(via, `${reply}${e.code && !reply.includes(e.code) ? ` ${e.code}` : ''}`));
  return err;
}
