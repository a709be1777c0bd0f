import type { DatabaseLocation } from '../config/index.js';
import { percent } from '../util/text.js';
import { openStore } from './connect.js';
import { deliveryStatus, type IssueStatus } from './ledger.js';
import { type ListHealth, listHealth } from './reports.js';

/** Above these rates, mailbox providers start to throttle and block a sender (Gmail asks bulk senders for under 0.3% complaints). */
export const HEALTH_LIMITS = { complaintRate: 0.001, hardRate: 0.02 } as const;

/** Delivery and report figures per issue sent, and the list's health, from the ledger alone (no content is read). */
export async function sendStatus(database: DatabaseLocation, slug?: string): Promise<{ issues: IssueStatus[]; list: ListHealth; warnings: string[] }> {
  const store = await openStore(database);
  try {
    const issues = await deliveryStatus(store.db, slug);
    const warnings: string[] = [];
    for (const i of issues) {
      if (i.complaintRate > HEALTH_LIMITS.complaintRate) {
        warnings.push(
          `“${i.title}” (${i.slug}): complaint rate ${percent(i.complaintRate)} is over ${percent(HEALTH_LIMITS.complaintRate)}; mailbox providers block senders near 0.3% (check that every subscriber opted in, and that unsubscribing is easy)`,
        );
      }
      if (i.hardRate > HEALTH_LIMITS.hardRate) {
        warnings.push(
          `“${i.title}” (${i.slug}): hard-bounce rate ${percent(i.hardRate)} is over ${percent(HEALTH_LIMITS.hardRate)}; an old or bought list hurts deliverability (those addresses are now marked bounced)`,
        );
      }
    }
    return { issues, list: await listHealth(store.db), warnings };
  } finally {
    await store.close();
  }
}
