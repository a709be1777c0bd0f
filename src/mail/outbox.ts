import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/index.js';

/**
 * `gazette send` writes `.eml` files to an outbox when it has no SMTP
 * server or is asked for a dry run. Each holds a subscriber's address and
 * a working unsubscribe link, so the outbox lives beside the subscriber
 * database (readable by its owner only), never in `build.out`, the folder
 * that is uploaded. A module of its own so that `build` need not load the
 * SMTP stack to know the name.
 */
export const OUTBOX = 'outbox';

/** Where one issue's messages (or `confirmations`, `invitations`) are written. */
export function outboxDir(config: Pick<Config, 'subscribers'>, slug: string): string {
  return path.join(config.subscribers.outbox, slug);
}

/** Longest part of an address kept in a file name: the rest is a hash, so any address (254 bytes) makes a short name. */
const NAME_CHARS = 64;

/** `000001-reader@example.org.eml`: the message's number and its recipient, within any file system's name limit. */
export function outboxFileName(n: number, to: string): string {
  const plain = to.replace(/[^A-Za-z0-9@._-]/g, '_');
  const shown = plain.length <= NAME_CHARS ? plain : `${plain.slice(0, NAME_CHARS)}~${createHash('sha256').update(to).digest('hex').slice(0, 12)}`;
  return `${String(n).padStart(6, '0')}-${shown}.eml`;
}
