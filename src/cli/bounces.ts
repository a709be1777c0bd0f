import { type BounceTally, fetchReports, importReports } from '../bounces/index.js';
import { loadConfig } from '../config/index.js';
import { EXIT, isGazetteError } from '../errors.js';
import { type Io, plural, printWarnings, reportError } from './report.js';

const OUTCOME_WORDS: Record<string, string> = {
  bounced: 'bounced',
  unsubscribed: 'unsubscribed (complaint)',
  counted: 'soft bounce counted',
  unchanged: 'unchanged (auto-replies, delay notices, already so)',
  unmatched: 'ignored (matching no message Gazette sent)',
  forged: 'ignored (a forged envelope address)',
  ambiguous: 'ignored (naming several subscribers)',
  duplicate: 'processed before',
};

/** One line per report that changed someone (or could not be placed), then the totals. */
function printTally(io: Io, tally: BounceTally, others: string): void {
  for (const e of tally.events) {
    const what = e.kind === 'complaint' ? 'complaint' : e.kind === 'none' ? 'notice' : `${e.kind} bounce`;
    if (e.why) io.out(`  ignored a ${what}: ${e.why}`);
    else io.out(`  ${e.email ?? '(no subscriber)'}: ${OUTCOME_WORDS[e.outcome] ?? e.outcome} (${what}${e.by ? `, matched by ${e.by}` : ''})`);
  }
  io.out(`Read ${plural(tally.messages, 'message')}: ${plural(tally.reports, 'report')}, ${plural(tally.others, 'other message')} ${others}.`);
  const parts = Object.entries(tally.outcomes).map(([outcome, n]) => `${n} ${OUTCOME_WORDS[outcome] ?? outcome}`);
  if (parts.length) io.out(`Reports: ${parts.join(', ')}.`);
}

/** `gazette bounces import [FILE…|-]`: reports from files or a pipe. A busy database exits 75, so an MTA tries again later. */
export async function importCommand(files: string[], flags: { config?: string; recipient?: string }, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, 'bounces import', { env });
  printWarnings(io, warnings);
  try {
    const recipients = [flags.recipient, env.ORIGINAL_RECIPIENT, env.RECIPIENT].filter((a): a is string => Boolean(a));
    const tally = await importReports(config, { files, recipients });
    printTally(io, tally, 'ignored');
    return EXIT.ok;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if ((isGazetteError(err) && code === 'DB') || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      reportError(err, io);
      return EXIT.tempfail;
    }
    throw err;
  }
}

/** `gazette bounces fetch`: the IMAP mailbox's unseen messages; reports are moved, the rest left unread. */
export async function fetchCommand(flags: { config?: string }, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, 'bounces fetch', { env });
  printWarnings(io, warnings);
  const tally = await fetchReports(config);
  printTally(io, tally, `left unread in ${tally.mailbox}`);
  if (tally.reports) io.out(`Moved ${plural(tally.reports, 'report')} to ${tally.movedTo}.`);
  return EXIT.ok;
}
