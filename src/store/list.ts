import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { DatabaseLocation } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { plainLine } from '../util/text.js';
import { readUserText } from '../util/user-files.js';
import { openStore } from './connect.js';
import { now } from './db.js';
import { type ImportOptions, type ImportResult, importCsv } from './import.js';
import { type Preferences, samePreferences, setPreferences, topicsOf } from './preferences.js';
import { all, changes, type Q, transact } from './sql.js';
import {
  allSubscribers,
  checkEmail,
  complained,
  findSubscriber,
  insertSubscriber,
  STATUSES,
  type Status,
  type SubscriberRow,
  setName,
  setStatus,
} from './subscribers.js';

/**
 * The subscriber list as the author manages it (`gazette subscribers …`):
 * each function is one command's work, given an open database.
 */

/** Open the database (a SQLite file, or PostgreSQL) for the length of `work`. */
export async function withDatabase<T>(location: DatabaseLocation, work: (db: Q) => Promise<T> | T): Promise<T> {
  const store = await openStore(location);
  try {
    return await work(store.db);
  } finally {
    await store.close();
  }
}

/** The address checked (trimmed, its domain in ASCII), or an ADDRESS error. */
export function parseAddress(raw: string): string {
  const checked = checkEmail(raw);
  if ('reason' in checked) throw new GazetteError('ADDRESS', checked.reason);
  return checked.email;
}

export type AddOutcome = 'added' | 'updated' | 'unchanged';

/**
 * Subscribe an address. One that unsubscribed or bounced is subscribed
 * again only with `force` (which the reader's consent must justify).
 */
export async function addSubscriber(
  db: Q,
  input: { email: string; name?: string | undefined; force?: boolean | undefined; preferences?: Partial<Preferences> | undefined },
): Promise<{ outcome: AddOutcome; email: string }> {
  const address = parseAddress(input.email);
  const name = input.name === undefined ? undefined : plainLine(input.name);
  const existing = await findSubscriber(db, address);
  const wanted = input.preferences;
  if (!existing) {
    const row = await insertSubscriber(db, { email: address, ...(name ? { name } : {}), status: 'subscribed', source: 'cli' });
    if (wanted) await setPreferences(db, row.id, { topics: wanted.topics ?? [], frequency: wanted.frequency ?? 'daily' });
    return { outcome: 'added', email: address };
  }
  if (complained(existing)) {
    throw new GazetteError(
      'SUBSCRIBER',
      `${existing.email} reported the newsletter as spam (${existing.unsubscribed_at ?? existing.updated_at}); Gazette never mails a complainer again, not even with --force`,
    );
  }
  if ((existing.status === 'unsubscribed' || existing.status === 'bounced') && !input.force) {
    throw new GazetteError(
      'SUBSCRIBER',
      `${existing.email} is ${existing.status} (since ${existing.unsubscribed_at ?? existing.updated_at}); add --force to subscribe them again, only with their consent`,
    );
  }
  if (existing.status !== 'subscribed') await setStatus(db, existing.id, 'subscribed');
  if (name && name !== existing.name) await setName(db, existing.id, name);
  let chose = false;
  if (wanted) {
    const before = { topics: (await topicsOf(db, [existing.id])).get(existing.id) ?? [], frequency: existing.frequency };
    const after = { topics: wanted.topics ?? before.topics, frequency: wanted.frequency ?? before.frequency };
    chose = !samePreferences(before, after);
    if (chose) await setPreferences(db, existing.id, after);
  }
  const unchanged = existing.status === 'subscribed' && (!name || name === existing.name) && !chose;
  return { outcome: unchanged ? 'unchanged' : 'updated', email: existing.email };
}

/** Unsubscribe an address, keeping the record (so no import subscribes it again). */
export async function removeSubscriber(db: Q, email: string): Promise<{ outcome: 'removed' | 'unchanged'; email: string }> {
  const address = parseAddress(email);
  const existing = await findSubscriber(db, address);
  if (!existing) throw new GazetteError('SUBSCRIBER', `${address} is not in the subscriber list`);
  if (existing.status === 'unsubscribed') return { outcome: 'unchanged', email: existing.email };
  await setStatus(db, existing.id, 'unsubscribed', 'command');
  return { outcome: 'removed', email: existing.email };
}

export function parseStatus(value: string): Status {
  if (!(STATUSES as readonly string[]).includes(value)) throw new GazetteError('USAGE', `--status must be one of ${STATUSES.join(', ')}`);
  return value as Status;
}

/** A subscriber with the topics they chose (none: everything). */
export type ListedSubscriber = SubscriberRow & { topics: string[] };

/** Every subscriber with their topics, in the order they joined, a thousand at a time. */
async function* everyoneWithTopics(db: Q): AsyncGenerator<ListedSubscriber> {
  let batch: SubscriberRow[] = [];
  const flush = async () => {
    const topics = await topicsOf(
      db,
      batch.map((s) => s.id),
    );
    const rows = batch.map((s) => ({ ...s, topics: topics.get(s.id) ?? [] }));
    batch = [];
    return rows;
  };
  for await (const s of allSubscribers(db)) {
    batch.push(s);
    if (batch.length >= 1000) yield* await flush();
  }
  yield* await flush();
}

/** Every subscriber (with this status), in the order they joined. */
export async function* listSubscribers(db: Q, status?: Status): AsyncGenerator<ListedSubscriber> {
  for await (const s of everyoneWithTopics(db)) if (!status || s.status === status) yield s;
}

/** Import a CSV file (UTF-8, or UTF-16 with a BOM), read as a stream. */
export function importFile(db: Q, file: string, handlers: Pick<ImportOptions, 'onProblem' | 'onDuplicate' | 'status' | 'topics'>): Promise<ImportResult> {
  const open = () => readUserText(file, 'INPUT', 'the CSV file', 'no such file', 'export the CSV as UTF-8');
  return importCsv(db, open, { file, source: `import:${path.basename(file)}`, ...handlers });
}

const EXPORT_COLUMNS = [
  'email',
  'name',
  'status',
  'source',
  'created_at',
  'subscribed_at',
  'unsubscribed_at',
  'unsubscribed_how',
  'topics',
  'frequency',
] as const;

/**
 * Every subscriber as CSV lines (header first), written by csv-stringify:
 * quoted where needed, and a cell a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR) prefixed with `'`, since names are
 * whatever readers typed.
 */
export async function* exportCsv(db: Q): AsyncGenerator<string> {
  const line = (cells: readonly string[]) => stringify([cells], { escape_formulas: true, record_delimiter: '' });
  yield line(EXPORT_COLUMNS);
  for await (const s of everyoneWithTopics(db)) {
    yield line([
      s.email,
      s.name,
      s.status,
      s.source,
      s.created_at,
      s.subscribed_at ?? '',
      s.unsubscribed_at ?? '',
      s.unsubscribed_how ?? '',
      s.topics.join(' '),
      s.frequency,
    ]);
  }
}

/**
 * Undo bounces recorded since `since` (a relay's refusal mistaken for dead
 * addresses): those subscribers are subscribed again, and the deliveries
 * that failed for them since then are deferred, so the next send retries
 * them. Each change is recorded with its time, as any other.
 */
export function restoreBounced(db: Q, since: Date): Promise<{ restored: number; deliveries: number }> {
  const from = since.toISOString();
  return transact(db, async (trx) => {
    const ids = (await all(trx, sql<{ id: number }>`SELECT id FROM subscribers WHERE status = 'bounced' AND unsubscribed_at >= ${from}`)).map((r) => r.id);
    let deliveries = 0;
    for (const id of ids) {
      await setStatus(trx, id, 'subscribed');
      deliveries += await changes(
        trx,
        sql`UPDATE deliveries SET state = 'deferred', updated_at = ${now()} WHERE subscriber_id = ${id} AND state = 'failed' AND updated_at >= ${from}`,
      );
    }
    return { restored: ids.length, deliveries };
  });
}
