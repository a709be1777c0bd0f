import { issueTag, looksLikeBounceAddress, readBounceAddress } from '../send/index.js';
import {
  applyReport,
  type Db,
  deliveryByMessageId,
  findSubscriber,
  getSubscriber,
  issueKeys,
  latestDelivery,
  type ReportKind,
  type ReportOutcome,
  type ReportTarget,
  reportSeen,
} from '../store/index.js';
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
}

export interface Applied {
  kind: ReportKind;
  outcome: ReportOutcome;
  /** The subscriber's address, when one matched. */
  email?: string;
  /** How it was matched. */
  by?: 'envelope' | 'message-id' | 'recipient';
}

export interface ApplyContext {
  db: Db;
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

/**
 * Match a report to one delivery and apply it. Matched, in this order, by
 * the VERP envelope address (a forged one stops here: nothing changes), by
 * the original Message-ID in the ledger, and by the failed recipient named
 * in the report's fields. A report changes one subscriber at most: one
 * that names several, with nothing to say which, changes nobody.
 */
export function applyEvidence(ctx: ApplyContext, evidence: Evidence): Applied {
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
  if (reportSeen(db, reportId(evidence, worst))) return { kind: worst.kind, outcome: 'duplicate' };

  let target: ReportTarget | undefined;
  let by: Applied['by'];
  for (const address of evidence.envelope.filter(looksLikeBounceAddress)) {
    const named = readBounceAddress(ctx.secret, address, (id) => getSubscriber(db, id));
    if (named === 'forged') return { kind: worst.kind, outcome: record(worst, undefined, 'forged') };
    if (named) {
      target = { subscriberId: named.id, issue: named.tag ? issueKeys(db).find((key) => issueTag(key) === named.tag) : undefined };
      by = 'envelope';
      break;
    }
  }
  if (!target && evidence.messageId) {
    target = deliveryByMessageId(db, evidence.messageId);
    if (target) by = 'message-id';
  }
  if (!target) {
    const named = new Map<number, string>();
    for (const entry of evidence.recipients) {
      const row = entry.address ? findSubscriber(db, entry.address) : undefined;
      if (row) named.set(row.id, row.email);
    }
    if (named.size > 1) return { kind: worst.kind, outcome: record(worst, undefined, 'ambiguous') };
    const [only] = [...named.keys()];
    if (only !== undefined) {
      target = { subscriberId: only, issue: latestDelivery(db, only, evidence.at) };
      by = 'recipient';
    }
  }
  if (!target) return { kind: worst.kind, outcome: record(worst, undefined) };
  const row = getSubscriber(db, target.subscriberId)!;
  // The entry about this subscriber's address; else (forwarded mail, a rewritten address) the worst.
  const entry = evidence.recipients.find((r) => r.address === row.email_key) ?? worst;
  return { kind: entry.kind, outcome: record(entry, target), email: row.email, ...(by ? { by } : {}) };
}

/** One report's identity, per recipient entry (a DSN may carry several). */
function reportId(evidence: Evidence, entry: RecipientReport): string {
  return entry.address ? `${evidence.id}#${entry.address}` : evidence.id;
}
