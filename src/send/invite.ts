import type { Config } from '../config/index.js';
import { renderConfirmation } from '../email/index.js';
import { openDatabase, releaseSlot, reserveConfirmation, type SubscriberRow, unaskedPending } from '../store/index.js';
import { drain } from '../util/pool.js';
import { openCarrier } from './carrier.js';
import { composeConfirmation } from './compose.js';
import { outboxDir } from './outbox.js';
import { confirmToken, confirmUrl, loadSecret, returnPath } from './tokens.js';

export interface InviteResult {
  asked: number;
  failed: number;
  /** Where the confirmations went: an SMTP server, or the outbox folder. */
  via: string;
  kind: 'smtp' | 'outbox';
}

/**
 * `subscribers invite`: mail a confirmation to every pending subscriber
 * never asked (an imported list asked to opt in), through the send's
 * carrier at its rate limit. Each address is asked once: it is marked just
 * before its message goes, and unmarked if the message fails, so a run that
 * is stopped or fails part-way is resumed by running it again.
 */
export async function invitePending(config: Config, env: NodeJS.ProcessEnv, onProgress?: (asked: number) => void): Promise<InviteResult> {
  const secret = loadSecret(config, env);
  const email = await renderConfirmation(config);
  const db = openDatabase(config.subscribers.database);
  const carrier = await openCarrier(config, env, { outboxDir: outboxDir(config, 'invitations') });
  let asked = 0;
  let failed = 0;
  try {
    let batch: SubscriberRow[] = [];
    let index = 0;
    let after = 0;
    const next = (): SubscriberRow | undefined => {
      if (index >= batch.length) {
        batch = unaskedPending(db, after, 500);
        index = 0;
        if (batch.length === 0) return undefined;
        after = batch.at(-1)!.id;
      }
      return batch[index++];
    };
    await drain(config.send.maxConnections, next, async (row) => {
      const slot = reserveConfirmation(db, row.id);
      if (!slot) return;
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
        asked++;
        onProgress?.(asked);
      } catch {
        releaseSlot(db, slot);
        failed++;
      }
    });
  } finally {
    carrier.close();
    db.close();
  }
  return { asked, failed, via: carrier.description, kind: carrier.kind };
}
