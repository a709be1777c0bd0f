import { randomBytes } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { type Config, need } from '../config/index.js';

/** What composing reads of the config: the sender, the site's name and address. */
type MailConfig = Pick<Config, 'file' | 'email' | 'site'>;

import { personalizeHtml, personalizeText, type RenderedEmail } from '../email/index.js';
import type { Recipient } from '../store/index.js';

export interface ComposeInput {
  config: MailConfig;
  /** The email, rendered once. */
  email: RenderedEmail;
  /** Who gets it (`name` may be empty). */
  to: Pick<Recipient, 'email' | 'name'>;
  /** This subscriber's personal one-click unsubscribe URL. */
  unsubscribeUrl: string;
  /** This subscriber's preferences page (the footer's link). */
  preferencesUrl?: string;
  /** Defaults to now. */
  date?: Date;
  /** The envelope sender (VERP, `bounces+…@return_path_domain`); default the From address. */
  returnPath?: string | undefined;
  /** Decided once per issue (see `transferEncoding`), so nodemailer does not scan every copy. */
  textEncoding?: 'base64' | 'quoted-printable';
  /** The delivery's Message-ID (`deliveryMessageId`); a copy outside the ledger (a test copy, a preview) gets a random one. */
  messageId?: string;
}

/**
 * The transfer encoding for an issue's parts, chosen as nodemailer would:
 * base64 for text that is mostly non-Latin (Chinese), quoted-printable
 * otherwise. Deciding it once per issue spares a scan of every message.
 */
export function transferEncoding(text: string): 'base64' | 'quoted-printable' {
  let latin = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) other++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return other > latin ? 'base64' : 'quoted-printable';
}

/** The host part used in Message-ID and List-Id: the sender's domain. */
export function senderDomain(config: Pick<Config, 'email' | 'site'>): string {
  const from = config.email.from ?? '';
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split('@')[1]?.trim().toLowerCase() || new URL(config.site.baseUrl).hostname;
}

/** A Message-ID for a message that is no ledgered delivery (a confirmation, a test copy). */
const randomMessageId = (config: MailConfig): string => `<${randomBytes(16).toString('hex')}@${senderDomain(config)}>`;

/** `List-ID: "Site Title" <host>` (RFC 2919), stable for the newsletter; nodemailer encodes the title. */
export function listId(config: MailConfig): { url: string; comment: string } {
  return { url: new URL(config.site.baseUrl).hostname, comment: config.site.title.replace(/[\r\n<>]/g, ' ').trim() };
}

/**
 * One subscriber's message, as nodemailer options (composing is separate
 * from the transport that carries it). multipart/alternative with the text
 * part first; one-click unsubscribe headers (RFC 2369, RFC 8058).
 */
export function composeMessage(input: ComposeInput): SendMailOptions {
  const { config, email, to, unsubscribeUrl, preferencesUrl } = input;
  return {
    ...personalMessage(config, email, to, { unsubscribeUrl, ...(preferencesUrl ? { preferencesUrl } : {}) }, input.date),
    messageId: input.messageId ?? randomMessageId(config),
    list: {
      id: listId(config),
      unsubscribe: { url: unsubscribeUrl, comment: 'Unsubscribe' },
    },
    headers: {
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    ...envelope(input.returnPath, to.email),
    ...(input.textEncoding ? { textEncoding: input.textEncoding } : {}),
  };
}

/** The SMTP envelope when the sender is a VERP address: bounces come back to it, naming this delivery. */
function envelope(returnPath: string | undefined, to: string): Pick<SendMailOptions, 'envelope'> {
  return returnPath ? { envelope: { from: returnPath, to } } : {};
}

/** What every message Gazette mails has: sender, recipient, subject, date, and the rendered email filled in for this reader. */
function personalMessage(
  config: MailConfig,
  email: RenderedEmail,
  to: Pick<Recipient, 'email' | 'name'>,
  links: { unsubscribeUrl?: string; preferencesUrl?: string; confirmUrl?: string },
  date = new Date(),
): SendMailOptions {
  const from = need(config, 'email.from');
  const personal = {
    unsubscribeUrl: links.unsubscribeUrl ?? '',
    ...(links.preferencesUrl ? { preferencesUrl: links.preferencesUrl } : {}),
    ...(links.confirmUrl ? { confirmUrl: links.confirmUrl } : {}),
    name: to.name,
    email: to.email,
  };
  return {
    from,
    to: to.name ? { name: to.name, address: to.email } : to.email,
    ...(config.email.replyTo ? { replyTo: config.email.replyTo } : {}),
    subject: email.subject,
    date,
    text: personalizeText(email, personal),
    html: personalizeHtml(email, personal),
  };
}

/**
 * A confirmation email for one reader: no list headers (it is not the
 * newsletter yet), a fresh Message-ID, marked as sent by a machine.
 */
export function composeConfirmation(input: {
  config: MailConfig;
  email: RenderedEmail;
  to: Pick<Recipient, 'email' | 'name'>;
  confirmUrl: string;
  returnPath?: string | undefined;
  date?: Date;
}): SendMailOptions {
  const { config, email, to, confirmUrl } = input;
  return {
    ...personalMessage(config, email, to, { confirmUrl }, input.date),
    messageId: randomMessageId(config),
    headers: { 'Auto-Submitted': 'auto-generated' },
    ...envelope(input.returnPath, to.email),
  };
}
