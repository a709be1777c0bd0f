import { hostname } from 'node:os';
import { sql } from 'kysely';
import { GazetteError } from '../errors.js';
import { processAlive } from '../util/process.js';
import { now } from './db.js';
import { one, onPostgres, type Q, transact } from './sql.js';

/** How often the holder of the send lock says it is alive, and how long a silence makes its lock stale. */
const BEAT_MS = 15_000;
const STALE_MS = 90_000;

/**
 * One `gazette send` at a time per database: two at once could both pick
 * the same subscriber. The lock is a row in the database, checked and
 * taken in one transaction that holds the write lock (SQLite's BEGIN
 * IMMEDIATE, PostgreSQL's row lock), so two runs that both find a lock left
 * by a killed process cannot both take it over. A lock held on this
 * machine is stale when its process is gone; one held on another machine
 * (a list on PostgreSQL) when its heartbeat has been silent for 90
 * seconds. Returns the release.
 */
export async function acquireSendLock(db: Q, where: string): Promise<() => Promise<void>> {
  const me = hostname();
  await transact(db, async (trx) => {
    // On PostgreSQL, the row exists (or is made) first, so that FOR UPDATE has a row to wait on.
    await sql`INSERT INTO send_lock (id, pid, host, started_at) VALUES (1, 0, '', '') ON CONFLICT (id) DO NOTHING`.execute(trx);
    const held = await one(
      trx,
      sql<{
        pid: number;
        host: string;
        started_at: string;
        beat_at: string | null;
      }>`SELECT pid, host, started_at, beat_at FROM send_lock WHERE id = 1 ${forUpdate(trx)}`,
    );
    if (held && held.pid !== 0 && !(held.pid === process.pid && held.host === me) && alive(held, me)) {
      throw new GazetteError(
        'LOCKED',
        `another gazette send (process ${held.pid} on ${held.host}, since ${held.started_at}) is running on this subscriber database; wait for it, or stop it`,
        { file: where },
      );
    }
    const t = now();
    await sql`UPDATE send_lock SET pid = ${process.pid}, host = ${me}, started_at = ${t}, beat_at = ${t} WHERE id = 1`.execute(trx);
    // The lock's holder is the list's only sender: claims left by a killed run are nobody's.
    await sql`DELETE FROM claims`.execute(trx);
  });
  const mine = sql`id = 1 AND pid = ${process.pid} AND host = ${me}`;
  const beat = setInterval(() => {
    sql`UPDATE send_lock SET beat_at = ${now()} WHERE ${mine}`.execute(db).catch(() => undefined);
  }, BEAT_MS);
  beat.unref();
  return async () => {
    clearInterval(beat);
    await sql`DELETE FROM send_lock WHERE ${mine}`.execute(db);
  };
}

/** Whether a lock's holder still runs: its process, on this machine; its heartbeat, on another. */
function alive(held: { pid: number; host: string; beat_at: string | null }, me: string): boolean {
  if (held.host === me) return processAlive(held.pid);
  return held.beat_at !== null && Date.now() - Date.parse(held.beat_at) < STALE_MS;
}

/** `FOR UPDATE` where the database has it (PostgreSQL); SQLite's transaction holds the whole database already. */
function forUpdate(db: Q) {
  return onPostgres(db) ? sql`FOR UPDATE` : sql``;
}
