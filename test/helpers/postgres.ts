import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { freePort, traversableByOthers } from './imap.js';
import { describeWith } from './system.js';

/**
 * Debian's PostgreSQL server programs: `postgresql` installs them under
 * /usr/lib/postgresql/<version>/bin, off the PATH; the newest is taken.
 */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/** `initdb --version` as `describeWith` checks a program (empty when PostgreSQL is not installed). */
export const INITDB = `${postgresBin() ?? '/usr/lib/postgresql/<version>/bin'}/initdb --version`;

export interface TestPostgres {
  port: number;
  /** The server's superuser and its password (host connections need it: scram-sha-256). */
  user: string;
  password: string;
  /** A new, empty database: its `postgres://user:password@127.0.0.1:port/name` URL. */
  createDatabase(): Promise<string>;
  /** Stop the server at once and remove its folder. */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of the test's own, on a free loopback port, with its
 * data in a temporary folder: `initdb` and `pg_ctl` run as the user running
 * the tests, or as Debian's `postgres` user when that is root (the server
 * refuses to run as root). Durability is off: a test's data need not
 * survive a power cut, and the suite runs faster without it.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const root = process.getuid?.() === 0;
  // As root, the postgres user must reach the folder: a private TMPDIR (as CI's) is not traversable.
  const tmp = root && !traversableByOthers(os.tmpdir()) ? '/tmp' : os.tmpdir();
  const dir = await mkdtemp(path.join(tmp, 'gazette-pg-'));
  const user = 'gazette_test';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const as = (program: string, args: string[]) => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args]] : [path.join(bin, program), args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${program} failed: ${r.stderr || r.stdout || r.error?.message}`);
  };
  try {
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      await chown(dir, uid, gid);
    }
    const pwfile = path.join(dir, 'pw');
    await writeFile(pwfile, `${password}\n`, { mode: 0o644 });
    as('initdb', [
      '-D',
      path.join(dir, 'data'),
      '-U',
      user,
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    as('pg_ctl', ['-D', path.join(dir, 'data'), '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let databases = 0;
  const url = (name: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${name}`;
  return {
    port,
    user,
    password,
    async createDatabase() {
      const name = `gazette_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      try {
        as('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A server no test reaches (suites skipped in mutation runs). */
const notStarted: TestPostgres = {
  port: 0,
  user: '',
  password: '',
  createDatabase: () => Promise.reject(new Error('PostgreSQL is not started in mutation runs')),
  stop: async () => {},
};

/**
 * A suite with a PostgreSQL server of its own, started before its first
 * test and removed after its last; skipped on a developer's machine without
 * PostgreSQL, failed where every program is required (`describeWith`).
 * `body` is given the server, ready once a test runs.
 */
export function describeOnPostgres(name: string, body: (server: TestPostgres) => void): void {
  // `npm run mutate` reruns a suite per mutant: a server started each time would cost seconds per
  // mutant for SQL that the SQLite half runs too (vitest.mutate.config.ts; docs/mutation.md).
  if (process.env.GAZETTE_MUTATE_SQLITE_ONLY === '1') {
    describe.skip(name, () => body(notStarted));
    return;
  }
  describeWith(INITDB, 'apt-get install postgresql', name, () => {
    let running: TestPostgres | undefined;
    beforeAll(async () => {
      running = await startPostgres();
    }, 120_000);
    afterAll(() => running?.stop());
    const ready = () => {
      if (!running) throw new Error('the test PostgreSQL is not started yet');
      return running;
    };
    body({
      get port() {
        return ready().port;
      },
      get user() {
        return ready().user;
      },
      get password() {
        return ready().password;
      },
      createDatabase: () => ready().createDatabase(),
      stop: () => ready().stop(),
    });
  });
}
