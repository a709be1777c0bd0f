import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import type { RenderedEmail } from '../email/index.js';
import type { Outcome, Recipient } from '../store/index.js';
import { drain } from '../util/pool.js';
import type { Carrier } from './carrier.js';
import { composeMessage, messageId, transferEncoding } from './compose.js';
import type { SendStore } from './store.js';
import { unsubscribeToken, unsubscribeUrl } from './tokens.js';

export interface Tally {
  sent: number;
  deferred: number;
  failed: number;
  bounced: number;
  /** Unsubscribed (or delivered by another run) between fetch and send: not mailed. */
  skipped: number;
}

export interface Progress extends Tally {
  /** Subscribers owed the issue when the run started. */
  total: number;
  pass: number;
  startedAt: number;
}

export interface SendRun {
  config: Config;
  /** The ledger (or `readOnlyStore` of it for a dry run). */
  store: SendStore;
  issue: Issue;
  email: RenderedEmail;
  carrier: Carrier;
  secret: Buffer;
  /** Set to stop taking new messages; those in flight finish and are recorded. */
  stop: { requested: boolean };
  onProgress?: (p: Progress) => void;
  /** Waits between retry passes (tests shorten it). */
  sleep?: (ms: number, stop: { requested: boolean }) => Promise<void>;
}

export interface SendResult extends Progress {
  /** Still owed after the run: deferred, interrupted or never reached. */
  owed: number;
  stopped: boolean;
  /** Why the run gave up early, if it did (the server unreachable, a login refused). */
  abort?: string;
}

const BATCH = 500;
/** After this many connection-level failures in a row, stop: the server is down, not the subscribers. */
const CIRCUIT_BREAKER = 25;

export interface Classified extends Outcome {
  /** No SMTP reply at all: the connection failed. */
  connection: boolean;
  /** Not about this subscriber (the login, the sender, the server): stop the run. */
  fatal?: string;
}

/** What an SMTP error means for the ledger. */
export function classify(err: unknown): Classified {
  const e = err as { responseCode?: number; command?: string; code?: string; response?: string; message?: string };
  const response = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = e.command ?? '';
  if (e.code === 'EAUTH') return { state: 'deferred', response, connection: false, fatal: `the SMTP server refused the login: ${response}` };
  if (code !== undefined && code >= 500) {
    // A 5xx for the recipient: the address is dead; the subscriber bounced.
    if (/RCPT/i.test(command) || /recipients were rejected/i.test(e.message ?? '')) return { state: 'failed', response, bounce: true, connection: false };
    // A 5xx for this message's content: this delivery failed.
    if (/DATA|^\.$/i.test(command)) return { state: 'failed', response, connection: false };
    // A 5xx for the sender or the session fails every message alike: nobody's fault but the setup's.
    return {
      state: 'deferred',
      response,
      connection: false,
      fatal: `the SMTP server refused ${/MAIL/i.test(command) ? 'the sender' : 'the session'}: ${response}`,
    };
  }
  // 4xx, and everything without a reply (dropped connections, timeouts): try again later.
  return { state: 'deferred', response, connection: code === undefined };
}

const defaultSleep = (ms: number, stop: { requested: boolean }) =>
  new Promise<void>((resolve) => {
    const end = Date.now() + ms;
    const tick = () => (stop.requested || Date.now() >= end ? resolve() : setTimeout(tick, Math.min(200, end - Date.now())));
    tick();
  });

/**
 * Send one issue to everyone still owed it: a pipeline over the ledger.
 * `max_connections` workers each take the next subscriber, record the
 * attempt, send, and record the outcome; a failure is recorded, never fatal
 * to the run. Deferred messages get `retry_attempts` more passes, with
 * backoff.
 */
export async function sendIssue(run: SendRun): Promise<SendResult> {
  const { config, store, issue, email, carrier, secret, stop } = run;
  const sleep = run.sleep ?? defaultSleep;
  store.recordIssue(issue);
  const progress: Progress = { sent: 0, deferred: 0, failed: 0, bounced: 0, skipped: 0, total: store.owedCount(issue.key), pass: 0, startedAt: Date.now() };
  let abort: string | undefined;
  let connectionFailuresInARow = 0;
  const textEncoding = transferEncoding(email.text);

  const deliver = async (recipient: Recipient) => {
    const id = messageId(config, issue, recipient.email);
    if (!store.beginDelivery(issue.key, recipient.id, id)) {
      progress.skipped++;
      return;
    }
    const message = composeMessage({
      config,
      issue,
      email,
      to: recipient,
      unsubscribeUrl: unsubscribeUrl(config, unsubscribeToken(secret, recipient)),
      textEncoding,
    });
    let outcome: Outcome;
    try {
      const info = await carrier.send(message);
      outcome = { state: 'sent', response: info.response };
      connectionFailuresInARow = 0;
    } catch (err) {
      const c = classify(err);
      outcome = { state: c.state, response: c.response, ...(c.bounce ? { bounce: true } : {}) };
      connectionFailuresInARow = c.connection ? connectionFailuresInARow + 1 : 0;
      if (c.fatal) abort = c.fatal;
      else if (connectionFailuresInARow >= CIRCUIT_BREAKER) abort = `${CIRCUIT_BREAKER} connection failures in a row; last: ${c.response}`;
    }
    store.finishDelivery(issue.key, recipient.id, outcome);
    progress[outcome.state]++;
    if (outcome.bounce) progress.bounced++;
    run.onProgress?.(progress);
  };

  const pass = async (retry: boolean) => {
    let batch: Recipient[] = [];
    let index = 0;
    let after = 0;
    let exhausted = false;
    // Synchronous (better-sqlite3), so workers never race for the same subscriber.
    const next = (): Recipient | undefined => {
      if (stop.requested || abort) return undefined;
      if (index >= batch.length) {
        if (exhausted) return undefined;
        batch = store.owedBatch(issue.key, after, BATCH, retry);
        index = 0;
        exhausted = batch.length < BATCH;
        if (batch.length === 0) return undefined;
        after = batch.at(-1)!.id;
      }
      return batch[index++];
    };
    await drain(config.send.maxConnections, next, deliver);
  };

  try {
    progress.pass = 1;
    await pass(false);
    for (let attempt = 1; attempt <= config.send.retryAttempts && !stop.requested && !abort; attempt++) {
      const deferred = store.owedBatch(issue.key, 0, 1, true).length;
      if (deferred === 0) break;
      await sleep(config.send.retryDelay * 1000 * 2 ** (attempt - 1), stop);
      if (stop.requested) break;
      progress.pass = attempt + 1;
      progress.deferred = 0;
      await pass(true);
    }
  } finally {
    carrier.close();
  }
  const owed = store.owedCount(issue.key);
  return { ...progress, owed, stopped: stop.requested, ...(abort ? { abort } : {}) };
}
