import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GazetteError } from '../errors.js';

export type Db = Database.Database;

/**
 * Versioned migrations: migration N brings the schema from version N-1 to
 * N (`PRAGMA user_version`). Never edit one that has shipped; add another.
 */
const MIGRATIONS: string[] = [
  // 1: subscribers and the delivery ledger.
  `
  CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL,
    email_key       TEXT NOT NULL UNIQUE,          -- lower-cased: unique without regard to case
    name            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'subscribed', 'unsubscribed', 'bounced')),
    source          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    subscribed_at   TEXT,
    unsubscribed_at TEXT
  );
  CREATE INDEX subscribers_status ON subscribers (status, id);

  CREATE TABLE deliveries (
    issue          TEXT NOT NULL,                  -- the issue's id (tag: URI)
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id),
    state          TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'deferred', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_response  TEXT,
    message_id     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    sent_at        TEXT,
    PRIMARY KEY (issue, subscriber_id)
  ) WITHOUT ROWID;
  CREATE INDEX deliveries_state ON deliveries (issue, state, subscriber_id);

  CREATE TABLE issues (
    id         TEXT PRIMARY KEY,                   -- the issue's id (tag: URI)
    slug       TEXT NOT NULL,
    title      TEXT NOT NULL,
    first_sent_at TEXT NOT NULL
  );
  `,
  // 2: deliveries keyed by the send key (its slug, or front matter `id`), not by its feed
  // id, which changes with the date or the site's host; where two old keys meet, the better
  // record wins (sent, failed, sending, deferred). The send lock moves into the database.
  `
  CREATE TABLE deliveries_v2 (
    issue          TEXT NOT NULL,                  -- the issue's send key
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers (id),
    state          TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'deferred', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_response  TEXT,
    message_id     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    sent_at        TEXT,
    PRIMARY KEY (issue, subscriber_id)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO deliveries_v2
    SELECT COALESCE(i.slug, d.issue), d.subscriber_id, d.state, d.attempts, d.last_response, d.message_id, d.created_at, d.updated_at, d.sent_at
    FROM deliveries d LEFT JOIN issues i ON i.id = d.issue
    ORDER BY CASE d.state WHEN 'sent' THEN 0 WHEN 'failed' THEN 1 WHEN 'sending' THEN 2 ELSE 3 END;
  DROP TABLE deliveries;
  ALTER TABLE deliveries_v2 RENAME TO deliveries;
  CREATE INDEX deliveries_state ON deliveries (issue, state, subscriber_id);

  CREATE TABLE issues_v2 (
    key           TEXT PRIMARY KEY,                -- the send key
    slug          TEXT NOT NULL,
    title         TEXT NOT NULL,
    feed_id       TEXT NOT NULL,                   -- the tag: URI it had when last sent
    first_sent_at TEXT NOT NULL
  );
  INSERT OR IGNORE INTO issues_v2 SELECT slug, slug, title, id, first_sent_at FROM issues ORDER BY first_sent_at;
  DROP TABLE issues;
  ALTER TABLE issues_v2 RENAME TO issues;

  CREATE TABLE send_lock (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    pid        INTEGER NOT NULL,
    host       TEXT NOT NULL,
    started_at TEXT NOT NULL
  );
  `,
  // 3: how each subscriber left (one-click, page, command, bounce, import), and when a
  // confirmation was last mailed to them (one an hour at most; an invite asks each once).
  `
  ALTER TABLE subscribers ADD COLUMN unsubscribed_how TEXT;
  ALTER TABLE subscribers ADD COLUMN confirm_sent_at TEXT;
  `,
  // 4: what came back after a delivery: a bounce (hard or soft, with its status code and
  // diagnostic) or a complaint, on the delivery; and every report processed, by its identity,
  // so the same report twice changes nothing.
  `
  ALTER TABLE deliveries ADD COLUMN bounce TEXT CHECK (bounce IN ('hard', 'soft'));
  ALTER TABLE deliveries ADD COLUMN bounce_status TEXT;
  ALTER TABLE deliveries ADD COLUMN bounce_diagnostic TEXT;
  ALTER TABLE deliveries ADD COLUMN bounced_at TEXT;
  ALTER TABLE deliveries ADD COLUMN complained_at TEXT;
  CREATE INDEX deliveries_message_id ON deliveries (message_id);
  CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, sent_at);
  UPDATE deliveries SET bounce = 'hard', bounced_at = updated_at, bounce_diagnostic = last_response
    WHERE state = 'failed' AND subscriber_id IN (SELECT id FROM subscribers WHERE status = 'bounced');

  CREATE TABLE reports (
    id            TEXT PRIMARY KEY,                -- the report's identity (its Message-ID and recipient, or a provider's event id)
    received_at   TEXT NOT NULL,
    source        TEXT NOT NULL,                   -- mail, ses, postmark, mailgun
    kind          TEXT NOT NULL,                   -- hard, soft, complaint, none
    subscriber_id INTEGER REFERENCES subscribers (id),
    issue         TEXT,
    status        TEXT,
    diagnostic    TEXT,
    outcome       TEXT NOT NULL                    -- what it did: bounced, unsubscribed, counted, unchanged, unmatched, forged
  ) WITHOUT ROWID;
  `,
  // 5: what protects the list from outsiders: the provider events already taken (a replayed
  // webhook changes nothing), and each confirmation mailed, by mailbox (the address without its
  // +tag) and domain, for the hourly caps.
  `
  CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,                   -- provider:event id (a Mailgun token, an SNS MessageId, a Postmark ID)
    seen_at    TEXT NOT NULL,
    keep_until TEXT NOT NULL                       -- past its replay window: pruned
  ) WITHOUT ROWID;
  CREATE INDEX webhook_events_keep ON webhook_events (keep_until);

  CREATE TABLE confirmations_sent (
    mailbox TEXT NOT NULL,                         -- the address lower-cased, without its +tag (and dots, where the provider ignores them)
    domain  TEXT NOT NULL,
    sent_at TEXT NOT NULL
  );
  CREATE INDEX confirmations_sent_mailbox ON confirmations_sent (mailbox, sent_at);
  CREATE INDEX confirmations_sent_domain ON confirmations_sent (domain, sent_at);
  CREATE INDEX confirmations_sent_at ON confirmations_sent (sent_at);
  `,
  // 6: a confirmation's slot named by an id of its own (PostgreSQL has no rowid), as the list's
  // PostgreSQL schema has it.
  `
  CREATE TABLE confirmations_sent_v6 (
    id      INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    domain  TEXT NOT NULL,
    sent_at TEXT NOT NULL
  );
  INSERT INTO confirmations_sent_v6 (id, mailbox, domain, sent_at) SELECT rowid, mailbox, domain, sent_at FROM confirmations_sent;
  DROP TABLE confirmations_sent;
  ALTER TABLE confirmations_sent_v6 RENAME TO confirmations_sent;
  CREATE INDEX confirmations_sent_mailbox ON confirmations_sent (mailbox, sent_at);
  CREATE INDEX confirmations_sent_domain ON confirmations_sent (domain, sent_at);
  CREATE INDEX confirmations_sent_at ON confirmations_sent (sent_at);
  `,
];

/**
 * Migrations after 6, written once for SQLite and PostgreSQL alike (a
 * PostgreSQL list starts from schema 6, `postgres-schema.ts`): migration
 * `SQLITE_ONLY + n` is entry `n - 1`. Plain SQL both read; one statement each.
 */
export const SHARED_MIGRATIONS: string[] = [
  // 7: the send lock's heartbeat: the holder writes it every few seconds, so a lock taken on another
  // machine (whose process this one cannot look up) is known to be held, and known stale once it stops.
  'ALTER TABLE send_lock ADD COLUMN beat_at TEXT',
  // 8: request counts per client and route, for `serve` replicas that share one list: a client's
  // minute is counted by all of them together.
  'CREATE TABLE rate_limits (key TEXT PRIMARY KEY, window_start TEXT NOT NULL, hits INTEGER NOT NULL)',
  // 9, 10: deliveries claimed by a send worker until a time (its lease, renewed while it works): several
  // workers share an issue, and a killed one's claims go back to the others when its lease runs out.
  'CREATE TABLE claims (issue TEXT NOT NULL, subscriber_id INTEGER NOT NULL, worker TEXT NOT NULL, until TEXT NOT NULL, PRIMARY KEY (issue, subscriber_id))',
  'CREATE INDEX claims_worker ON claims (issue, worker)',
  // 11: which worker carried each message, for `status`.
  'ALTER TABLE deliveries ADD COLUMN sent_by TEXT',
  // 12: which relay carried it ([[smtp]] may list several).
  'ALTER TABLE deliveries ADD COLUMN relay TEXT',
  // 13: messages per relay and hour, for a relay's daily limit: every sender and issue together.
  'CREATE TABLE quota_hits (key TEXT NOT NULL, bucket INTEGER NOT NULL, hits INTEGER NOT NULL, PRIMARY KEY (key, bucket))',
  // 14-18: readers' choice. How often (every issue, or the weekly roll-up), the topics chosen (none: everything),
  // when they last chose; and each issue's edition and topics, so that `status` counts who it was for.
  "ALTER TABLE subscribers ADD COLUMN frequency TEXT NOT NULL DEFAULT 'daily'",
  'CREATE TABLE subscriber_topics (subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE, topic TEXT NOT NULL, PRIMARY KEY (subscriber_id, topic))',
  'ALTER TABLE subscribers ADD COLUMN preferences_at TEXT',
  "ALTER TABLE issues ADD COLUMN edition TEXT NOT NULL DEFAULT 'daily'",
  'ALTER TABLE issues ADD COLUMN topics TEXT',
  // 19: request counts a day old are pruned whenever a client's window begins (store/events.ts): found by start.
  'CREATE INDEX rate_limits_start ON rate_limits (window_start)',
];

const SQLITE_ONLY = MIGRATIONS.length;

export const SCHEMA_VERSION = SQLITE_ONLY + SHARED_MIGRATIONS.length;

/** Open (creating if needed) the database: WAL, foreign keys, migrated to the current version. */
export function openDatabase(file: string): Db {
  let db: Db;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // Readable by its owner only: it holds every reader's address. SQLite gives its -wal and
    // -shm files the same mode as the database file.
    closeSync(openSync(file, 'a', 0o600));
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    db = new Database(file, { timeout: 5000 });
  } catch (err) {
    throw new GazetteError('DB', `cannot open the subscriber database: ${(err as Error).message}`, { file });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
  } catch (err) {
    db.close();
    if (err instanceof GazetteError) throw err;
    throw new GazetteError('DB', `cannot use the subscriber database: ${(err as Error).message} (subscribers.database)`, { file });
  }
  return db;
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new GazetteError('DB', `the subscriber database is from a newer Gazette (schema ${version}, this one knows ${SCHEMA_VERSION})`, {
      file,
    });
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(v < SQLITE_ONLY ? MIGRATIONS[v]! : SHARED_MIGRATIONS[v - SQLITE_ONLY]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Timestamps are ISO 8601 UTC strings. */
export const now = (): string => new Date().toISOString();
