import type { SendMailOptions } from 'nodemailer';
import type { Config } from '../config/index.js';
import type { RenderedEmail } from '../email/index.js';
import type { ConfirmationCaps, ConfirmationSlot, LeftHow, Preferences, Q, SubscribeRequest, SubscriberRow } from '../store/index.js';

/**
 * What `serve`'s routes need of the subscriber store, owned here as the
 * send pipeline owns `SendStore`: the store implements it on SQLite or
 * PostgreSQL (`readerStore` in store/readers.ts). Each call is one
 * transaction.
 */
export interface ReaderStore {
  subscriber(id: number): Promise<SubscriberRow | undefined>;
  /** A form's request: the reader to mail a confirmation to (and the slot it took), or none, or the hour's caps spent. */
  requestSubscription(email: string, name: string | undefined, caps: ConfirmationCaps, at: Date): Promise<SubscribeRequest>;
  /** Give back a confirmation's slot when its mail failed. */
  releaseSlot(slot: ConfirmationSlot): Promise<void>;
  confirm(id: number): Promise<'subscribed' | 'already'>;
  leave(id: number, how: LeftHow): Promise<'unsubscribed' | 'already'>;
  undoLeave(id: number): Promise<'subscribed' | 'unchanged'>;
  /** What a reader chose: topics (none: everything) and how often. */
  preferences(id: number): Promise<Preferences>;
  /** Record a reader's choice, with its time. */
  setPreferences(id: number, preferences: Preferences, at: Date): Promise<void>;
  /** Take a provider's event once: false when it was taken before (within its replay window). */
  claimEvent(id: string, at: Date, keepUntil: Date | undefined): Promise<boolean>;
  /** Give an event back when applying it failed, so that the provider's retry is taken. */
  releaseEvent(id: string): Promise<void>;
  /** Throws when the store cannot be read (the health check). */
  ping(): Promise<void>;
  /** Count a request against a limit every `serve` of the list shares: the hits in the current window, and when it began. */
  countHit(key: string, windowMs: number, at: Date): Promise<{ hits: number; start: Date }>;
  /** Whether several `serve` processes may share the list (then they share their request limits through `countHit`). */
  shared: boolean;
}

/** What `serve`'s routes (the readers' pages and the providers' webhooks) are given to work with. */
export interface ServeDeps {
  config: Config;
  store: ReaderStore;
  /** The database the reports of the webhooks are applied to (bounces/ works on it directly). */
  db: Q;
  secret: Buffer;
  /** Mails one message (the send module's carrier: same SMTP settings and DKIM as `send`). */
  mail: (message: SendMailOptions) => Promise<unknown>;
  /** The confirmation email, rendered once. */
  confirmation: () => Promise<RenderedEmail>;
  /** Where problems that are not the reader's go (a failed confirmation mail). */
  log: (line: string) => void;
  /** The present (tests move it). */
  now?: () => number;
  /** Secrets of the webhooks turned on in `[webhooks]` (from the environment). */
  webhookSecrets?: { postmark?: string | undefined; mailgun?: string | undefined };
  /** GET a URL's text over https (SNS certificates, SNS subscription confirmations); tests stand in for Amazon. */
  fetchText?: (url: string) => Promise<string>;
}
