import path from 'node:path';
import { loadConfig } from '../config/index.js';
import { parseDate } from '../content/index.js';
import { EXIT, GazetteError } from '../errors.js';
import {
  addSubscriber,
  countByStatus,
  exportCsv,
  FREQUENCIES,
  type Frequency,
  importFile,
  listSubscribers,
  type Preferences,
  parseAddress,
  parseStatus,
  type Q,
  removeSubscriber,
  restoreBounced,
  withDatabase,
} from '../store/index.js';
import { displayPath, type Io, plural, printWarnings } from './report.js';
import { agreed, type SendEnv } from './terminal.js';

export interface StoreFlags {
  config?: string;
}

/** The config's subscriber database, open for the length of `work` (which is told the topics readers may choose). */
async function withStore<T>(flags: StoreFlags, io: Io, env: NodeJS.ProcessEnv, work: (db: Q, topics: readonly string[]) => Promise<T> | T): Promise<T> {
  const { config, warnings } = await loadConfig(flags.config, 'subscribers', { env });
  printWarnings(io, warnings);
  const topics = config.topics.map((t) => t.key);
  return withDatabase(config.subscribers.database, (db) => work(db, topics));
}

/** `--topic` and `--frequency`, checked against the config's topics; undefined when neither is given. */
function chosen(flags: { topic?: string[]; frequency?: string }, known: readonly string[]): Partial<Preferences> | undefined {
  if (!flags.topic && flags.frequency === undefined) return undefined;
  const topics = flags.topic?.map((t) => t.trim().toLowerCase());
  const unknown = topics?.find((t) => !known.includes(t));
  if (unknown !== undefined)
    throw new GazetteError('USAGE', `--topic ${unknown}: not a topic of gazette.toml (${known.length ? known.join(', ') : 'it has no [topics]'})`);
  if (flags.frequency !== undefined && !(FREQUENCIES as readonly string[]).includes(flags.frequency))
    throw new GazetteError('USAGE', `--frequency must be ${FREQUENCIES.join(' or ')}`);
  return { ...(topics ? { topics } : {}), ...(flags.frequency ? { frequency: flags.frequency as Frequency } : {}) };
}

export function addCommand(
  email: string,
  flags: StoreFlags & { name?: string; force?: boolean; topic?: string[]; frequency?: string },
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  parseAddress(email);
  return withStore(flags, io, env, async (db, topics) => {
    const { outcome, email: address } = await addSubscriber(db, { email, name: flags.name, force: flags.force, preferences: chosen(flags, topics) });
    io.out(
      outcome === 'added'
        ? `Added ${address} (subscribed).`
        : outcome === 'unchanged'
          ? `${address} is already subscribed.`
          : `Updated ${address} (subscribed).`,
    );
    return EXIT.ok;
  });
}

export function removeCommand(email: string, flags: StoreFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  parseAddress(email);
  return withStore(flags, io, env, async (db) => {
    const { outcome, email: address } = await removeSubscriber(db, email);
    io.out(outcome === 'removed' ? `Unsubscribed ${address} (the record is kept, so no import subscribes them again).` : `${address} is already unsubscribed.`);
    return EXIT.ok;
  });
}

export function listCommand(flags: StoreFlags & { status?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const status = flags.status ? parseStatus(flags.status) : undefined;
  return withStore(flags, io, env, async (db) => {
    let n = 0;
    for await (const s of listSubscribers(db, status)) {
      if (io.closed?.()) break;
      const left = s.status === 'unsubscribed' || s.status === 'bounced' ? `\t${s.unsubscribed_at ?? ''} (${s.unsubscribed_how ?? 'unknown'})` : '';
      io.out(`${s.email}\t${s.status}\t${s.name}\t${s.created_at}\t${s.topics.join(' ') || 'everything'}\t${s.frequency}${left}`);
      n++;
    }
    if (n === 0) io.err('(no subscribers)');
    return EXIT.ok;
  });
}

export function countCommand(flags: StoreFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withStore(flags, io, env, async (db) => {
    const counts = await countByStatus(db);
    io.out(`${counts.subscribed} subscribed, ${counts.pending} pending, ${counts.unsubscribed} unsubscribed, ${counts.bounced} bounced`);
    return EXIT.ok;
  });
}

export function importCommand(file: string, flags: StoreFlags & { status?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (flags.status !== undefined && flags.status !== 'pending' && flags.status !== 'subscribed') {
    throw new GazetteError('USAGE', `--status: ${JSON.stringify(flags.status)} is not pending or subscribed`);
  }
  const status = flags.status;
  const absolute = path.resolve(file);
  const label = displayPath(absolute);
  return withStore(flags, io, env, async (db, topics) => {
    const result = await importFile(db, absolute, {
      status,
      topics,
      onProblem: (p) => io.err(`error: ${label}:${p.line}: ${p.reason}`),
      onDuplicate: (d) => io.err(`note: ${label}:${d.line}: ${d.reason}`),
    });
    const parts = [`${result.added} added`, `${result.updated} updated`, `${result.unchanged} unchanged`];
    if (result.keptOptedOut) parts.push(`${result.keptOptedOut} left unsubscribed or bounced`);
    io.out(`Imported ${label}: ${parts.join(', ')}.`);
    if (status === 'pending' && result.added + result.updated > 0)
      io.out('The new addresses are pending: `gazette subscribers invite` asks each to confirm; nobody is mailed an issue before.');
    if (result.problems) {
      io.err(`gazette: ${plural(result.problems, 'invalid row')} not imported; the valid rows were`);
      return EXIT.error;
    }
    return EXIT.ok;
  });
}

export function exportCommand(flags: StoreFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withStore(flags, io, env, async (db) => {
    for await (const line of exportCsv(db)) {
      if (io.closed?.()) break;
      io.out(line);
    }
    return EXIT.ok;
  });
}

export async function restoreCommand(flags: StoreFlags & { bouncedSince: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, 'subscribers', { env });
  printWarnings(io, warnings);
  const since = parseDate(flags.bouncedSince, config.site.timezone);
  if (!since)
    throw new GazetteError('USAGE', `--bounced-since: cannot read ${JSON.stringify(flags.bouncedSince)} as a time (use 2026-11-20 or 2026-11-20T08:00)`);
  const { restored, deliveries } = await withDatabase(config.subscribers.database, (db) => restoreBounced(db, since));
  io.out(
    `Restored ${plural(restored, 'subscriber')} bounced since ${since.toISOString()}: subscribed again; ${plural(deliveries, 'failed delivery', 'failed deliveries')} will be retried by the next send.`,
  );
  return EXIT.ok;
}

export async function inviteCommand(flags: StoreFlags & { yes?: boolean; dryRun?: boolean }, io: Io, sendEnv: SendEnv): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, flags.dryRun ? 'invite --dry-run' : 'invite', { env: sendEnv.env });
  printWarnings(io, warnings);
  const { invitePending } = await import('../send/index.js');
  const result = await invitePending(config, {
    dryRun: flags.dryRun,
    confirm: (pending, via) =>
      agreed(
        sendEnv,
        flags.yes || flags.dryRun,
        `Ask ${plural(pending, 'pending subscriber')} to confirm, via ${via}?`,
        `mail ${plural(pending, 'pending subscriber')} a confirmation`,
      ),
  });
  if (result.declined) {
    io.err('Nobody was asked.');
    return EXIT.error;
  }
  if (result.pending === 0) {
    io.out('Nobody to ask: every pending subscriber has been asked to confirm (import a list with --status pending to ask it).');
    return EXIT.ok;
  }
  if (result.kind === 'outbox') {
    io.out(`Dry run: wrote ${plural(result.asked, 'confirmation')} to ${displayPath(result.via)}/; nobody was mailed or marked asked.`);
    return EXIT.ok;
  }
  io.out(
    `Asked ${plural(result.asked, 'pending subscriber')} to confirm, via ${result.via}${result.failed ? `; ${result.failed} could not be mailed (run again to retry them)` : ''}.`,
  );
  return result.failed ? EXIT.owed : EXIT.ok;
}
