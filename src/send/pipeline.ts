import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import type { RenderedEmail } from '../email/index.js';
import { type Classified, classify, composeMessage, type Relay, senderDomain, transferEncoding, type Verdict } from '../mail/index.js';
import type { ClaimKind, Outcome, Recipient } from '../store/index.js';
import { deliveryMessageId, preferencesToken, preferencesUrl, returnPath, unsubscribeToken, unsubscribeUrl } from '../tokens/index.js';
import { drain } from '../util/pool.js';
import { countInProcess, rateSlot } from './pace.js';
import { relayPicker } from './relays.js';
import type { SendStore } from './store.js';

export interface Tally {
  sent: number;
  deferred: number;
  failed: number;
  bounced: number;
  /** Unsubscribed (or delivered by another run) between fetch and send: not mailed. */
  skipped: number;
}

export interface Progress extends Tally {
  /** Subscribers owed the issue when the run started (by the whole campaign, whichever worker sends them). */
  total: number;
  /** Workers sending the campaign, this one included (more than one only on PostgreSQL). */
  workers: number;
  pass: number;
  startedAt: number;
}

export interface SendRun {
  /** What the pipeline reads of the config: the send settings, and what composing a message and its links read. */
  config: Pick<Config, 'file' | 'email' | 'site' | 'server' | 'bounces' | 'send'>;
  /** The ledger (or `readOnlyStore` of it for a dry run). */
  store: SendStore;
  issue: Issue;
  email: RenderedEmail;
  /** The relays, spread by weight (one, or an outbox, in the simple case); the caller closes them. */
  relays: Relay[];
  secret: Buffer;
  /** Set to stop taking new messages; those in flight finish and are recorded. */
  stop: { requested: boolean };
  onProgress?: (p: Progress) => void;
  /** Subscribers owed the issue, if the caller has just counted them (on a long list, counting is a scan). */
  owed?: number;
  /** Waits between retry passes (tests shorten it). */
  sleep?: (ms: number, stop: { requested: boolean }) => Promise<void>;
}

export interface Abort {
  /** `connection`: the server could not be reached or refused the session; `refused`: the login, sender or policy. */
  kind: 'connection' | 'refused';
  reason: string;
}

export interface SendResult extends Progress {
  /** Still owed after the run: deferred, interrupted or never reached. */
  owed: number;
  stopped: boolean;
  /** Recipients refused in a row at the end of the run, left deferred rather than bounced. */
  heldBack: number;
  /** Why the run gave up early, if it did (the server unreachable, a login refused). */
  abort?: Abort;
  /** Every relay left was at its daily limit: the run stopped, and may go on from this time. */
  paused?: Date;
  /** Relays taken out of the run (refused as relays; their messages went to the others). */
  relaysOut: ReadonlyArray<{ name: string; reason: string }>;
}

const BATCH = 500;
/** Looks, a quarter of a second apart, for readers another worker is about to claim, before a worker leaves the rest to its retries. */
const IDLE_LOOKS = 8;
/** Subscribers a worker claims at once when others share the campaign. */
const SHARED_BATCH = 100;
/** After this many connection failures in a row (once something was delivered), stop: the server is down. */
const CIRCUIT_BREAKER = 10;
/** Recipients refused in a row, with nothing delivered in the run, before the run stops: the server refuses everyone. */
const REFUSED_IN_A_ROW = 20;
/** Refusals held at the end of a run that are still bounced: more in a row than this, with no delivery after, stay deferred. */
const FEW_REFUSALS = 5;
/** Longest pause after a connection failure; the pause doubles from half a second. */
const MAX_BACKOFF_MS = 30_000;
/** How long to keep trying a ledger write the database refuses as busy (another writer). */
const LEDGER_PATIENCE_MS = 120_000;

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
  const { config, store, issue, email, relays, secret, stop } = run;
  const sleep = run.sleep ?? defaultSleep;
  await waitingOutBusyDatabase(() => store.recordIssue(issue));
  const total = run.owed ?? (await waitingOutBusyDatabase(() => store.owedCount(issue.key)));
  const progress: Progress = { sent: 0, deferred: 0, failed: 0, bounced: 0, skipped: 0, total, pass: 0, startedAt: Date.now(), workers: 1 };
  let abort: Abort | undefined;
  let paused: Date | undefined;
  // Rates count in the store when several workers share the campaign, else here; daily limits always in the store.
  const count = store.shared ? store.countHit.bind(store) : countInProcess();
  const picker = relayPicker(relays, count, store.quotaSlot.bind(store));
  let connectionFailuresInARow = 0;
  let pauseUntil = 0;
  /** Recipients refused since the last delivered message: bounced only once the server has shown it delivers. */
  let held: Array<{ recipient: Recipient; response: string }> = [];
  const heldIds = new Set<number>();
  const textEncoding = transferEncoding(email.text);
  const domain = senderDomain(config);
  const stopping = () => stop.requested || abort !== undefined || paused !== undefined;
  const leaseMs = config.send.lease * 1000;
  const leaseEnd = () => new Date(Date.now() + leaseMs);
  // Alone, a worker reads its subscribers 500 at a time; sharing the campaign, it claims fewer, so the others find work.
  const batchSize = store.shared ? SHARED_BATCH : BATCH;

  const record = (recipient: Recipient, outcome: Outcome) => waitingOutBusyDatabase(() => store.finishDelivery(issue.key, recipient.id, outcome));
  const bounceHeld = async () => {
    const refused = held;
    held = [];
    heldIds.clear();
    for (const { recipient, response } of refused) {
      await record(recipient, { state: 'failed', response, bounce: true });
      // Counted as deferred when refused (unless a retry pass has reset the count since).
      progress.deferred = Math.max(0, progress.deferred - 1);
      progress.failed++;
      progress.bounced++;
    }
  };

  /** What a failed transaction means for the message and the run (`abort` set when the run must stop). */
  const judge = (c: Classified, relay: Relay): Outcome => {
    const outcome: Outcome = { state: c.verdict === 'message' ? 'failed' : 'deferred', response: c.response, relay: relay.name };
    // Relays taken out before this one, the last, failed too: say so with its reason.
    const before = picker.out.length ? ` (the other relays were taken out: ${picker.out.map((o) => `${o.name}: ${o.reason}`).join('; ')})` : '';
    if (c.verdict === 'fatal') abort ??= { kind: 'refused', reason: `${c.reason ?? c.response}${before}` };
    if (c.verdict === 'connection' || c.verdict === 'dropped') {
      connectionFailuresInARow++;
      // Nothing delivered yet and no session at all: the setup is wrong; say so at once.
      if (c.verdict === 'connection' && progress.sent === 0) abort ??= { kind: 'connection', reason: `${c.reason ?? c.response}${before}` };
      else if (connectionFailuresInARow >= CIRCUIT_BREAKER)
        abort ??= { kind: 'connection', reason: `${CIRCUIT_BREAKER} connection failures in a row; last: ${c.response}${before}` };
      else pauseUntil = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** (connectionFailuresInARow - 1));
    }
    return outcome;
  };

  /** The relay for the next message; none when every one left is at its daily limit (the run pauses). */
  const nextRelay = async (): Promise<Relay | undefined> => {
    const relay = await picker.next();
    if (!relay) paused ??= picker.spent()?.until;
    return relay;
  };

  const deliver = async (recipient: Recipient) => {
    if (Date.now() < pauseUntil) await sleep(pauseUntil - Date.now(), stop);
    if (stopping()) return;
    // The campaign's rate, every worker and relay together.
    if (config.send.rateLimit > 0) await rateSlot(count, `send ${issue.key}`, config.send.rateLimit);
    let relay = stopping() ? undefined : await nextRelay();
    if (!relay) return;
    const id = deliveryMessageId(secret, domain, issue.key, recipient);
    if (!(await waitingOutBusyDatabase(() => store.beginDelivery(issue.key, recipient.id, id)))) {
      progress.skipped++;
      return;
    }
    const message = composeMessage({
      config,
      email,
      to: recipient,
      unsubscribeUrl: unsubscribeUrl(config, unsubscribeToken(secret, recipient)),
      preferencesUrl: preferencesUrl(config, preferencesToken(secret, recipient)),
      returnPath: returnPath(config, secret, recipient, issue.key),
      textEncoding,
      messageId: id,
    });
    let outcome: Outcome;
    let verdict: Verdict | 'sent' = 'sent';
    for (;;) {
      try {
        const info = await relay.carrier.send(message);
        outcome = { state: 'sent', response: info.response, relay: relay.name };
        // Sent, if by another relay than the one that refused it first.
        verdict = 'sent';
        break;
      } catch (err) {
        const c = classify(err);
        verdict = c.verdict;
        // A relay that refuses as a relay (the session, the login, the sender, a policy) did not take the
        // message: it leaves the run, and the message goes to another.
        if ((c.verdict === 'connection' || c.verdict === 'fatal') && picker.othersIn(relay)) {
          picker.takeOut(relay, c.reason ?? c.response);
          const other = await nextRelay();
          if (other) {
            relay = other;
            continue;
          }
          // The others are at their daily limits: this one waits for the next run.
          outcome = { state: 'deferred', response: c.response, relay: relay.name };
          verdict = 'temporary';
          break;
        }
        outcome = judge(c, relay);
        break;
      }
    }
    // The server accepted it: record that whatever else happens (waitingOutBusyDatabase, if the database is busy).
    await record(recipient, outcome);
    progress[outcome.state]++;
    if (verdict === 'sent') {
      connectionFailuresInARow = 0;
      await bounceHeld();
    } else if (verdict === 'recipient') {
      held.push({ recipient, response: outcome.response });
      heldIds.add(recipient.id);
      if (progress.sent === 0 && held.length >= REFUSED_IN_A_ROW) {
        abort ??= {
          kind: 'refused',
          reason: `refused ${held.length} recipients in a row and delivered none (last: ${outcome.response}); that is a refusal of the sender or the session, not ${held.length} dead addresses, so nobody was marked bounced`,
        };
      }
    } else if (verdict !== 'connection' && verdict !== 'dropped') connectionFailuresInARow = 0;
    run.onProgress?.(progress);
  };

  const pass = async (which: ClaimKind) => {
    let batch: Recipient[] = [];
    let index = 0;
    let after = 0;
    let exhausted = false;
    // One fetch at a time (each worker waits for the one before), so workers never race for the same subscriber.
    let fetching: Promise<unknown> = Promise.resolve();
    const take = async (): Promise<Recipient | undefined> => {
      if (stopping()) return undefined;
      if (index >= batch.length) {
        if (exhausted) return undefined;
        batch = await waitingOutBusyDatabase(() => store.claimBatch(issue.key, after, batchSize, which, leaseEnd()));
        index = 0;
        // Alone, a short batch is the last. Sharing the campaign, a claim skips what another worker is claiming at
        // that moment (SKIP LOCKED) and may come back short with more behind it: only an empty one ends the pass.
        exhausted = store.shared ? batch.length === 0 : batch.length < batchSize;
        if (batch.length === 0) return undefined;
        after = batch.at(-1)!.id;
      }
      const recipient = batch[index++]!;
      // A refused recipient waits for the verdict on its refusal, not for a retry.
      return heldIds.has(recipient.id) ? take() : recipient;
    };
    const next = (): Promise<Recipient | undefined> => {
      const taken = fetching.then(take);
      fetching = taken.catch(() => undefined);
      return taken;
    };
    await drain(config.send.maxConnections, next, deliver);
  };

  let heldBack = 0;
  // The lease on this worker's claims, renewed while it works: a killed worker's go back to the others when it runs out.
  const lease = setInterval(() => {
    store.renewClaims(issue.key, leaseEnd()).catch(() => undefined);
  }, leaseMs / 3);
  lease.unref();
  try {
    progress.pass = 1;
    await pass('owed');
    // What other workers of the campaign hold is theirs: wait for them to finish, or for a killed one's lease to run out
    // (then this worker takes what it left).
    let idle = 0;
    while (store.shared && !stopping() && (await waitingOutBusyDatabase(() => store.owedCount(issue.key))) > 0) {
      const others = await waitingOutBusyDatabase(() => store.otherWorkers(issue.key));
      progress.workers = 1 + others;
      if (others > 0) {
        run.onProgress?.(progress);
        await sleep(Math.min(2000, leaseMs / 3), stop);
      }
      // Whatever is free now: what a worker gave back, or held when its lease ran out (the deferred wait for the retry passes).
      const before = progress.sent + progress.failed + progress.deferred + progress.skipped;
      await pass('fresh');
      if (others > 0 || progress.sent + progress.failed + progress.deferred + progress.skipped > before) {
        idle = 0;
        continue;
      }
      // No claim held and nothing free: another worker may be between choosing its readers and claiming them.
      // Look again a few times, then leave what is left (the deferred) to the retry passes.
      if (++idle >= IDLE_LOOKS) break;
      await sleep(250, stop);
    }
    for (let attempt = 1; attempt <= config.send.retryAttempts && !stopping(); attempt++) {
      const deferred = (await waitingOutBusyDatabase(() => store.owedBatch(issue.key, 0, 1, true))).length;
      if (deferred === 0) break;
      await sleep(config.send.retryDelay * 1000 * 2 ** (attempt - 1), stop);
      if (stop.requested) break;
      progress.pass = attempt + 1;
      progress.deferred = 0;
      await pass('deferred');
    }
    // A few refusals after the last delivery are dead addresses; many in a row, with nothing
    // delivered after them, may be the server refusing everyone: those stay deferred.
    if (!abort && progress.sent > 0 && held.length < FEW_REFUSALS) await bounceHeld();
    heldBack = held.length;
  } finally {
    clearInterval(lease);
    await store.releaseClaims(issue.key).catch(() => undefined);
  }
  const owed = await waitingOutBusyDatabase(() => store.owedCount(issue.key));
  return { ...progress, owed, stopped: stop.requested, heldBack, relaysOut: picker.out, ...(abort ? { abort } : {}), ...(paused ? { paused } : {}) };
}

/**
 * Run a store operation, waiting and trying again while SQLite answers
 * that the database is busy (another writer, such as a big import), for
 * up to LEDGER_PATIENCE_MS: an accepted message is recorded as sent even
 * then. Anything else is thrown at once.
 */
async function waitingOutBusyDatabase<T>(operation: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + LEDGER_PATIENCE_MS;
  for (let wait = 25; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await operation();
    } catch (err) {
      if (!RETRIED.has((err as { code?: string }).code ?? '') || Date.now() > giveUp) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Failures another try may mend: SQLite busy with another writer; a
 * PostgreSQL connection lost or refused for the moment (the pool opens a
 * new one), a server shutting down or out of connections, a deadlock or a
 * serialization failure.
 */
const RETRIED = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '53300',
  '40001',
  '40P01',
]);
