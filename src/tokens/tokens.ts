import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { type Config, need, SECRET_ON_POSTGRES } from '../config/index.js';
import { GazetteError } from '../errors.js';

const SECRET_FILE_TEXT = /^[0-9a-f]{64}$/;

/**
 * The key for reader tokens, VERP addresses and Message-IDs: `GAZETTE_SECRET`
 * (checked strong as the config is read), or a random one made on first use
 * and kept beside the database with mode 0600. An empty or damaged file is
 * refused, never used: a weak key would let anyone forge unsubscribe links.
 */
export function loadSecret(config: Pick<Config, 'tokenSecret' | 'subscribers'>): Buffer {
  if (config.tokenSecret) return Buffer.from(config.tokenSecret, 'utf8');
  // Kept beside a SQLite database, readable by its owner only; a list on PostgreSQL has none (need 'secret' says so first).
  const file = config.subscribers.secret;
  if (!file) throw new GazetteError('SECRET', SECRET_ON_POSTGRES);
  const existing = readSecretFile(file);
  if (existing) return existing;
  if (config.subscribers.secretGiven) throw new GazetteError('SECRET', 'GAZETTE_SECRET_FILE names no file (copy gazette.secret there)', { file });
  try {
    return writeSecretFile(file);
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readSecretFile(file)!;
    throw new GazetteError('SECRET', `cannot write the secret: ${(err as Error).message}`, { file });
  }
}

/** The secret in `file`, or undefined when there is no file; a file that is not 64 hex digits is refused. */
function readSecretFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GazetteError('SECRET', `cannot read the secret: ${(err as Error).message}`, { file });
  }
  if (!SECRET_FILE_TEXT.test(text)) {
    throw new GazetteError(
      'SECRET',
      'the unsubscribe secret is empty or damaged (it should be 64 hex digits); restore it from a backup, or delete it to have a new one made (links in mail already sent will then stop working)',
      { file },
    );
  }
  return Buffer.from(text, 'hex');
}

/**
 * Make a new random secret atomically: written and flushed to a temporary
 * file (mode 0600), then linked into place, which fails if another process
 * got there first. A full disk leaves no half-written secret behind.
 */
function writeSecretFile(file: string): Buffer {
  const secret = randomBytes(32);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${secret.toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(temp, 0o600);
    linkSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return secret;
}

/** Whether a MAC given in a token equals the one expected, compared in constant time (the shapes were checked first). */
function sameMac(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function mac(secret: Buffer, id: number, emailKey: string): string {
  return createHmac('sha256', secret).update(`unsubscribe\n${id}\n${emailKey}`).digest('base64url').slice(0, 32);
}

/** Who a token names, looked up by id in the store (on SQLite or PostgreSQL): the MAC is checked against what it returns. */
export type Lookup<S> = (id: number) => S | undefined | Promise<S | undefined>;

/** A subscriber's unsubscribe token: `<id>.<HMAC over id and address>`. */
export function unsubscribeToken(secret: Buffer, subscriber: { id: number; email_key: string }): string {
  return `${subscriber.id}.${mac(secret, subscriber.id, subscriber.email_key)}`;
}

/** The subscriber id a token names, if the token is genuine for that subscriber's address. */
export function verifyToken(secret: Buffer, token: string, lookup: Lookup<{ email_key: string }>): Promise<number | undefined> {
  return readLastingToken(token, lookup, (id, emailKey) => mac(secret, id, emailKey));
}

/** A `<id>.<MAC>` token's subscriber id, when the MAC `macOf` makes for that subscriber's address matches (in constant time). */
async function readLastingToken(
  token: string,
  lookup: Lookup<{ email_key: string }>,
  macOf: (id: number, emailKey: string) => string,
): Promise<number | undefined> {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return undefined;
  const id = Number(m[1]);
  const subscriber = await lookup(id);
  if (!subscriber) return undefined;
  return sameMac(macOf(id, subscriber.email_key), m[2]!) ? id : undefined;
}

function preferencesMac(secret: Buffer, id: number, emailKey: string): string {
  return createHmac('sha256', secret).update(`preferences\n${id}\n${emailKey}`).digest('base64url').slice(0, 32);
}

/**
 * A subscriber's preferences token (the footer's link to choose topics and
 * frequency): `<id>.<HMAC>`, bound to the subscriber, their address and the
 * purpose, so neither an unsubscribe token nor a confirmation's opens the
 * page, nor it theirs. Like the unsubscribe link, it keeps working.
 */
export function preferencesToken(secret: Buffer, subscriber: { id: number; email_key: string }): string {
  return `${subscriber.id}.${preferencesMac(secret, subscriber.id, subscriber.email_key)}`;
}

/** The subscriber id a preferences token names, if it is genuine for that subscriber's address. */
export function verifyPreferencesToken(secret: Buffer, token: string, lookup: Lookup<{ email_key: string }>): Promise<number | undefined> {
  return readLastingToken(token, lookup, (id, emailKey) => preferencesMac(secret, id, emailKey));
}

/** How long a confirmation link works. */
export const CONFIRM_TTL_MS = 7 * 24 * 3600 * 1000;

function confirmMac(secret: Buffer, id: number, emailKey: string, expires: string): string {
  return createHmac('sha256', secret).update(`confirm\n${id}\n${emailKey}\n${expires}`).digest('base64url').slice(0, 32);
}

/**
 * A confirmation token: `<id>.<expiry>.<HMAC>`, bound to the subscriber,
 * their address and the purpose (an unsubscribe token is never accepted
 * for it, nor it for one), and working for 7 days.
 */
export function confirmToken(secret: Buffer, subscriber: { id: number; email_key: string }, now = Date.now()): string {
  const expires = expiryOf(now, CONFIRM_TTL_MS);
  return `${subscriber.id}.${expires}.${confirmMac(secret, subscriber.id, subscriber.email_key, expires)}`;
}

/** The subscriber a confirmation token names, or why it cannot be used. Compared in constant time. */
export function verifyConfirmToken(
  secret: Buffer,
  token: string,
  lookup: Lookup<{ email_key: string }>,
  now = Date.now(),
): Promise<{ id: number } | { problem: 'invalid' | 'expired' }> {
  return readTimedToken(token, lookup, now, 'invalid', (subscriber, id, expires) => confirmMac(secret, id, subscriber.email_key, expires));
}

/** A timed token's expiry, `now` plus `ttl`, in seconds, base 36. */
const expiryOf = (now: number, ttl: number): string => Math.floor((now + ttl) / 1000).toString(36);

/**
 * Read a timed token, `<id>.<expiry>.<HMAC>` (a confirmation's, an undo
 * button's): the subscriber it names when its MAC is the one `expected`
 * makes for them and it has not expired; else why not. A token whose
 * subscriber is gone, or whose MAC is not theirs (`expected` may have
 * none), is `mismatch`.
 */
async function readTimedToken<S>(
  token: string,
  lookup: Lookup<S>,
  now: number,
  mismatch: 'invalid' | 'expired',
  expected: (subscriber: S, id: number, expires: string) => string | undefined,
): Promise<{ id: number } | { problem: 'invalid' | 'expired' }> {
  const m = /^(\d{1,15})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return { problem: 'invalid' };
  const id = Number(m[1]);
  const subscriber = await lookup(id);
  const mac = subscriber === undefined ? undefined : expected(subscriber, id, m[2]!);
  if (mac === undefined || !sameMac(mac, m[3]!)) return { problem: mismatch };
  return Number.parseInt(m[2]!, 36) * 1000 < now ? { problem: 'expired' } : { id };
}

/** How long the button under "You are unsubscribed" can undo it. */
export const UNDO_TTL_MS = 15 * 60_000;

function undoMac(secret: Buffer, id: number, emailKey: string, unsubscribedAt: string, expires: string): string {
  return createHmac('sha256', secret).update(`undo\n${id}\n${emailKey}\n${unsubscribedAt}\n${expires}`).digest('base64url').slice(0, 32);
}

/**
 * The token of the undo button shown right after an unsubscribe:
 * `<id>.<expiry>.<HMAC>`, bound to that very unsubscribe (its time) and
 * working for 15 minutes. A footer link's token cannot undo anything, and
 * this one cannot undo an older or a later unsubscribe.
 */
export function undoToken(secret: Buffer, subscriber: { id: number; email_key: string; unsubscribed_at: string | null }, now = Date.now()): string {
  const expires = expiryOf(now, UNDO_TTL_MS);
  return `${subscriber.id}.${expires}.${undoMac(secret, subscriber.id, subscriber.email_key, subscriber.unsubscribed_at ?? '', expires)}`;
}

/** The subscriber an undo token names, if it still undoes their latest unsubscribe; or why not. Compared in constant time. */
export function verifyUndoToken(
  secret: Buffer,
  token: string,
  lookup: Lookup<{ email_key: string; unsubscribed_at: string | null }>,
  now = Date.now(),
): Promise<{ id: number } | { problem: 'invalid' | 'expired' }> {
  // A token for an earlier unsubscribe of the same reader no longer matches: expired, not forged.
  return readTimedToken(token, lookup, now, 'expired', (subscriber, id, expires) =>
    subscriber.unsubscribed_at ? undoMac(secret, id, subscriber.email_key, subscriber.unsubscribed_at, expires) : undefined,
  );
}

/** A reader's link under `server.public_url`: `<public_url><route>?token=…`. */
function readerLink(config: Pick<Config, 'file' | 'server'>, route: 'confirm' | 'unsubscribe' | 'preferences', token: string): string {
  const url = new URL(route, need(config, 'server.public_url'));
  url.searchParams.set('token', token);
  return url.href;
}

/** The link in a confirmation email. */
export function confirmUrl(config: Pick<Config, 'file' | 'server'>, token: string): string {
  return readerLink(config, 'confirm', token);
}

/** A subscriber's preferences page. */
export function preferencesUrl(config: Pick<Config, 'file' | 'server'>, token: string): string {
  return readerLink(config, 'preferences', token);
}

/** A subscriber's one-click unsubscribe link. */
export function unsubscribeUrl(config: Pick<Config, 'file' | 'server'>, token: string): string {
  return readerLink(config, 'unsubscribe', token);
}

/** The local part's prefix of every envelope sender Gazette makes (`bounces+<token>@domain`). */
const BOUNCE_PREFIX = 'bounces+';

/** A short tag for an issue's send key (a local part is at most 64 octets, a key may be longer). */
export function issueTag(issueKey: string): string {
  return createHash('sha256').update(issueKey).digest('hex').slice(0, 8);
}

/** The tag of a message that is not an issue (a confirmation). */
export const NO_ISSUE_TAG = '0';

function bounceMac(secret: Buffer, id: number, emailKey: string, tag: string): string {
  return createHmac('sha256', secret).update(`bounce\n${id}\n${emailKey}\n${tag}`).digest('hex').slice(0, 20);
}

/**
 * The envelope sender (VERP) of one subscriber's copy of one issue:
 * `bounces+<id>-<issue tag>-<HMAC>@<domain>`, lower case only (some servers
 * change the case of a local part), under 64 octets. A report mailed back
 * to it names the subscriber and the issue, and cannot be forged without
 * the secret.
 */
export function bounceAddress(secret: Buffer, domain: string, subscriber: { id: number; email_key: string }, issueKey: string | undefined): string {
  const tag = issueKey === undefined ? NO_ISSUE_TAG : issueTag(issueKey);
  return `${BOUNCE_PREFIX}${subscriber.id.toString(36)}-${tag}-${bounceMac(secret, subscriber.id, subscriber.email_key, tag)}@${domain}`;
}

const BOUNCE_ADDRESS = /^bounces\+([0-9a-z]{1,11})-([0-9a-f]{8}|0)-([0-9a-f]{20})@[^@\s]+$/i;

/**
 * What a Gazette envelope sender names: the subscriber and the issue's tag
 * (undefined for a confirmation); `forged` when it has the shape but not
 * the signature (or names no subscriber). Compared in constant time.
 */
export async function readBounceAddress(
  secret: Buffer,
  address: string,
  lookup: Lookup<{ email_key: string }>,
): Promise<{ id: number; tag: string | undefined } | 'forged' | undefined> {
  const m = BOUNCE_ADDRESS.exec(address.trim());
  if (!m) return undefined;
  const id = Number.parseInt(m[1]!, 36);
  const subscriber = Number.isSafeInteger(id) ? await lookup(id) : undefined;
  if (!subscriber) return 'forged';
  const tag = m[2]!.toLowerCase();
  if (!sameMac(bounceMac(secret, id, subscriber.email_key, tag), m[3]!.toLowerCase())) return 'forged';
  return { id, tag: tag === NO_ISSUE_TAG ? undefined : tag };
}

/** The envelope sender for a subscriber's message when `[bounces] return_path_domain` is set (VERP); else undefined. */
export function returnPath(
  config: Pick<Config, 'bounces'>,
  secret: Buffer,
  subscriber: { id: number; email_key: string },
  issueKey: string | undefined,
): string | undefined {
  const domain = config.bounces.returnPathDomain;
  return domain ? bounceAddress(secret, domain, subscriber, issueKey) : undefined;
}

function messageIdMac(secret: Buffer, issueKey: string, emailKey: string): string {
  return createHmac('sha256', secret).update(`message-id\n${issueKey}\n${emailKey}`).digest('hex').slice(0, 32);
}

/**
 * The Message-ID of one issue's copy to one subscriber: `<HMAC@domain>`,
 * keyed with the secret, so that nobody else can compute it (a report
 * quoting it can only come back from that message), and the same on every
 * attempt (a retry is recognisably the same message).
 */
export function deliveryMessageId(secret: Buffer, domain: string, issueKey: string, subscriber: { email_key: string }): string {
  return `<${messageIdMac(secret, issueKey, subscriber.email_key)}@${domain}>`;
}

/** Whether `messageId` is the one Gazette made for this issue and subscriber (compared in constant time). */
export function isDeliveryMessageId(secret: Buffer, messageId: string, issueKey: string, subscriber: { email_key: string }): boolean {
  const given = /^<([0-9a-f]{32})@[^<>@\s]+>$/.exec(messageId)?.[1];
  return given !== undefined && sameMac(messageIdMac(secret, issueKey, subscriber.email_key), given);
}
