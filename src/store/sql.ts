import { type Kysely, PostgresAdapter, type RawBuilder } from 'kysely';
import type { Tables } from './tables.js';

/**
 * How the store's modules query: Kysely's `sql` template (values always
 * bound, never spliced), in SQL that SQLite and PostgreSQL read alike —
 * `ON CONFLICT`, `RETURNING`, double-quoted aliases, ISO 8601 text times.
 */
export type Q = Kysely<Tables>;

/** Every row. */
export async function all<T>(db: Q, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** The first row, if any. */
export async function one<T>(db: Q, query: RawBuilder<T>): Promise<T | undefined> {
  return (await query.execute(db)).rows[0];
}

/** How many rows a statement inserted, updated or deleted. */
export async function changes(db: Q, query: RawBuilder<unknown>): Promise<number> {
  return Number((await query.execute(db)).numAffectedRows ?? 0n);
}

/**
 * `work` in one transaction (on SQLite one that takes the write lock at
 * once: BEGIN IMMEDIATE); inside one already, in that one.
 */
export function transact<T>(db: Q, work: (trx: Q) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** Whether `db` is a PostgreSQL database (where several processes may write at once). */
export const onPostgres = (db: Q): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** PostgreSQL advisory lock keys of Gazette's (numbers unlikely to be another program's). */
export const LOCKS = { migrate: 0x67617a01, confirmations: 0x67617a02, quota: 0x67617a03 } as const;
