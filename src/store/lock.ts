import { hostname } from 'node:os';
import { sql } from 'kysely';
import { GazetteError } from '../errors.js';
import { processAlive } from '../util/process.js';
import { now } from './db.js';
import { one, onPostgres, type Q, transact } from './sql.js';

/**
 * One `gazette send` at a time per database: two at once could both pick
 * the same subscriber. The lock is a row in the database, checked and
 * taken in one transaction that holds the write lock (SQLite's BEGIN
 * IMMEDIATE, PostgreSQL's row lock), so two runs that both find a lock left
 * by a killed process cannot both take it over. Returns the release.
 */
export async function acquireSendLock(db: Q, where: string): Promise<() => Promise<void>> {
  await transact(db, async (trx) => {
    // On PostgreSQL, the row exists (or is made) first, so that FOR UPDATE has a row to wait on.
    await sql`INSERT INTO send_lock (id, pid, host, started_at) VALUES (1, 0, '', '') ON CONFLICT (id) DO NOTHING`.execute(trx);
    const held = await one(
      trx,
      sql<{ pid: number; host: string; started_at: string }>`SELECT pid, host, started_at FROM send_lock WHERE id = 1 ${forUpdate(trx)}`,
    );
    if (held && held.pid !== 0 && held.pid !== process.pid && processAlive(held.pid)) {
      throw new GazetteError(
        'LOCKED',
        `another gazette send (process ${held.pid} on ${held.host}, since ${held.started_at}) is running on this subscriber database; wait for it, or stop it`,
        { file: where },
      );
    }
    await sql`UPDATE send_lock SET pid = ${process.pid}, host = ${hostname()}, started_at = ${now()} WHERE id = 1`.execute(trx);
  });
  return async () => {
    await sql`DELETE FROM send_lock WHERE id = 1 AND pid = ${process.pid}`.execute(db);
  };
}

/** `FOR UPDATE` where the database has it (PostgreSQL); SQLite's transaction holds the whole database already. */
function forUpdate(db: Q) {
  return onPostgres(db) ? sql`FOR UPDATE` : sql``;
}
