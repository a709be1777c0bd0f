import { sql } from 'kysely';
import { GazetteError } from '../errors.js';
import { type CsvRecord, readCsv } from '../util/csv.js';
import { isCjk, plainLine } from '../util/text.js';
import { now } from './db.js';
import { FREQUENCIES, type Frequency, samePreferences, setPreferences, topicsOf } from './preferences.js';
import { all, type Q, transact } from './sql.js';
import { checkEmail, emailKey, STATUSES, type Status, type SubscriberRow, setName, setStatus } from './subscribers.js';

export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportResult {
  added: number;
  updated: number;
  unchanged: number;
  /** Rows that asked to subscribe an address that had unsubscribed or bounced: left as it was. */
  keptOptedOut: number;
  /** Invalid rows, not imported (each was reported to `onProblem`). */
  problems: number;
  /** Repeats of an earlier row's address, skipped (each reported to `onDuplicate`). */
  duplicates: number;
}

export interface ImportOptions {
  /** The file, for errors (absolute). */
  file: string;
  /** Recorded as each new subscriber's source, e.g. `import:list.csv`. */
  source: string;
  /** An invalid row, as soon as it is read. */
  onProblem: (problem: ImportProblem) => void;
  /** A repeated address, skipped. */
  onDuplicate: (problem: ImportProblem) => void;
  /**
   * The state of every row that is not an opt-out (`--status`): `pending`
   * asks an exported list to opt in again (`subscribers invite` mails them).
   * Default: the row's `status` column, else `subscribed`.
   */
  status?: 'pending' | 'subscribed' | undefined;
  /** The topics readers may choose (`[topics]`): a `topics` column may name these only. */
  topics?: readonly string[] | undefined;
}

const OPTED_OUT: ReadonlySet<Status> = new Set(['unsubscribed', 'bounced']);

interface Row {
  line: number;
  email: string;
  name?: string;
  status?: Status;
  /** A `topics` or `frequency` cell that was not empty: the reader's choice (topics none: everything). */
  preferences?: { topics?: string[]; frequency?: Frequency };
}

type Columns = Record<'email' | 'name' | 'first' | 'last' | 'status' | 'topics' | 'frequency', number>;

/** Where each field is, from the header row; the names mailing tools export under (Mailchimp: "Email Address", "First Name"). */
function readHeader(header: CsvRecord, file: string): Columns {
  const columns = header.fields.map((f) =>
    f
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ' '),
  );
  const find = (...names: string[]) => columns.findIndex((c) => names.includes(c));
  const col = {
    email: find('email', 'e mail', 'email address', 'e mail address', 'mail'),
    name: find('name', 'full name', 'display name'),
    first: find('first name', 'given name'),
    last: find('last name', 'family name', 'surname'),
    status: find('status'),
    topics: find('topics', 'topic'),
    frequency: find('frequency'),
  };
  if (col.email === -1) {
    throw new GazetteError('INPUT', `the header row has no "email" column (it has: ${columns.join(', ') || 'nothing'})`, { file, line: header.line });
  }
  return col;
}

/**
 * A cell's text. A `'` that a spreadsheet export (ours among them) put
 * before a leading `=`, `+`, `-`, `@`, tab or CR so that it is not run as
 * a formula is removed.
 */
function cell(record: CsvRecord, index: number): string {
  if (index === -1) return '';
  return (record.fields[index] ?? '').replace(/^'(?=[=+\-@\t\r])/, '');
}

/** One data row checked: a row to apply, or the reason it is invalid. */
function readRow(record: CsvRecord, col: Columns, known: readonly string[]): Row | { line: number; reason: string } | undefined {
  if (record.error) return { line: record.line, reason: record.error };
  // A row of empty cells (`,,` as spreadsheets write a blank line) is no row at all.
  if (record.fields.every((f) => f.trim() === '')) return undefined;
  // Also take `Ann <ann@example.org>` and `mailto:ann@example.org` in the email column.
  const rawEmail = cell(record, col.email).trim();
  const angle = /^(.*?)\s*<([^<>]+)>$/.exec(rawEmail);
  const checked = checkEmail((angle ? angle[2]! : rawEmail).replace(/^mailto:/i, ''));
  if ('reason' in checked) return { line: record.line, reason: checked.reason };
  let status: Status | undefined;
  const rawStatus = cell(record, col.status).trim().toLowerCase();
  if (rawStatus) {
    if (!(STATUSES as readonly string[]).includes(rawStatus)) {
      return { line: record.line, reason: `status ${JSON.stringify(rawStatus)} is not one of ${STATUSES.join(', ')}` };
    }
    status = rawStatus as Status;
  }
  const field = (i: number) => plainLine(cell(record, i).replace(/[\r\n\t]/g, ' '));
  const name = field(col.name) || fullName(field(col.first), field(col.last)) || plainLine(angle?.[1]?.replace(/^"|"$/g, '') ?? '') || undefined;
  const preferences: NonNullable<Row['preferences']> = {};
  const rawTopics = cell(record, col.topics).trim().toLowerCase();
  if (rawTopics) {
    const topics = rawTopics.split(/[\s,;|]+/).filter(Boolean);
    const unknown = topics.find((t) => !known.includes(t));
    if (unknown !== undefined)
      return {
        line: record.line,
        reason: `topic ${JSON.stringify(unknown)} is not in [topics] (${known.length ? known.join(', ') : 'gazette.toml has none'})`,
      };
    preferences.topics = topics;
  }
  const rawFrequency = cell(record, col.frequency).trim().toLowerCase();
  if (rawFrequency) {
    if (!(FREQUENCIES as readonly string[]).includes(rawFrequency))
      return { line: record.line, reason: `frequency ${JSON.stringify(rawFrequency)} is not one of ${FREQUENCIES.join(', ')}` };
    preferences.frequency = rawFrequency as Frequency;
  }
  return {
    line: record.line,
    email: checked.email,
    ...(name ? { name } : {}),
    ...(status ? { status } : {}),
    ...(rawTopics || rawFrequency ? { preferences } : {}),
  };
}

/**
 * A full name from its parts, in the order the name's language writes it:
 * family name first and no space for Chinese, Japanese or Korean names
 * (`张` + `三` = `张三`), given name first otherwise (`Ann` + `Lee`).
 */
function fullName(given: string, family: string): string {
  if (given && family && isCjk(Array.from(family)[0]!) && isCjk(Array.from(given)[0]!)) return `${family}${given}`;
  return [given, family].filter(Boolean).join(' ');
}

/** The status a row asks for: an opt-out in the file stays one whatever --status says. */
const wantedStatus = (row: Row, options: ImportOptions): Status =>
  row.status && OPTED_OUT.has(row.status) ? row.status : (options.status ?? row.status ?? 'subscribed');

/** Apply one valid row to the subscriber it names, counting what happened in `result`. */
async function applyToExisting(db: Q, row: Row, existing: SubscriberRow, options: ImportOptions, result: ImportResult): Promise<void> {
  const wanted = wantedStatus(row, options);
  let changed = false;
  if (wanted !== existing.status) {
    if (OPTED_OUT.has(existing.status) && !OPTED_OUT.has(wanted)) {
      // An opt-out or a bounce is never undone by an import.
      result.keptOptedOut++;
    } else if (OPTED_OUT.has(wanted) || (wanted === 'subscribed' && existing.status === 'pending')) {
      await setStatus(db, existing.id, wanted, 'import');
      changed = true;
    }
  }
  if (row.name && row.name !== existing.name) {
    await setName(db, existing.id, row.name);
    changed = true;
  }
  if (row.preferences) {
    const before = { topics: (await topicsOf(db, [existing.id])).get(existing.id) ?? [], frequency: existing.frequency };
    const after = { topics: row.preferences.topics ?? before.topics, frequency: row.preferences.frequency ?? before.frequency };
    if (!samePreferences(before, after)) {
      await setPreferences(db, existing.id, after);
      changed = true;
    }
  }
  if (changed) result.updated++;
  else result.unchanged++;
}

/** Apply a batch of rows (their addresses all different) in one transaction: the new ones in one statement. */
async function applyRows(db: Q, rows: Row[], options: ImportOptions, result: ImportResult): Promise<void> {
  if (rows.length === 0) return;
  await transact(db, async (trx) => {
    const keys = rows.map((r) => emailKey(r.email));
    const known = new Map((await all(trx, sql<SubscriberRow>`SELECT * FROM subscribers WHERE email_key IN (${sql.join(keys)})`)).map((s) => [s.email_key, s]));
    const fresh: Row[] = [];
    for (const row of rows) {
      const existing = known.get(emailKey(row.email));
      if (existing) await applyToExisting(trx, row, existing, options, result);
      else fresh.push(row);
    }
    if (fresh.length === 0) return;
    const t = now();
    const values = fresh.map((row) => {
      const status = wantedStatus(row, options);
      const left = OPTED_OUT.has(status);
      return sql`(${row.email}, ${emailKey(row.email)}, ${row.name ?? ''}, ${status}, ${options.source}, ${t}, ${t}, ${status === 'subscribed' ? t : null}, ${left ? t : null}, ${left ? 'import' : null})`;
    });
    const made = await all(
      trx,
      sql<{
        id: number;
        email_key: string;
      }>`INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at, subscribed_at, unsubscribed_at, unsubscribed_how)
              VALUES ${sql.join(values)} RETURNING id, email_key`,
    );
    const ids = new Map(made.map((m) => [m.email_key, m.id]));
    for (const row of fresh) {
      if (row.preferences)
        await setPreferences(trx, ids.get(emailKey(row.email))!, { topics: row.preferences.topics ?? [], frequency: row.preferences.frequency ?? 'daily' }, t);
    }
    result.added += fresh.length;
  });
}

/** Rows applied per transaction: short, so a send running meanwhile waits milliseconds, not minutes. */
const ROWS_PER_TRANSACTION = 500;

/**
 * Check the whole file before changing anything: that it decodes (a byte
 * that is not UTF-8 may come last) and that its header names an email
 * column. Records are parsed and dropped, so memory stays flat.
 */
async function checkFile(open: () => AsyncIterable<string>, file: string): Promise<void> {
  let header = true;
  for await (const record of readCsv(open())) {
    if (header) readHeader(record, file);
    header = false;
  }
  if (header) throw new GazetteError('INPUT', 'the file is empty (it needs a header row with an "email" column)', { file });
}

/**
 * Import subscribers from CSV text read as a stream (`open` starts a new
 * read): every invalid row reported with its line, the valid rows applied.
 * The file is read twice: first to check that all of it decodes and that
 * the header is usable, so a bad file changes nothing; then to apply the
 * rows, a few hundred per transaction, so that a send running at the same
 * time is never kept waiting. Memory stays flat however long the file: the
 * addresses seen so far (to skip repeats) are kept in a temporary table.
 * Idempotent: importing the same file twice changes nothing. Never turns
 * an unsubscribed or bounced address back into a subscribed one.
 */
export async function importCsv(db: Q, open: () => AsyncIterable<string>, options: ImportOptions): Promise<ImportResult> {
  await checkFile(open, options.file);
  const result: ImportResult = { added: 0, updated: 0, unchanged: 0, keptOptedOut: 0, problems: 0, duplicates: 0 };
  // One connection for the whole import: the table of addresses seen is a temporary one, which only its connection sees.
  return db.connection().execute(async (conn) => {
    await sql`CREATE TEMP TABLE IF NOT EXISTS import_seen (key TEXT PRIMARY KEY, line INTEGER NOT NULL)`.execute(conn);
    await sql`DELETE FROM import_seen`.execute(conn);
    /** Rows read since the last batch was applied, valid or not, in the file's order. */
    let pending: Array<Row | ImportProblem> = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      const rows = batch.filter((r): r is Row => 'email' in r);
      const keys = rows.map((r) => emailKey(r.email));
      const earlier = new Map<string, number>();
      if (keys.length)
        for (const r of await all(conn, sql<{ key: string; line: number }>`SELECT key, line FROM import_seen WHERE key IN (${sql.join(keys)})`))
          earlier.set(r.key, r.line);
      // Problems and repeats are told in the file's order; each address is applied at its first line.
      const apply: Row[] = [];
      for (const item of batch) {
        if (!('email' in item)) {
          result.problems++;
          options.onProblem(item);
          continue;
        }
        const key = emailKey(item.email);
        const first = earlier.get(key);
        if (first !== undefined) {
          result.duplicates++;
          options.onDuplicate({ line: item.line, reason: `${item.email} repeats line ${first}; skipped` });
          continue;
        }
        earlier.set(key, item.line);
        apply.push(item);
      }
      if (apply.length) {
        await sql`INSERT INTO import_seen (key, line) VALUES ${sql.join(apply.map((r) => sql`(${emailKey(r.email)}, ${r.line})`))}`.execute(conn);
      }
      await applyRows(conn, apply, options, result);
    };
    try {
      let col: Columns | undefined;
      for await (const record of readCsv(open())) {
        if (!col) {
          col = readHeader(record, options.file);
          continue;
        }
        const row = readRow(record, col, options.topics ?? []);
        if (!row) continue;
        pending.push(row);
        if (pending.length >= ROWS_PER_TRANSACTION) await flush();
      }
      await flush();
    } finally {
      await sql`DROP TABLE IF EXISTS import_seen`.execute(conn);
    }
    return result;
  });
}
