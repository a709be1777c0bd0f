import { createHash } from 'node:crypto';
import { type AddressObject, type Attachment, type ParsedMail, simpleParser } from 'mailparser';
import type { ReportKind } from '../store/index.js';
import { enhancedStatus } from '../util/mail.js';
import { actionKind, failureKind } from './classify.js';
import { type Fields, fieldBlocks, headerBlock, messageIdOf, typedAddress } from './fields.js';
import { reportPrefix } from './shrink.js';

/**
 * A message that came back to the bounce mailbox, read: what kind of
 * report it is, whom it is about, and what it says. Only structured data
 * names a recipient: a DSN's fields, an ARF report's fields, the attached
 * original's headers, `X-Failed-Recipients`, or qmail's `<address>:` lines;
 * never an address found somewhere in free text.
 */
export interface MailReport {
  /** `dsn` (RFC 3464), `arf` (RFC 5965), `bounce` (a non-standard failure notice), `auto-reply` (out of office, a delay notice). */
  type: 'dsn' | 'arf' | 'bounce' | 'auto-reply';
  /** The report's identity: its own Message-ID, or a hash of its bytes. */
  id: string;
  /** When it was written (its Date), or now. */
  at: Date;
  /** Addresses it was delivered to (`Delivered-To`, `X-Original-To`, `To`…): a VERP address among them names the delivery. */
  deliveredTo: string[];
  /** The original message, from the copy or headers attached (or quoted). */
  original: { messageId?: string | undefined; returnPath?: string | undefined };
  /** One entry per recipient it reports on. */
  recipients: RecipientReport[];
}

export interface RecipientReport {
  /** The failed recipient or the complainer, when a structured field names them. */
  address?: string | undefined;
  kind: ReportKind;
  status?: string | undefined;
  diagnostic?: string | undefined;
}

/** A report this big is not a report: skipped unread. */
export const MAX_REPORT_BYTES = 25 * 1024 * 1024;
/** Recipients read from one report (a real one names a few; each is looked at once). */
export const MAX_RECIPIENTS = 100;

const DAEMON_FROM = /mailer-daemon|postmaster|mail ?delivery|maildelivery|mdaemon|bounce|系统退信|退信/i;
const BOUNCE_SUBJECT =
  /undeliver|not (be )?delivered|delivery (status notification|failure|has failed|failed)|returned mail|returned to sender|failure notice|mail delivery (failed|failure|system)|delivery problem|rejected|退信|未能送达|未送达|投递失败|发送失败|无法投递|被退回|退回|無法傳遞|送信できません/i;
const DELAY = /\(delay\)|delayed|warning: could not send|will (continue to )?retry|still (being )?tr(y|ied)|延迟|延遲|仍在尝试|稍后重试/i;
const AUTO_REPLY_SUBJECT =
  /^\s*(auto(matic)?[ -]?(reply|response|answer)|out of (the )?office|autoreply|away from|vacation|r\S{1,2}ponse automatique|automatische antwort|abwesenheitsnotiz|respuesta autom\S{1,2}tica|risposta automatica|resposta autom\S{1,2}tica|自动回复|自動回覆|自動回复|自動応答|不在办公室|休假)/i;
/** Lines that start a quoted original in a plain-text bounce (qmail, Exim, Chinese providers). */
const ORIGINAL_MARKER =
  /(below this line is a copy of the message|this is a copy of the message|original message (headers|follows)|------ ?original message|the original message was|原始邮件|原邮件|原信件|邮件头)/i;

/**
 * Read one message. Undefined when it is not a report of any kind (a
 * reader's reply, a newsletter, spam): it must be left alone.
 */
export async function parseReport(raw: Buffer, env: { deliveredTo?: string[] | undefined } = {}): Promise<MailReport | undefined> {
  if (raw.length > MAX_REPORT_BYTES) return undefined;
  // Only what a report is read from is parsed: the headers, the report parts, the start of the text.
  const prefix = await reportPrefix(raw);
  if (!prefix) return undefined;
  let mail: ParsedMail;
  try {
    mail = await simpleParser(prefix, { keepDeliveryStatus: true, ignoreEmbedded: true, skipHtmlToText: true, skipTextLinks: true, skipImageLinks: true });
  } catch {
    return undefined;
  }
  const header = (name: string) => headerText(mail.headers.get(name));
  const contentType = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const reportType = (contentType?.value ?? '').toLowerCase() === 'multipart/report' ? (contentType?.params?.['report-type'] ?? '').toLowerCase() : '';
  const base = {
    id: mail.messageId ? `mail:${mail.messageId}` : `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    at: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : new Date(),
    deliveredTo: deliveredTo(mail, env.deliveredTo),
    original: original(mail),
  };
  const part = (...types: string[]) => mail.attachments.find((a) => types.includes(a.contentType.toLowerCase()));

  const feedback = part('message/feedback-report');
  if (reportType === 'feedback-report' || feedback) {
    const fields = fieldBlocks(feedback ? attachmentText(feedback) : '')[0] ?? new Map<string, string>();
    const type = (fields.get('feedback-type') ?? 'abuse').toLowerCase();
    return {
      type: 'arf',
      ...base,
      recipients: [
        {
          address: typedAddress(fields.get('original-rcpt-to')),
          // not-spam (RFC 6650) is a reader taking a complaint back: nothing to do.
          kind: type === 'not-spam' ? 'none' : 'complaint',
          diagnostic: `feedback-type ${type}${fields.get('user-agent') ? ` from ${fields.get('user-agent')}` : ''}`,
        },
      ],
    };
  }

  const status = part('message/delivery-status', 'message/global-delivery-status');
  if (status) {
    const [perMessage, ...perRecipient] = fieldBlocks(attachmentText(status));
    const recipients = perRecipient
      .slice(0, MAX_RECIPIENTS)
      .map(dsnRecipient)
      .filter((r): r is RecipientReport => r !== undefined);
    // Postfix names the envelope sender of the message that failed: the VERP address.
    const sender = typedAddress(perMessage?.get('x-postfix-sender'));
    if (sender) base.deliveredTo.push(sender);
    if (recipients.length) return { type: 'dsn', ...base, recipients };
  }

  const text = mail.text ?? '';
  const subject = mail.subject ?? '';
  const fromDaemon = isDaemon(mail);
  const failed = header('x-failed-recipients');
  if (fromDaemon && (BOUNCE_SUBJECT.test(subject) || failed || reportType === 'delivery-status')) {
    if (DELAY.test(subject) || (!failed && DELAY.test(text.slice(0, 2000)) && !/permanent|given up|giving up/i.test(text))) {
      return { type: 'auto-reply', ...base, recipients: [{ kind: 'none', diagnostic: 'a delay notice' }] };
    }
    return { type: 'bounce', ...base, recipients: plainBounce(text, failed) };
  }

  if (isAutoReply(mail, subject)) return { type: 'auto-reply', ...base, recipients: [{ kind: 'none', diagnostic: 'an automatic reply' }] };
  return undefined;
}

function dsnRecipient(block: Fields): RecipientReport | undefined {
  const address = typedAddress(block.get('original-recipient')) ?? typedAddress(block.get('final-recipient'));
  const action = block.get('action');
  if (!address && !action) return undefined;
  const diagnostic = block.get('diagnostic-code')?.replace(/^\s*(smtp|x-[a-z-]+)\s*;\s*/i, '');
  const given = enhancedStatus(block.get('status'));
  const said = enhancedStatus(diagnostic);
  // A bare `Status: 5.0.0` over a server's more exact `550 5.1.1`: the server's words are the better evidence.
  const status = given && said && /\.0\.0$/.test(given) && said[0] === given[0] ? said : (given ?? said);
  return { address, kind: actionKind(action, status, diagnostic), status, diagnostic };
}

/**
 * A plain-text failure notice: the recipients from `X-Failed-Recipients`
 * or from qmail's `<address>:` paragraphs (the format qmail documents),
 * the status from the text.
 */
function plainBounce(text: string, failedHeader: string | undefined): RecipientReport[] {
  const body = text.split(ORIGINAL_MARKER)[0] ?? text;
  const diagnostic = diagnosticLine(body);
  const status = enhancedStatus(body);
  const kind = /permanent (error|failure)|given up|giving up/i.test(body) && !status ? failureKind('5.0.0', body) : failureKind(status, body);
  const qmail = [...body.matchAll(/^<([^<>\s]+@[^<>\s]+)>:\s*$/gm)].map((m) => m[1]!.toLowerCase());
  const addresses = [...new Set([...(failedHeader ?? '').split(',').map((a) => typedAddress(a)), ...qmail].filter((a): a is string => Boolean(a)))].slice(
    0,
    MAX_RECIPIENTS,
  );
  if (addresses.length === 0) return [{ kind, status, diagnostic }];
  return addresses.map((address) => ({ address, kind, status, diagnostic }));
}

/** The line of a failure notice that carries the server's reply (or the first that says why). */
function diagnosticLine(body: string): string | undefined {
  const lines = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /\b[45]\d\d[\s-]|\b[45]\.\d{1,3}\.\d{1,3}\b/.test(l)) ?? lines.find((l) => /不存在|已满|拒绝|unknown|not exist|full/i.test(l))
  )?.slice(0, 500);
}

function isDaemon(mail: ParsedMail): boolean {
  const returnPath = headerText(mail.headers.get('return-path'));
  if (returnPath !== undefined && /^\s*<\s*>\s*$/.test(returnPath)) return true;
  const from = mail.from?.value[0];
  return DAEMON_FROM.test(`${from?.address ?? ''} ${from?.name ?? ''}`);
}

function isAutoReply(mail: ParsedMail, subject: string): boolean {
  const submitted = (headerText(mail.headers.get('auto-submitted')) ?? '').toLowerCase();
  return (
    (submitted !== '' && submitted !== 'no') ||
    mail.headers.has('x-autoreply') ||
    mail.headers.has('x-autorespond') ||
    /auto[_-]?reply/i.test(headerText(mail.headers.get('precedence')) ?? '') ||
    AUTO_REPLY_SUBJECT.test(subject)
  );
}

/** Where the report was delivered: the MTA's envelope (as given), then the headers that record it. */
function deliveredTo(mail: ParsedMail, given: string[] | undefined): string[] {
  const found: string[] = [...(given ?? [])];
  for (const line of mail.headerLines) {
    if (/^(delivered-to|x-original-to|envelope-to|x-envelope-to|x-rcpt-to)$/i.test(line.key)) {
      const address = typedAddress(line.line.slice(line.line.indexOf(':') + 1));
      if (address) found.push(address);
    }
  }
  for (const list of [mail.to].flat()) for (const a of (list as AddressObject | undefined)?.value ?? []) if (a.address) found.push(a.address);
  return [...new Set(found.map((a) => a.toLowerCase()))];
}

/** The original message's Message-ID and Return-Path, from an attached copy or its headers, or a quoted copy. */
function original(mail: ParsedMail): MailReport['original'] {
  const attached = mail.attachments.find((a) =>
    /^(message\/rfc822|message\/global|text\/rfc822-headers|message\/rfc822-headers|message\/global-headers)$/i.test(a.contentType),
  );
  let fields: Fields | undefined;
  if (attached) fields = headerBlock(attachmentText(attached));
  else {
    // A plain-text bounce quotes the original after a marker line.
    const text = mail.text ?? '';
    const at = text.search(ORIGINAL_MARKER);
    if (at !== -1) {
      const quoted = text.slice(at).split(/\r?\n/).slice(1).join('\n').replace(/^\s+/, '');
      fields = headerBlock(quoted);
    }
  }
  const inReplyTo = messageIdOf(mail.inReplyTo);
  return {
    messageId: messageIdOf(fields?.get('message-id')) ?? inReplyTo,
    returnPath: typedAddress(fields?.get('return-path')),
  };
}

function attachmentText(a: Attachment): string {
  return a.content.toString('utf8');
}

function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && 'value' in (value as object)) {
    const v = (value as { value: unknown; text?: string }).text ?? (value as { value: unknown }).value;
    return typeof v === 'string' ? v : Array.isArray(v) ? v.map((x) => (x as { address?: string }).address ?? '').join(', ') : String(v);
  }
  return String(value);
}
