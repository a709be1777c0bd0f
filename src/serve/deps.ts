import type { SendMailOptions } from 'nodemailer';
import type { Config } from '../config/index.js';
import type { RenderedEmail } from '../email/index.js';
import type { Db } from '../store/index.js';

/** What `serve`'s routes (the readers' pages and the providers' webhooks) are given to work with. */
export interface ServeDeps {
  config: Config;
  db: Db;
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
