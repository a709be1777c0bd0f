import { loadConfig } from '../config/index.js';
import { EXIT, GazetteError } from '../errors.js';
import { pendingSends } from '../send/index.js';
import { sendStatus } from '../store/index.js';
import { percent } from '../util/text.js';
import { rfc3339 } from '../util/time.js';
import { type Io, printWarnings } from './report.js';
import { alignedTable } from './table.js';

/** `gazette status`: per issue, deliveries, bounces, complaints and their rates; then the list's health. */
export async function statusCommand(
  flags: { config?: string; issue?: string; json?: boolean; tsv?: boolean },
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (flags.json && flags.tsv) throw new GazetteError('USAGE', 'use --json or --tsv, not both');
  const { config, warnings } = await loadConfig(flags.config, 'status', { env });
  printWarnings(io, warnings);
  const { issues, list, warnings: health } = await sendStatus(config.subscribers.database, flags.issue);
  // What `send --pending` would mail now, and what waits for its time (send_at, a future date). The ledger's
  // figures stand without it: an issue file that cannot be read is a warning here, not a failure.
  const plan = await pendingSends(config).catch((err: unknown) => {
    io.err(`warning: cannot tell what is pending: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  });
  const when = (at: Date) => rfc3339(at, config.site.timezone);
  const pending = plan?.issues.map((i) => ({ slug: i.slug, title: i.title })) ?? [];
  const waiting = plan?.waiting.map((w) => ({ slug: w.issue.slug, title: w.issue.title, at: when(w.at) })) ?? [];
  if (issues.length === 0 && flags.issue) {
    throw new GazetteError('NO_ISSUE', `no issue with the slug ${JSON.stringify(flags.issue)} has been sent (gazette status lists those that have)`);
  }
  if (flags.json) {
    io.out(JSON.stringify({ issues, list, pending, waiting, warnings: health }, null, 2));
    return EXIT.ok;
  }
  if (issues.length === 0) io.out('No issue has been sent yet.');
  else {
    const header = [
      'issue',
      'sent',
      'delivered',
      'hard',
      'soft',
      'complaints',
      'hard rate',
      'complaint rate',
      'deferred',
      'failed',
      'in flight',
      'owed',
      'title',
    ];
    const rows = issues.map((r) =>
      [
        r.slug,
        r.sent,
        r.delivered,
        r.hard,
        r.soft,
        r.complaints,
        percent(r.hardRate),
        percent(r.complaintRate),
        r.deferred,
        r.failed,
        r.sending,
        r.owed,
        r.title,
      ].map(String),
    );
    // A person at a terminal gets columns that line up; a pipe or a file, tab-separated values (or --json).
    const table = io.terminal && !flags.tsv ? alignedTable(header, rows, [false, ...Array(11).fill(true), false]) : [header, ...rows].map((r) => r.join('\t'));
    for (const line of table) io.out(line);
    // Sent by several workers (a list on PostgreSQL): who sent how much.
    for (const r of issues) {
      const senders = Object.entries(r.senders);
      if (senders.length > 1) io.out(`${r.slug} was sent by ${senders.length} workers: ${senders.map(([worker, n]) => `${worker} ${n}`).join(', ')}`);
      const relays = Object.entries(r.relays);
      if (relays.length > 1) io.out(`${r.slug} went through ${relays.length} relays: ${relays.map(([relay, n]) => `${relay} ${n}`).join(', ')}`);
    }
  }
  for (const p of pending) io.out(`Pending: “${p.title}” (${p.slug}) goes with the next \`gazette send --pending\`.`);
  for (const w of waiting) io.out(`Waiting: “${w.title}” (${w.slug}) until ${w.at}.`);
  const recent = Object.entries(list.recent)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  io.out(
    `${issues.length ? '\n' : ''}List: ${list.subscribed} subscribed, ${list.pending} pending, ${list.bounced} bounced, ${list.unsubscribed} unsubscribed (${list.complained} by complaint). Reports in the last 30 days: ${recent || 'none'}.`,
  );
  printWarnings(io, health);
  return EXIT.ok;
}
