import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { GazetteError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One `gazette send` at a time per database: two at once could both pick
 * the same subscriber. The lock file holds the sender's process id; a lock
 * left by a process that no longer runs (killed) is taken over.
 */
export function acquireSendLock(databaseFile: string): () => void {
  const file = `${databaseFile}.send-lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GazetteError('DB', `cannot write the send lock beside the subscriber database: ${(err as Error).message}`, { file });
      }
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new GazetteError('LOCKED', `another gazette send (process ${pid}) is running on this subscriber database; wait for it, or stop it`, {
          file,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new GazetteError('LOCKED', 'could not take the send lock', { file });
}
