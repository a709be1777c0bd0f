import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Config } from '../config/index.js';
import { fileError, GazetteError } from '../errors.js';
import { openStore, type ReportKind, type ReportOutcome } from '../store/index.js';
import { loadSecret } from '../tokens/index.js';
import { type Applied, type ApplyContext, applyEvidence, mailEvidence } from './apply.js';
import { isMbox, mboxMessages } from './mbox.js';
import { MAX_REPORT_BYTES, parseReport } from './parse.js';

/** What a batch of messages did, for the author. */
export interface BounceTally {
  /** Messages read. */
  messages: number;
  /** Of those, reports (DSNs, complaints, failure notices, auto-replies). */
  reports: number;
  /** Messages that are not reports: left alone. */
  others: number;
  /** Reports by what they did. */
  outcomes: Partial<Record<ReportOutcome, number>>;
  /** Reports by what they said. */
  kinds: Partial<Record<ReportKind, number>>;
  /** Each report that changed a subscriber, or could not be matched. */
  events: Array<Applied & { source: string }>;
}

export const emptyTally = (): BounceTally => ({ messages: 0, reports: 0, others: 0, outcomes: {}, kinds: {}, events: [] });

/** Count one report's result into a tally. */
export function tallyApplied(tally: BounceTally, applied: Applied, source: string): void {
  tally.reports++;
  tally.outcomes[applied.outcome] = (tally.outcomes[applied.outcome] ?? 0) + 1;
  tally.kinds[applied.kind] = (tally.kinds[applied.kind] ?? 0) + 1;
  if (applied.outcome !== 'unchanged' && applied.outcome !== 'duplicate') tally.events.push({ ...applied, source });
}

/** The database and the secret a batch of reports is matched with; `close` when done. */
export async function openReportContext(config: Config): Promise<ApplyContext & { close(): Promise<void> }> {
  const secret = loadSecret(config);
  const store = await openStore(config.subscribers.database);
  return { db: store.db, secret, softLimit: config.bounces.softLimit, close: () => store.close() };
}

/**
 * Read one message and apply it if it is a report. Undefined for a
 * message that is not a report (it must be left alone).
 */
export async function processMessage(ctx: ApplyContext, raw: Buffer, deliveredTo: string[] = []): Promise<Applied | undefined> {
  const report = await parseReport(raw, { deliveredTo });
  return report ? applyEvidence(ctx, mailEvidence(report)) : undefined;
}

export interface ImportOptions {
  /** Files to read (`.eml` or mbox); `-` or none: standard input. */
  files: string[];
  /**
   * The envelope recipients an MTA delivered the message to: `--recipient`,
   * then the `ORIGINAL_RECIPIENT` and `RECIPIENT` Postfix's pipe sets.
   */
  recipients?: string[];
  /** Standard input (tests pass their own). */
  stdin?: AsyncIterable<Buffer | string>;
}

/**
 * `gazette bounces import`: every message in the files (or on standard
 * input), each an `.eml` or an mbox of many, processed in order.
 */
export async function importReports(config: Config, options: ImportOptions): Promise<BounceTally> {
  const files = options.files.length ? options.files : ['-'];
  // Check every file can be read before anything is applied.
  for (const file of files) if (file !== '-') await checkReadable(file);
  const given = (options.recipients ?? []).filter(Boolean);
  const ctx = await openReportContext(config);
  const tally = emptyTally();
  try {
    for (const file of files) {
      const input = file === '-' ? (options.stdin ?? process.stdin) : createReadStream(file);
      try {
        for await (const raw of messagesOf(input)) {
          tally.messages++;
          const applied = await processMessage(ctx, raw, given);
          if (applied) tallyApplied(tally, applied, 'mail');
          else tally.others++;
        }
      } catch (err) {
        // A database's own failure is no fault of the file's.
        if (err instanceof GazetteError || !isFileError(err)) throw err;
        throw fileError(err, 'INPUT', 'read the reports', file === '-' ? 'standard input' : file);
      }
    }
  } finally {
    await ctx.close();
  }
  return tally;
}

/** One message, or each message of an mbox (told by its first line); a message over the size limit is skipped whole. */
async function* messagesOf(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  const rest: AsyncIterable<Buffer | string> = {
    [Symbol.asyncIterator]: () => ({ next: () => iterator.next(), return: async () => ({ done: true, value: undefined }) }),
  };
  const all = (async function* () {
    yield head;
    yield* rest;
  })();
  if (isMbox(head)) {
    yield* mboxMessages(all, MAX_REPORT_BYTES);
    return;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of all) {
    size += chunk.length;
    if (size <= MAX_REPORT_BYTES) parts.push(Buffer.from(chunk));
  }
  // Too big to be a report: counted as a message that is not one (an empty one is none either).
  yield size <= MAX_REPORT_BYTES ? Buffer.concat(parts) : Buffer.alloc(0);
}

async function checkReadable(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new GazetteError('INPUT', 'is a folder; name the .eml or mbox files in it', { file });
    await (await open(file, 'r')).close();
  } catch (err) {
    if (err instanceof GazetteError) throw err;
    throw fileError(err, 'INPUT', 'read the reports', file);
  }
}

/** An error of reading a file (ENOENT, EACCES, EISDIR, …), as Node raises them; not a database's or its network's. */
function isFileError(err: unknown): boolean {
  const e = err as { code?: unknown; syscall?: unknown };
  return typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) && FILE_CALLS.has(String(e.syscall));
}

const FILE_CALLS = new Set(['open', 'read', 'stat', 'lstat', 'fstat', 'scandir', 'readlink', 'close']);
