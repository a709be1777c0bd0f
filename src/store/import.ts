import { parseCsv } from '../util/csv.js';
import { plainLine } from '../util/text.js';
import type { Db } from './db.js';
import { checkEmail, emailKey, findSubscriber, insertSubscriber, STATUSES, type Status, setName, setStatus } from './subscribers.js';

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
  /** Invalid rows, not imported. */
  problems: ImportProblem[];
  /** Repeats of an earlier row's address, skipped. */
  duplicates: ImportProblem[];
}

const OPTED_OUT: ReadonlySet<Status> = new Set(['unsubscribed', 'bounced']);

interface Row {
  line: number;
  email: string;
  name?: string;
  status?: Status;
}

/** Read and check every row; nothing touches the database here. */
function readRows(text: string): { rows: Row[]; problems: ImportProblem[]; duplicates: ImportProblem[]; headerError?: string } {
  const records = parseCsv(text);
  const header = records.shift();
  if (!header) return { rows: [], problems: [], duplicates: [], headerError: 'the file is empty (it needs a header row with an "email" column)' };
  const columns = header.fields.map((f) =>
    f
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, ' '),
  );
  const find = (...names: string[]) => columns.findIndex((c) => names.includes(c));
  // The names mailing tools export under (Mailchimp: "Email Address", "First Name", "Last Name").
  const col = {
    email: find('email', 'e mail', 'email address', 'e mail address', 'mail'),
    name: find('name', 'full name', 'display name'),
    first: find('first name', 'given name'),
    last: find('last name', 'family name', 'surname'),
    status: find('status'),
  };
  if (col.email === -1) {
    return {
      rows: [],
      problems: [],
      duplicates: [],
      headerError: `line ${header.line}: the header row has no "email" column (it has: ${columns.join(', ') || 'nothing'})`,
    };
  }
  const rows: Row[] = [];
  const problems: ImportProblem[] = [];
  const duplicates: ImportProblem[] = [];
  const seen = new Map<string, number>();
  for (const record of records) {
    if (record.error) {
      problems.push({ line: record.line, reason: record.error });
      continue;
    }
    // Also take `Ann <ann@example.org>` and `mailto:ann@example.org` in the email column.
    const rawEmail = (record.fields[col.email] ?? '').trim();
    const angle = /^(.*?)\s*<([^<>]+)>$/.exec(rawEmail);
    const checked = checkEmail((angle ? angle[2]! : rawEmail).replace(/^mailto:/i, ''));
    if ('reason' in checked) {
      problems.push({ line: record.line, reason: checked.reason });
      continue;
    }
    let status: Status | undefined;
    const rawStatus = col.status === -1 ? '' : (record.fields[col.status] ?? '').trim().toLowerCase();
    if (rawStatus) {
      if (!(STATUSES as readonly string[]).includes(rawStatus)) {
        problems.push({ line: record.line, reason: `status ${JSON.stringify(rawStatus)} is not one of ${STATUSES.join(', ')}` });
        continue;
      }
      status = rawStatus as Status;
    }
    const key = emailKey(checked.email);
    const first = seen.get(key);
    if (first !== undefined) {
      duplicates.push({ line: record.line, reason: `${checked.email} repeats line ${first}; skipped` });
      continue;
    }
    seen.set(key, record.line);
    const field = (i: number) => (i === -1 ? '' : plainLine((record.fields[i] ?? '').replace(/[\r\n\t]/g, ' ')));
    const name =
      field(col.name) || [field(col.first), field(col.last)].filter(Boolean).join(' ') || plainLine(angle?.[1]?.replace(/^"|"$/g, '') ?? '') || undefined;
    rows.push({ line: record.line, email: checked.email, ...(name ? { name } : {}), ...(status ? { status } : {}) });
  }
  return { rows, problems, duplicates };
}

/**
 * Import subscribers from CSV text: every invalid row reported with its
 * line, the valid rows applied in one transaction. Idempotent: importing
 * the same file twice changes nothing. Never turns an unsubscribed or
 * bounced address back into a subscribed one.
 */
export function importCsv(db: Db, text: string, source: string): ImportResult & { headerError?: string } {
  const { rows, problems, duplicates, headerError } = readRows(text);
  const result: ImportResult = { added: 0, updated: 0, unchanged: 0, keptOptedOut: 0, problems, duplicates };
  if (headerError) return { ...result, headerError };
  db.transaction(() => {
    for (const row of rows) {
      const existing = findSubscriber(db, row.email);
      if (!existing) {
        insertSubscriber(db, { email: row.email, name: row.name, status: row.status ?? 'subscribed', source });
        result.added++;
        continue;
      }
      let changed = false;
      const wanted = row.status ?? 'subscribed';
      if (wanted !== existing.status) {
        if (OPTED_OUT.has(existing.status) && !OPTED_OUT.has(wanted)) {
          // An opt-out or a bounce is never undone by an import.
          result.keptOptedOut++;
        } else if (OPTED_OUT.has(wanted) || (wanted === 'subscribed' && existing.status === 'pending')) {
          setStatus(db, existing.id, wanted);
          changed = true;
        }
      }
      if (row.name && row.name !== existing.name) {
        setName(db, existing.id, row.name);
        changed = true;
      }
      if (changed) result.updated++;
      else result.unchanged++;
    }
  }).immediate();
  return result;
}
