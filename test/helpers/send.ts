import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/index.js';
import type { SendEnv } from '../../src/cli/send.js';
import type { DatabaseLocation } from '../../src/config/index.js';
import { type Db, openDatabase } from '../../src/store/index.js';
import { insertSubscriber } from '../../src/store/subscribers.js';
import { BASE_CONFIG, makeSite, type Run } from './site.js';

export const SECRET = 'test-secret-0123456789abcdef';

export function sendConfig(extra = '', connections = 2): string {
  return `${BASE_CONFIG}
[server]
public_url = "https://news.example.com/newsletter/"

[send]
max_connections = ${connections}
retry_attempts = 2
retry_delay = 0.05
${extra}`;
}

/** A site with one issue and `count` subscribers (sub0@example.org, sub1@…). */
export async function sendSite(count: number, options: { extraConfig?: string; title?: string; connections?: number } = {}) {
  const title = options.title ?? 'Issue one';
  const dir = await makeSite(
    {
      'content/issue-one.md': `+++\ntitle = ${JSON.stringify(title)}\ndate = 2026-02-01T08:00:00+08:00\n+++\n\n**Hello** readers. [A link](https://example.org/a).\n`,
    },
    sendConfig(options.extraConfig, options.connections),
  );
  const config = path.join(dir, 'gazette.toml');
  const dbFile = path.join(dir, 'data', 'gazette.db');
  const db = openDatabase(dbFile);
  db.transaction(() => {
    for (let i = 0; i < count; i++) insertSubscriber(db, { email: `sub${i}@example.org`, name: `Sub ${i}`, status: 'subscribed', source: 'test' });
  })();
  db.close();
  return { dir, config, dbFile };
}

export function openDb(dbFile: string): Db {
  return openDatabase(dbFile);
}

export interface Terminal {
  /** Pretend standard input is a terminal, answering every question with this. */
  answer: string;
  /** The questions asked. */
  questions: string[];
}

/** Run the CLI in-process with a controlled environment (SMTP URL; no terminal unless `terminal`). */
export async function gazetteWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return gazetteAt(undefined, env, ...args);
}

export async function gazetteAt(terminal: Terminal | undefined, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stderr = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;
  const senv: SendEnv = {
    env: { GAZETTE_SECRET: SECRET, ...env },
    stdinIsTty: Boolean(terminal),
    stderr,
    ask: async (question) => {
      terminal?.questions.push(question);
      return terminal?.answer ?? 'n';
    },
    onInterrupt: () => () => undefined,
  };
  const code = await main(['node', 'gazette', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, senv);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

export function deliveries(dbFile: string): Array<{ email: string; state: string; attempts: number; last_response: string }> {
  const db = openDatabase(dbFile);
  try {
    return db
      .prepare('SELECT s.email, d.state, d.attempts, d.last_response FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY s.id')
      .all() as Array<{ email: string; state: string; attempts: number; last_response: string }>;
  } finally {
    db.close();
  }
}

/** Record `pid` as the holder of the database's send lock, as a running send would. */
export function holdLock(dbFile: DatabaseLocation | string, pid: number): void {
  const db = openDatabase(dbFile);
  try {
    db.prepare("INSERT OR REPLACE INTO send_lock (id, pid, host, started_at) VALUES (1, ?, 'test', '2026-01-01T00:00:00Z')").run(pid);
  } finally {
    db.close();
  }
}
