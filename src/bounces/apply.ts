import {
  applyReport,
  deliveryByMessageId,
  findSubscriber,
  getSubscriber,
  issueKeys,
  latestDelivery,
  type Q,
  type ReportKind,
  type ReportOutcome,
  type ReportTarget,
  reportSeen,
} from '../store/index.js';
import { isDeliveryMessageId, issueTag, readBounceAddress } from '../tokens/index.js';
import type { MailReport, RecipientReport } from './parse.js';

/**
 * A report from any way in (a mailbox, a pipe, a provider's webhook), as
 * the matcher reads it: who it may be about and what it says.
 */
export interface Evidence {
  /** The report's identity: the same report twice changes nothing. */
  id: string;
  /** `mail`, `ses`, `postmark`, `mailgun`. */
  source: string;
  at: Date;
  /** Envelope addresses the report names (where it was delivered; the original's envelope sender). */
  envelope: string[];
  /** The original message's Message-ID. */
  messageId?: string | undefined;
  recipients: RecipientReport[];
  /**
   * Whether it comes from a provider whose signature (or basic auth) was
   * checked, which may name a recipient by address alone; a report mailed
   * in may come from anyone, and is believed only for what Gazette signed.
   */
  authenticated?: boolean;
}

export interface Applied {
  kind: ReportKind;
  outcome: ReportOutcome;
  /** The subscriber's address, when one matched. */
  email?: string;
  /** How it was matched. */
  by?: 'envelope' | 'message-id' | 'recipient';
  /** Why it changed nobody (unmatched, forged, ambiguous). */
  why?: string;
}

export interface ApplyContext {
  db: Q;
  secret: Buffer;
  /** `[bounces] soft_limit`. */
  softLimit: number;
}

/** A mail report as evidence. */
export function mailEvidence(report: MailReport): Evidence {
  return {
    id: report.id,
    source: 'mail',
    at: report.at,
    envelope: [...report.deliveredTo, ...(report.original.returnPath ? [report.original.returnPath] : [])],
    messageId: report.original.messageId,
    recipients: report.recipients,
  };
}

const RANK: Record<ReportKind, number> = { complaint: 3, hard: 2, soft: 1, none: 0 };

/** Why a report changed nobody, as `bounces import` says it. */
const IGNORED = {
  forged: 'its return address has the shape of a Gazette (VERP) address but not its signature',
  unsigned:
    'it names no message Gazette sent: no signed return address (VERP) and no Message-ID Gazette made; a report anyone could have written changes nobody',
  legacy:
    'it quotes the Message-ID of a message sent by a Gazette before 0.3, which anyone could compute; only a signed return address (VERP) is believed for those',
  unmatched: 'no subscriber was sent the message it is about',
  ambiguous: 'it names several subscribers, and nothing says which one it is about',
} as const;

/**
 * Match a report to one delivery and apply it. Trust comes only from what
 * Gazette made: the signed VERP envelope address (a forged one stops here:
 * nothing changes), or the Message-ID of a delivery in the ledger, keyed
 * with the secret; and the report then applies to that message's
 * recipient alone. A provider's webhook, whose signature was checked, may
 * also name a recipient by address, for a subscriber Gazette has mailed.
 * A report changes one subscriber at most: one that names several, with
 * nothing to say which, changes nobody.
 */
export async function applyEvidence(ctx: ApplyContext, evidence: Evidence): Promise<Applied> {
  const { db } = ctx;
  const worst = [...evidence.recipients].sort((a, b) => RANK[b.kind] - RANK[a.kind])[0] ?? { kind: 'none' as const };
  const record = (entry: RecipientReport, target: ReportTarget | undefined, unmatched?: ReportOutcome) =>
    applyReport(
      db,
      { id: reportId(evidence, entry), source: evidence.source, kind: entry.kind, status: entry.status, diagnostic: entry.diagnostic, at: evidence.at },
      target,
      ctx.softLimit,
      unmatched,
    );
  const ignored = async (outcome: ReportOutcome, why: string): Promise<Applied> => ({
    kind: worst.kind,
    outcome: await record(worst, undefined, outcome),
    why,
  });
  if (await reportSeen(db, reportId(evidence, worst))) return { kind: worst.kind, outcome: 'duplicate' };

  let target: ReportTarget | undefined;
  let by: Applied['by'];
  let why: string = IGNORED.unsigned;
  for (const address of evidence.envelope) {
    const named = await readBounceAddress(ctx.secret, address, (id) => getSubscriber(db, id));
    if (named === 'forged') return ignored('forged', IGNORED.forged);
    if (named) {
      target = { subscriberId: named.id, issue: named.tag ? (await issueKeys(db)).find((key) => issueTag(key) === named.tag) : undefined };
      by = 'envelope';
      break;
    }
  }
  if (!target && evidence.messageId) {
    const delivery = await deliveryByMessageId(db, evidence.messageId);
    const row = delivery && (await getSubscriber(db, delivery.subscriberId));
    if (delivery?.issue && row && isDeliveryMessageId(ctx.secret, evidence.messageId, delivery.issue, row)) {
      target = delivery;
      by = 'message-id';
    } else if (delivery) why = IGNORED.legacy;
  }
  if (!target && evidence.authenticated) {
    why = IGNORED.unmatched;
    const named = new Map<number, string>();
    for (const entry of evidence.recipients) {
      const row = entry.address ? await findSubscriber(db, entry.address) : undefined;
      if (row) named.set(row.id, row.email);
    }
    if (named.size > 1) return ignored('ambiguous', IGNORED.ambiguous);
    const [only] = [...named.keys()];
    // Only a subscriber Gazette has mailed: a provider reports on the messages it carried.
    const issue = only === undefined ? undefined : await latestDelivery(db, only, evidence.at);
    if (only !== undefined && issue !== undefined) {
      target = { subscriberId: only, issue };
      by = 'recipient';
    }
  }
  if (!target) return ignored('unmatched', why);
  const row = (await getSubscriber(db, target.subscriberId))!;
  // The entry about this subscriber's address; else (forwarded mail, a rewritten address) the worst.
  const entry = evidence.recipients.find((r) => r.address === row.email_key) ?? worst;
  return { kind: entry.kind, outcome: await record(entry, target), email: row.email, ...(by ? { by } : {}) };
}

/** One report's identity, per recipient entry (a DSN may carry several). */
function reportId(evidence: Evidence, entry: RecipientReport): string {
  return entry.address ? `${evidence.id}#${entry.address}` : evidence.id;
}
