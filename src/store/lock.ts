import { hostname } from 'node:os';
import { GazetteError } from '../errors.js';
import { processAlive } from '../util/process.js';
import { type Db, now } from './db.js';

/**
 * One `gazette send` at a time per database: two at once could both pick
 * the same subscriber. The lock is a row in the database, checked and
 * taken in one IMMEDIATE transaction, so two runs that both find a lock
 * left by a killed process cannot both take it over. Returns the release.
 */
export function acquireSendLock(db: Db, file: string): () => void {
  db.transaction(() => {
    const held = db.prepare('SELECT pid, host, started_at FROM send_lock WHERE id = 1').get() as { pid: number; host: string; started_at: string } | undefined;
    if (held && held.pid !== process.pid && processAlive(held.pid)) {
      throw new GazetteError(
        'LOCKED',
        `another gazette send (process ${held.pid} on ${held.host}, since ${held.started_at}) is running on this subscriber database; wait for it, or stop it`,
        { file },
      );
    }
    db.prepare(
      `INSERT INTO send_lock (id, pid, host, started_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at`,
    ).run(process.pid, hostname(), now());
  }).immediate();
  return () => {
    db.prepare('DELETE FROM send_lock WHERE id = 1 AND pid = ?').run(process.pid);
  };
}
