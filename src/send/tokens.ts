import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';

/** Where the generated secret is kept: beside the database, readable by its owner only. */
export function secretFile(config: Config): string {
  return path.join(path.dirname(config.subscribers.database), 'gazette.secret');
}

/**
 * The key for unsubscribe tokens: `GAZETTE_SECRET`, or a random one made on
 * first use and kept beside the database with mode 0600.
 */
export function loadSecret(config: Config, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (env.GAZETTE_SECRET) {
    if (env.GAZETTE_SECRET.length < 16) throw new GazetteError('SECRET', 'GAZETTE_SECRET is too short: use at least 16 random characters');
    return Buffer.from(env.GAZETTE_SECRET, 'utf8');
  }
  const file = secretFile(config);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new GazetteError('SECRET', `cannot read the secret: ${(err as Error).message}`, { file });
    }
  }
  const secret = randomBytes(32);
  try {
    writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    throw new GazetteError('SECRET', `cannot write the secret: ${(err as Error).message}`, { file });
  }
  return secret;
}

function mac(secret: Buffer, id: number, emailKey: string): string {
  return createHmac('sha256', secret).update(`unsubscribe\n${id}\n${emailKey}`).digest('base64url').slice(0, 32);
}

/** A subscriber's unsubscribe token: `<id>.<HMAC over id and address>`. */
export function unsubscribeToken(secret: Buffer, subscriber: { id: number; email_key: string }): string {
  return `${subscriber.id}.${mac(secret, subscriber.id, subscriber.email_key)}`;
}

/** The subscriber id a token names, if the token is genuine for that subscriber's address. */
export function verifyToken(secret: Buffer, token: string, lookup: (id: number) => { email_key: string } | undefined): number | undefined {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m) return undefined;
  const id = Number(m[1]);
  const subscriber = lookup(id);
  if (!subscriber) return undefined;
  const expected = Buffer.from(mac(secret, id, subscriber.email_key));
  const given = Buffer.from(m[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : undefined;
}

export function unsubscribeUrl(config: Config, token: string): string {
  if (!config.server.publicUrl)
    throw new GazetteError('CONFIG', 'server.public_url is not set: one-click unsubscribe links point there (set [server] public_url in gazette.toml)');
  const url = new URL('unsubscribe', config.server.publicUrl);
  url.searchParams.set('token', token);
  return url.href;
}
