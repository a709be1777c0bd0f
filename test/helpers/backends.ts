import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RawBuilder, sql } from 'kysely';
import { afterAll, describe } from 'vitest';
import type { DatabaseLocation } from '../../src/config/index.js';
import { openStore, type Q, type Store } from '../../src/store/index.js';
import { describeOnPostgres } from './postgres.js';

export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** A new, empty list: a SQLite file in a temporary folder, or a database of its own on the test's server. */
  location(): Promise<DatabaseLocation>;
  /** The same, opened. */
  open(): Promise<Store>;
}

/**
 * Run `body` twice: on SQLite, and on a PostgreSQL server of the file's own
 * (started once, removed at the end; required where every program is, see
 * `describeWith`). Each `location()` is a fresh list.
 */
export function onEachBackend(name: string, body: (backend: Backend) => void): void {
  describe(`${name} (SQLite)`, () => {
    const dirs: string[] = [];
    afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
    const location = async (): Promise<DatabaseLocation> => {
      const dir = await mkdtemp(path.join(tmpdir(), 'gazette-store-'));
      dirs.push(dir);
      return { kind: 'sqlite', file: path.join(dir, 'gazette.db') };
    };
    body({ name: 'SQLite', location, open: async () => openStore(await location()) });
  });
  describeOnPostgres(`${name} (PostgreSQL)`, (server) => {
    const location = async (): Promise<DatabaseLocation> => {
      const url = await server.createDatabase();
      const where = new URL(url);
      where.password = '';
      return { kind: 'postgres', url, where: where.toString(), host: `127.0.0.1:${server.port}` };
    };
    body({ name: 'PostgreSQL', location, open: async () => openStore(await location()) });
  });
}

/** The first row a query gives (tests read the tables directly). */
export async function firstRow<T = Record<string, unknown>>(db: Q, query: RawBuilder<unknown>): Promise<T | undefined> {
  return (await query.execute(db)).rows[0] as T | undefined;
}

export { sql };
