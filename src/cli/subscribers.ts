import path from 'node:path';
import { displayPath, loadConfig } from '../config/index.js';
import { GazetteError } from '../errors.js';
import {
  allSubscribers,
  checkEmail,
  countByStatus,
  type Db,
  findSubscriber,
  importCsv,
  insertSubscriber,
  openDatabase,
  STATUSES,
  setName,
  setStatus,
} from '../store/index.js';
import { csvLine } from '../util/csv.js';
import { readUserFile } from '../util/paths.js';
import { plainLine } from '../util/text.js';
import type { Io } from './report.js';

export interface StoreFlags {
  config: string;
}

/** Open the config's database for the length of `work`. */
export async function withStore<T>(flags: StoreFlags, io: Io, work: (db: Db, configDir: string) => Promise<T> | T): Promise<T> {
  const { config, warnings } = await loadConfig(flags.config);
  for (const w of warnings) io.err(`warning: ${w}`);
  const db = openDatabase(config.subscribers.database);
  try {
    return await work(db, config.root);
  } finally {
    db.close();
  }
}

function validAddress(raw: string): string {
  const checked = checkEmail(raw);
  if ('reason' in checked) throw new GazetteError(checked.reason);
  return checked.email;
}

export async function addCommand(email: string, flags: StoreFlags & { name?: string; force?: boolean }, io: Io): Promise<number> {
  const address = validAddress(email);
  const name = flags.name === undefined ? undefined : plainLine(flags.name);
  return withStore(flags, io, (db) => {
    const existing = findSubscriber(db, address);
    if (!existing) {
      insertSubscriber(db, { email: address, ...(name ? { name } : {}), status: 'subscribed', source: 'cli' });
      io.out(`Added ${address} (subscribed).`);
      return 0;
    }
    if ((existing.status === 'unsubscribed' || existing.status === 'bounced') && !flags.force) {
      throw new GazetteError(
        `${existing.email} is ${existing.status} (since ${existing.unsubscribed_at ?? existing.updated_at}); add --force to subscribe them again, only with their consent`,
      );
    }
    if (existing.status !== 'subscribed') setStatus(db, existing.id, 'subscribed');
    if (name && name !== existing.name) setName(db, existing.id, name);
    io.out(
      existing.status === 'subscribed' && (!name || name === existing.name)
        ? `${existing.email} is already subscribed.`
        : `Updated ${existing.email} (subscribed).`,
    );
    return 0;
  });
}

export async function removeCommand(email: string, flags: StoreFlags, io: Io): Promise<number> {
  const address = validAddress(email);
  return withStore(flags, io, (db) => {
    const existing = findSubscriber(db, address);
    if (!existing) throw new GazetteError(`${address} is not in the subscriber list`);
    if (existing.status === 'unsubscribed') {
      io.out(`${existing.email} is already unsubscribed.`);
      return 0;
    }
    setStatus(db, existing.id, 'unsubscribed');
    io.out(`Unsubscribed ${existing.email} (the record is kept, so no import subscribes them again).`);
    return 0;
  });
}

export async function listCommand(flags: StoreFlags & { status?: string }, io: Io): Promise<number> {
  if (flags.status && !(STATUSES as readonly string[]).includes(flags.status)) {
    throw new GazetteError(`--status must be one of ${STATUSES.join(', ')}`);
  }
  return withStore(flags, io, (db) => {
    let n = 0;
    for (const s of allSubscribers(db)) {
      if (flags.status && s.status !== flags.status) continue;
      io.out(`${s.email}\t${s.status}\t${s.name}\t${s.created_at}`);
      n++;
    }
    if (n === 0) io.err('(no subscribers)');
    return 0;
  });
}

export async function countCommand(flags: StoreFlags, io: Io): Promise<number> {
  return withStore(flags, io, (db) => {
    const counts = countByStatus(db);
    io.out(`${counts.subscribed} subscribed, ${counts.pending} pending, ${counts.unsubscribed} unsubscribed, ${counts.bounced} bounced`);
    return 0;
  });
}

export async function importCommand(file: string, flags: StoreFlags, io: Io): Promise<number> {
  const label = displayPath(path.resolve(file));
  const bytes = await readUserFile(path.resolve(file), 'the CSV file', 'no such file');
  let text: string;
  try {
    // Excel's "Unicode text" is UTF-16 with a byte-order mark; everything else must be UTF-8.
    const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
    text = new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new GazetteError('not valid UTF-8 text (export the CSV as UTF-8)', { file: label });
  }
  return withStore(flags, io, (db) => {
    const result = importCsv(db, text, `import:${path.basename(file)}`);
    if (result.headerError) throw new GazetteError(result.headerError, { file: label });
    for (const p of result.problems) io.err(`error: ${label}:${p.line}: ${p.reason}`);
    for (const d of result.duplicates) io.err(`note: ${label}:${d.line}: ${d.reason}`);
    const parts = [`${result.added} added`, `${result.updated} updated`, `${result.unchanged} unchanged`];
    if (result.keptOptedOut) parts.push(`${result.keptOptedOut} left unsubscribed or bounced`);
    io.out(`Imported ${label}: ${parts.join(', ')}.`);
    if (result.problems.length) {
      io.err(`gazette: ${result.problems.length} invalid row${result.problems.length === 1 ? '' : 's'} not imported; the valid rows were`);
      return 1;
    }
    return 0;
  });
}

export async function exportCommand(flags: StoreFlags, io: Io): Promise<number> {
  return withStore(flags, io, (db) => {
    const line = (fields: string[]) => io.out(csvLine(fields).replace(/\r\n$/, ''));
    line(['email', 'name', 'status', 'source', 'created_at', 'subscribed_at', 'unsubscribed_at']);
    for (const s of allSubscribers(db)) {
      line([s.email, s.name, s.status, s.source, s.created_at, s.subscribed_at ?? '', s.unsubscribed_at ?? '']);
    }
    return 0;
  });
}
