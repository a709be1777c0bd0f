import { createHmac, createVerify, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { ReportKind } from '../store/index.js';
import { enhancedStatus } from '../util/mail.js';
import type { Evidence } from './apply.js';
import { failureKind } from './classify.js';
import { messageIdOf, typedAddress } from './fields.js';

/**
 * Reports from email providers' webhooks (Amazon SES through SNS,
 * Postmark, Mailgun), each verified by the provider's own scheme before a
 * byte of it is believed, then read into the same evidence a bounce
 * mailed back gives. A request that fails verification is refused and
 * changes nothing.
 */

/**
 * How old a provider's event may be. Mailgun signs only a timestamp and a
 * token (not the event), so its window is short and each token is taken
 * once. SNS signs the whole message, retries it for up to an hour under its
 * default policy, and keeps its Timestamp: an hour, each MessageId once.
 * Either may be a little ahead of this clock.
 */
export const REPLAY_WINDOW_MS = { mailgun: 5 * 60_000, sns: 60 * 60_000, ahead: 5 * 60_000 } as const;

/** Deepest nesting a provider's JSON has (SES's is under ten): deeper is refused before it is parsed. */
export const MAX_JSON_DEPTH = 32;

/**
 * Parse a webhook's JSON, refusing nesting deeper than `MAX_JSON_DEPTH`
 * first (one pass over the text, counting brackets outside strings).
 */
export function parseWebhookJson(text: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw new WebhookRefused(`the body is nested deeper than ${MAX_JSON_DEPTH} levels`, 400);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new WebhookRefused('the body is not JSON', 400);
  }
}

/** Refuse an event written outside its replay window (`maxAge` ms before now, or more than a few minutes ahead). */
function checkAge(provider: string, at: number, now: number, maxAge: number): void {
  if (!Number.isFinite(at)) throw new WebhookRefused(`the ${provider} event has no readable timestamp`, 400);
  if (now - at > maxAge || at - now > REPLAY_WINDOW_MS.ahead) {
    throw new WebhookRefused(`the ${provider} event was signed ${Math.round((now - at) / 60_000)} minutes ago, outside its replay window; refused`);
  }
}

export class WebhookRefused extends Error {
  constructor(
    message: string,
    readonly status = 403,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------- Amazon SNS

/** Where SNS keeps its signing certificates: https, on an SNS host of some region, a .pem. */
const SNS_CERT_URL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[^?#]+\.pem$/;
const SNS_SUBSCRIBE_URL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

export interface SnsMessage {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** SNS's string to sign: the fields of the message type, each as `Name\nvalue\n`, in this order. */
function snsStringToSign(m: SnsMessage): string {
  const names =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', ...(m.Subject !== undefined ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return names.map((n) => `${n}\n${(m as unknown as Json)[n] ?? ''}\n`).join('');
}

/**
 * Check an SNS message: from the configured topic, its certificate from an
 * SNS host over https, and the signature good (SHA1 for version 1, SHA256
 * for version 2). `certificate` fetches a URL's text (cached by the caller).
 */
export async function verifySns(body: unknown, topicArn: string, certificate: (url: string) => Promise<string>, now = Date.now()): Promise<SnsMessage> {
  const m = obj(body) as unknown as SnsMessage;
  for (const field of ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const) {
    if (typeof m[field] !== 'string') throw new WebhookRefused(`not an SNS message: no ${field}`, 400);
  }
  if (m.TopicArn !== topicArn) throw new WebhookRefused(`SNS topic ${m.TopicArn} is not webhooks.ses_topic_arn`);
  if (!SNS_CERT_URL.test(m.SigningCertURL)) throw new WebhookRefused('the signing certificate is not on an SNS host');
  const algorithm = m.SignatureVersion === '1' ? 'RSA-SHA1' : m.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
  if (!algorithm) throw new WebhookRefused(`unknown SNS SignatureVersion ${m.SignatureVersion}`);
  let good = false;
  try {
    const cert = new X509Certificate(await certificate(m.SigningCertURL));
    good = createVerify(algorithm).update(snsStringToSign(m), 'utf8').verify(cert.publicKey, m.Signature, 'base64');
  } catch {
    good = false;
  }
  if (!good) throw new WebhookRefused('the SNS signature does not verify');
  checkAge('SNS', Date.parse(m.Timestamp), now, REPLAY_WINDOW_MS.sns);
  return m;
}

/** The URL to visit to confirm an SNS subscription (after `verifySns`), if it is on an SNS host. */
export function snsSubscribeUrl(m: SnsMessage): string | undefined {
  return m.Type === 'SubscriptionConfirmation' && m.SubscribeURL && SNS_SUBSCRIBE_URL.test(m.SubscribeURL) ? m.SubscribeURL : undefined;
}

/** An SES bounce or complaint notification (the older `notificationType` or event publishing's `eventType`). */
export function sesEvidence(m: SnsMessage): Evidence | undefined {
  let n: Json;
  try {
    n = obj(JSON.parse(m.Message));
  } catch {
    return undefined;
  }
  const type = str(n.notificationType) ?? str(n.eventType);
  const mail = obj(n.mail);
  const common = obj(mail.commonHeaders);
  const header = list(mail.headers).find((h) => /^message-id$/i.test(str(obj(h).name) ?? ''));
  const base = {
    source: 'ses',
    authenticated: true,
    envelope: [str(mail.source)].filter((a): a is string => Boolean(a)),
    messageId: messageIdOf(str(common.messageId) ?? str(obj(header).value)),
  };
  if (type === 'Bounce') {
    const b = obj(n.bounce);
    const bounceType = str(b.bounceType) ?? 'Undetermined';
    const subType = str(b.bounceSubType) ?? '';
    return {
      ...base,
      id: `ses:${str(b.feedbackId) ?? m.MessageId}`,
      at: date(str(b.timestamp)),
      recipients: list(b.bouncedRecipients).map((r) => {
        const status = enhancedStatus(str(obj(r).status));
        const diagnostic = str(obj(r).diagnosticCode)?.replace(/^\s*smtp\s*;\s*/i, '') ?? `${bounceType} ${subType}`.trim();
        // SES says Permanent only after its own checks; its suppression list means an address known dead.
        const kind: ReportKind =
          bounceType === 'Permanent'
            ? /Suppressed|OnAccountSuppressionList|NoEmail/.test(subType)
              ? 'hard'
              : failureKind(status ?? '5.0.0', diagnostic)
            : 'soft';
        return { address: typedAddress(str(obj(r).emailAddress)), kind, status, diagnostic };
      }),
    };
  }
  if (type === 'Complaint') {
    const c = obj(n.complaint);
    const feedback = str(c.complaintFeedbackType) ?? 'abuse';
    return {
      ...base,
      id: `ses:${str(c.feedbackId) ?? m.MessageId}`,
      at: date(str(c.timestamp)),
      recipients: list(c.complainedRecipients).map((r) => ({
        address: typedAddress(str(obj(r).emailAddress)),
        kind: feedback === 'not-spam' ? ('none' as const) : ('complaint' as const),
        diagnostic: `feedback-type ${feedback}`,
      })),
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- Postmark

/**
 * Postmark signs nothing: its webhooks carry HTTP basic auth, set in the
 * webhook URL. `auth` is `user:password` from GAZETTE_POSTMARK_WEBHOOK_AUTH.
 */
export function verifyPostmark(authorization: string | undefined, auth: string): void {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
  if (!m || !sameSecret(given, auth)) throw new WebhookRefused('wrong or missing basic auth for the Postmark webhook', 401);
}

const POSTMARK_KIND: Record<string, ReportKind> = {
  HardBounce: 'hard',
  BadEmailAddress: 'hard',
  ManuallyDeactivated: 'hard',
  SoftBounce: 'soft',
  DnsError: 'soft',
  Blocked: 'soft',
  DMARCPolicy: 'soft',
  SpamNotification: 'soft',
  VirusNotification: 'soft',
  SpamComplaint: 'complaint',
};

/** A Postmark bounce or spam complaint webhook. Its MessageID is Postmark's own: the address matches. */
export function postmarkEvidence(body: unknown): Evidence | undefined {
  const b = obj(body);
  const record = str(b.RecordType);
  if (record !== 'Bounce' && record !== 'SpamComplaint') return undefined;
  // The event's ID is its identity: taken once, however often it is posted.
  if (str(b.ID) === undefined) throw new WebhookRefused('the Postmark event has no ID', 400);
  const type = str(b.Type) ?? record;
  const details = str(b.Details) ?? str(b.Description);
  const kind = record === 'SpamComplaint' ? 'complaint' : (POSTMARK_KIND[type] ?? 'none');
  return {
    id: `postmark:${str(b.ID)}`,
    source: 'postmark',
    authenticated: true,
    at: date(str(b.BouncedAt)),
    envelope: [],
    recipients: [{ address: typedAddress(str(b.Email)), kind, status: enhancedStatus(details), diagnostic: `${type}: ${details ?? ''}`.trim() }],
  };
}

// ---------------------------------------------------------------- Mailgun

/**
 * Mailgun signs each event: HMAC-SHA256 of timestamp and token with the
 * webhook signing key. The event data is not signed: only a fresh
 * timestamp, and a token not seen before (the caller's to check), make a
 * captured signature useless. Returns the token.
 */
export function verifyMailgun(body: unknown, signingKey: string, now = Date.now()): string {
  const s = obj(obj(body).signature);
  const timestamp = str(s.timestamp);
  const token = str(s.token);
  const signature = str(s.signature);
  if (!timestamp || !token || !signature) throw new WebhookRefused('the Mailgun event is not signed');
  const expected = createHmac('sha256', signingKey)
    .update(timestamp + token)
    .digest('hex');
  if (!sameSecret(expected, signature.toLowerCase())) throw new WebhookRefused('the Mailgun signature does not verify');
  checkAge('Mailgun', /^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : Number.NaN, now, REPLAY_WINDOW_MS.mailgun);
  return token;
}

/** A Mailgun `failed` (permanent; a temporary one is retried by Mailgun) or `complained` event. */
export function mailgunEvidence(body: unknown): Evidence | undefined {
  const e = obj(obj(body)['event-data']);
  const event = str(e.event);
  if (event !== 'failed' && event !== 'complained') return undefined;
  const status = obj(e['delivery-status']);
  const headers = obj(obj(e.message).headers);
  const rawId = str(headers['message-id']);
  const diagnostic = [str(status.code), str(status.message) || str(status.description)].filter(Boolean).join(' ') || undefined;
  let kind: ReportKind = 'complaint';
  if (event === 'failed') {
    if (str(e.severity) !== 'permanent') kind = 'none';
    else
      kind =
        str(e.reason) === 'suppress-bounce'
          ? 'hard'
          : failureKind(enhancedStatus(str(status['enhanced-code']) ?? diagnostic) ?? (str(status.code)?.startsWith('5') ? '5.0.0' : undefined), diagnostic);
  }
  return {
    id: `mailgun:${str(e.id) ?? str(obj(obj(body).signature).token)}`,
    source: 'mailgun',
    authenticated: true,
    at: typeof e.timestamp === 'number' ? new Date(e.timestamp * 1000) : new Date(),
    envelope: [str(obj(e.envelope).sender)].filter((a): a is string => Boolean(a)),
    messageId: rawId ? (rawId.startsWith('<') ? rawId : `<${rawId}>`) : undefined,
    recipients: [{ address: typedAddress(str(e.recipient)), kind, status: enhancedStatus(diagnostic), diagnostic }],
  };
}

function date(text: string | undefined): Date {
  const d = text ? new Date(text) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}
