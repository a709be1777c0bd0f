import type { Config } from '../config/index.js';
import { createIssueCache, type Issue, loadIssues } from '../content/index.js';
import { type Audience, ledger, openStore, sentIssueKeys } from '../store/index.js';
import { audienceOf, sendable } from './campaign.js';
import { audienceOfRollup, rollupsOf } from './rollup.js';

export interface PendingSends {
  /** What `send --pending` mails now, oldest first: the last issue sent while anyone is still owed it, then every newer one. */
  issues: Issue[];
  /** The same for the weekly roll-ups (complete weeks), by their ISO week. */
  rollups: string[];
  /** Published issues held back by `send_at`, or dated in the future, with when they may go. */
  waiting: Array<{ issue: Issue; at: Date }>;
  /** The newest issue this list was sent, if any. */
  lastSent?: Issue;
}

/**
 * What `send --pending` would mail now: on a list that was sent an issue,
 * the last one sent (if anyone is still owed it) and every sendable issue
 * newer than it, oldest first; on a list never sent anything, the newest
 * sendable issue only (never the archive). Drafts are never pending.
 */
export async function pendingSends(config: Config, now = new Date()): Promise<PendingSends> {
  const all = (await loadIssues(config, { cache: createIssueCache(config), drafts: false, future: true })).issues;
  const oldestFirst = [...all].sort((a, b) => a.date.getTime() - b.date.getTime());
  const ready = oldestFirst.filter((i) => sendable(i, now));
  const waiting = oldestFirst
    .filter((i) => !sendable(i, now))
    .map((issue) => ({ issue, at: new Date(Math.max(issue.date.getTime(), issue.sendAt?.getTime() ?? 0)) }));
  const store = await openStore(config.subscribers.database);
  try {
    const sent = await sentIssueKeys(store.db);
    const owedStill = (key: string, audience: Audience) =>
      ledger(store!.db, '', audience)
        .owedCount(key)
        .then((n) => n > 0);
    // The weekly roll-ups follow the same rule, each complete week counted published when it ends.
    const weeks = [...(await rollupsOf(config, now))].reverse();
    const lastWeek = [...weeks].reverse().find((r) => sent.has(r.key));
    const rollups = !lastWeek
      ? weeks.slice(-1)
      : [
          ...((await owedStill(lastWeek.key, audienceOfRollup(lastWeek, config))) ? [lastWeek] : []),
          ...weeks.filter((r) => r.start > lastWeek.start && !sent.has(r.key)),
        ];
    const weekNames = rollups.map((r) => r.week);
    const lastSent = [...ready].reverse().find((i) => sent.has(i.key));
    if (!lastSent) return { issues: ready.slice(-1), rollups: weekNames, waiting };
    const newer = ready.filter((i) => i.date > lastSent.date && !sent.has(i.key));
    const unfinished = await owedStill(lastSent.key, audienceOf(lastSent, config));
    return { issues: [...(unfinished ? [lastSent] : []), ...newer], rollups: weekNames, waiting, lastSent };
  } finally {
    await store.close();
  }
}
