import type { Config } from '../config/index.js';
import { renderConfirmation } from '../email/index.js';
import { composeConfirmation, openCarrier, outboxDir } from '../mail/index.js';
import { openStore, releaseSlot, reserveConfirmation, type SubscriberRow, unaskedPending, unaskedPendingCount } from '../store/index.js';
import { confirmToken, confirmUrl, loadSecret, returnPath } from '../tokens/index.js';
import { drain } from '../util/pool.js';

export interface InviteResult {
  /** Pending subscribers never asked, when the run began. */
  pending: number;
  asked: number;
  failed: number;
  /** Where the confirmations went: an SMTP server, or the outbox folder. */
  via: string;
  kind: 'smtp' | 'outbox';
  /** The author said no: nothing was mailed. */
  declined: boolean;
}

export interface InviteOptions {
  /** Write the confirmations to the outbox (data/outbox/invitations/) instead; nobody is marked asked. */
  dryRun?: boolean | undefined;
  /**
   * Asked once, before anything is mailed, with how many will be and
   * through what; false stops the run. Not asked when there is nobody to ask.
   */
  confirm?: (pending: number, via: string) => Promise<boolean>;
  onProgress?: (asked: number) => void;
}

/**
 * `subscribers invite`: mail a confirmation to every pending subscriber
 * never asked (an imported list asked to opt in), through the send's
 * carrier at its rate limit. Each address is asked once: it is marked just
 * before its message goes, and unmarked if the message fails, so a run that
 * is stopped or fails part-way is resumed by running it again. A dry run
 * writes the messages to files and marks nobody.
 */
export async function invitePending(config: Config, options: InviteOptions = {}): Promise<InviteResult> {
  const secret = loadSecret(config);
  const email = await renderConfirmation(config, 'invite');
  const dryRun = Boolean(options.dryRun);
  const carrier = await openCarrier(config, { dryRun, outboxDir: outboxDir(config, 'invitations') });
  const store = await openStore(config.subscribers.database).catch((err: unknown) => {
    carrier.close();
    throw err;
  });
  const { db } = store;
  const pending = await unaskedPendingCount(db);
  const result: InviteResult = { pending, asked: 0, failed: 0, via: carrier.description, kind: carrier.kind, declined: false };
  try {
    if (pending === 0) return result;
    if (options.confirm && !(await options.confirm(pending, carrier.description))) return { ...result, declined: true };
    let batch: SubscriberRow[] = [];
    let index = 0;
    let after = 0;
    // One fetch at a time, so two workers never take the same reader.
    let fetching: Promise<unknown> = Promise.resolve();
    const take = async (): Promise<SubscriberRow | undefined> => {
      if (index >= batch.length) {
        batch = await unaskedPending(db, after, 500);
        index = 0;
        if (batch.length === 0) return undefined;
        after = batch.at(-1)!.id;
      }
      return batch[index++];
    };
    const next = () => {
      const taken = fetching.then(take);
      fetching = taken.catch(() => undefined);
      return taken;
    };
    await drain(config.send.maxConnections, next, async (row) => {
      const slot = dryRun ? undefined : await reserveConfirmation(db, row.id);
      if (!dryRun && !slot) return;
      try {
        await carrier.send(
          composeConfirmation({
            config,
            email,
            to: row,
            confirmUrl: confirmUrl(config, confirmToken(secret, row)),
            returnPath: returnPath(config, secret, row, undefined),
          }),
        );
        result.asked++;
        options.onProgress?.(result.asked);
      } catch {
        if (slot) await releaseSlot(db, slot);
        result.failed++;
      }
    });
  } finally {
    carrier.close();
    await store.close();
  }
  return result;
}
