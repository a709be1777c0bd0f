import type { Generated } from 'kysely';

/**
 * The list's tables as Kysely types them: the same on SQLite and
 * PostgreSQL (times are ISO 8601 text on both; ids are numbers).
 */
export interface Tables {
  subscribers: {
    id: Generated<number>;
    email: string;
    email_key: string;
    name: Generated<string>;
    status: 'pending' | 'subscribed' | 'unsubscribed' | 'bounced';
    source: Generated<string>;
    created_at: string;
    updated_at: string;
    subscribed_at: string | null;
    unsubscribed_at: string | null;
    unsubscribed_how: string | null;
    confirm_sent_at: string | null;
    frequency: Generated<'daily' | 'weekly'>;
    preferences_at: string | null;
  };
  subscriber_topics: { subscriber_id: number; topic: string };
  deliveries: {
    issue: string;
    subscriber_id: number;
    state: 'sending' | 'sent' | 'deferred' | 'failed';
    attempts: Generated<number>;
    last_response: string | null;
    message_id: string;
    created_at: string;
    updated_at: string;
    sent_at: string | null;
    bounce: 'hard' | 'soft' | null;
    bounce_status: string | null;
    bounce_diagnostic: string | null;
    bounced_at: string | null;
    complained_at: string | null;
    sent_by: string | null;
    relay: string | null;
  };
  issues: { key: string; slug: string; title: string; feed_id: string; first_sent_at: string; edition: Generated<'daily' | 'weekly'>; topics: string | null };
  quota_hits: { key: string; bucket: number; hits: number };
  send_lock: { id: number; pid: number; host: string; started_at: string; beat_at: string | null };
  reports: {
    id: string;
    received_at: string;
    source: string;
    kind: string;
    subscriber_id: number | null;
    issue: string | null;
    status: string | null;
    diagnostic: string | null;
    outcome: string;
  };
  webhook_events: { id: string; seen_at: string; keep_until: string };
  rate_limits: { key: string; window_start: string; hits: number };
  claims: { issue: string; subscriber_id: number; worker: string; until: string };
  confirmations_sent: { id: Generated<number>; mailbox: string; domain: string; sent_at: string };
  /** PostgreSQL only: the schema's version (SQLite keeps it in `PRAGMA user_version`). */
  gazette_schema: { version: number };
}
