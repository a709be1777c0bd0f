import { sql } from 'kysely';
import type { DatabaseLocation } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { openStore } from './connect.js';
import { all, one, type Q } from './sql.js';

/**
 * The tables a list is made of, in the order they are copied (a row's
 * references come before it), with the key rows are read in. The send
 * lock is not copied: it belongs to a run, not to the list.
 */
const TABLES = [
  { name: 'subscribers', key: ['id'] },
  { name: 'subscriber_topics', key: ['subscriber_id', 'topic'] },
  { name: 'issues', key: ['key'] },
  { name: 'deliveries', key: ['issue', 'subscriber_id'] },
  { name: 'reports', key: ['id'] },
  { name: 'webhook_events', key: ['id'] },
  { name: 'confirmations_sent', key: ['id'] },
  { name: 'quota_hits', key: ['key', 'bucket'] },
] as const;

/** Tables whose ids the database numbers: after a copy, new rows are numbered after the copied ones. */
const NUMBERED = ['subscribers', 'confirmations_sent'] as const;

const BATCH = 1000;

export interface CopyResult {
  /** Rows per table, counted in both databases after the copy (they are equal, or nothing was copied). */
  counts: Record<string, number>;
}

/**
 * `gazette db copy`: the whole list, from a SQLite file to a new, empty
 * PostgreSQL database, in one transaction: subscribers with their states
 * and histories, the delivery ledger (so that an issue already sent mails
 * nobody again), reports, provider events, confirmations of the hour, the
 * relays' messages of the last day (their daily limits). The
 * counts of every table are compared before it commits; a target that
 * holds anything is refused. The source is only read.
 */
export async function copyList(from: DatabaseLocation, to: DatabaseLocation): Promise<CopyResult> {
  if (from.kind !== 'sqlite') throw new GazetteError('USAGE', 'db copy copies a SQLite list: subscribers.database in gazette.toml must name its file');
  if (to.kind !== 'postgres') throw new GazetteError('USAGE', '--to must be a postgres:// URL');
  const source = await openStore(from);
  try {
    const target = await openStore(to);
    try {
      return await target.db.transaction().execute(async (trx) => {
        await refuseNonEmpty(trx, to.where);
        const counts: Record<string, number> = {};
        for (const table of TABLES) counts[table.name] = await copyTable(source.db, trx, table.name, table.key);
        for (const name of NUMBERED) {
          await sql`SELECT setval(pg_get_serial_sequence(${name}, 'id'), GREATEST((SELECT MAX(id) FROM ${sql.table(name)}), 1))`.execute(trx);
        }
        for (const table of TABLES) {
          const there = await countOf(trx, table.name);
          if (there !== counts[table.name]) {
            throw new GazetteError('DB', `the copy of ${table.name} holds ${there} rows, not ${counts[table.name]}: nothing was copied`);
          }
        }
        return { counts };
      });
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function countOf(db: Q, table: string): Promise<number> {
  return (await one(db, sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`))!.n;
}

async function refuseNonEmpty(db: Q, where: string): Promise<void> {
  const held: string[] = [];
  for (const table of TABLES) {
    const n = await countOf(db, table.name);
    if (n > 0) held.push(`${n} in ${table.name}`);
  }
  if (held.length) throw new GazetteError('DB', `the target list is not empty (${held.join(', ')}): db copy only fills a new database (${where})`);
}

/** Copy one table a batch at a time, in key order (each batch found by the last key, so a long table costs no more per row); the number of rows copied. */
async function copyTable(from: Q, to: Q, table: string, key: readonly string[]): Promise<number> {
  let copied = 0;
  let last: unknown[] | undefined;
  const keys = sql.join(key.map((c) => sql.id(c)));
  for (;;) {
    const after = last ? sql`WHERE (${keys}) > (${sql.join(last)})` : sql``;
    const rows = await all(from, sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ${after} ORDER BY ${keys} LIMIT ${BATCH}`);
    if (rows.length === 0) return copied;
    const columns = Object.keys(rows[0]!);
    const values = rows.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`);
    await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((c) => sql.id(c)))}) VALUES ${sql.join(values)}`.execute(to);
    copied += rows.length;
    if (rows.length < BATCH) return copied;
    const end = rows.at(-1)!;
    last = key.map((c) => end[c]);
  }
}
