import { execFileSync } from 'node:child_process';
import { createHmac, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MAX_JSON_DEPTH,
  mailgunEvidence,
  parseWebhookJson,
  postmarkEvidence,
  REPLAY_WINDOW_MS,
  type SnsMessage,
  sesEvidence,
  snsSubscribeUrl,
  verifyMailgun,
  verifyPostmark,
  verifySns,
  WebhookRefused,
} from '../../../src/bounces/webhooks.js';
import { describeWith } from '../../helpers/system.js';

/**
 * The providers' events read apart, one function at a time: what each
 * refuses (and says), and what each takes from an event. The routes that
 * call them are tested over HTTP in bounces-webhooks.test.ts.
 */

/** What `work` throws: its status and words, or 'accepted'. */
async function refusal(work: () => unknown): Promise<string> {
  try {
    await work();
    return 'accepted';
  } catch (err) {
    return err instanceof WebhookRefused ? `${err.status} ${err.message}` : `not a refusal: ${String(err)}`;
  }
}

describe('a webhook body: JSON no deeper than MAX_JSON_DEPTH, counted before it is parsed', () => {
  const nested = (n: number, open = '[', close = ']') => open.repeat(n) + close.repeat(n);

  it('refuses one level too deep, in objects or arrays, and takes the deepest allowed', async () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    expect(await refusal(() => parseWebhookJson(nested(32)))).toBe('accepted');
    expect(await refusal(() => parseWebhookJson(nested(33)))).toBe('400 the body is nested deeper than 32 levels');
    expect(await refusal(() => parseWebhookJson(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`))).toBe('400 the body is nested deeper than 32 levels');
    expect(await refusal(() => parseWebhookJson('{"a": 1'))).toBe('400 the body is not JSON');
  });

  it('counts only brackets outside strings, and closes what it opened', async () => {
    // Brackets in a string, after an escaped quote, or after a string of one character are text.
    expect(await refusal(() => parseWebhookJson(`{"a":"${'['.repeat(40)}"}`))).toBe('accepted');
    expect(await refusal(() => parseWebhookJson(`{"a":"\\"${'{'.repeat(40)}"}`))).toBe('accepted');
    expect(await refusal(() => parseWebhookJson(`{"a":"\\\\", "b": ${nested(40)}}`))).toBe('400 the body is nested deeper than 32 levels');
    expect(await refusal(() => parseWebhookJson(`["x", ${nested(40)}]`))).toBe('400 the body is nested deeper than 32 levels');
    // Many shallow siblings are not deep.
    expect(await refusal(() => parseWebhookJson(`[${Array(40).fill('[]').join(',')}]`))).toBe('accepted');
    expect(await refusal(() => parseWebhookJson(`[${Array(40).fill('{}').join(',')}]`))).toBe('accepted');
  });
});

describe('Mailgun: the signature, then the age of its timestamp', () => {
  const KEY = 'key-0123456789abcdef';
  const signed = (timestamp: string, token = 'tok-1') => ({
    signature: {
      timestamp,
      token,
      signature: createHmac('sha256', KEY)
        .update(timestamp + token)
        .digest('hex'),
    },
  });
  const T = 1_790_000_000;
  const at = T * 1000;

  it('takes an event signed within five minutes either way of this clock, and no older or newer', async () => {
    expect(REPLAY_WINDOW_MS.mailgun).toBe(300_000);
    expect(REPLAY_WINDOW_MS.ahead).toBe(300_000);
    expect(verifyMailgun(signed(String(T)), KEY, at + 300_000)).toBe('tok-1');
    expect(await refusal(() => verifyMailgun(signed(String(T)), KEY, at + 360_000))).toBe(
      '403 the Mailgun event was signed 6 minutes ago, outside its replay window; refused',
    );
    expect(verifyMailgun(signed(String(T)), KEY, at - 300_000)).toBe('tok-1');
    expect(await refusal(() => verifyMailgun(signed(String(T)), KEY, at - 301_000))).toBe(
      '403 the Mailgun event was signed -5 minutes ago, outside its replay window; refused',
    );
  });

  it('a timestamp that is not whole seconds is no timestamp, even when signed', async () => {
    for (const timestamp of ['abc', `${T}x`, `x${T}`, '1234567890123', `${T}.5`])
      expect(await refusal(() => verifyMailgun(signed(timestamp), KEY, at)), timestamp).toBe('400 the Mailgun event has no readable timestamp');
  });

  it('says which is wrong: no signature, or one that does not verify', async () => {
    expect(await refusal(() => verifyMailgun({ signature: { timestamp: String(T), token: 't' } }, KEY, at))).toBe('403 the Mailgun event is not signed');
    expect(await refusal(() => verifyMailgun({}, KEY, at))).toBe('403 the Mailgun event is not signed');
    expect(await refusal(() => verifyMailgun(signed(String(T)), 'another-key-0123456', at))).toBe('403 the Mailgun signature does not verify');
    const upper = signed(String(T));
    upper.signature.signature = upper.signature.signature.toUpperCase();
    expect(verifyMailgun(upper, KEY, at)).toBe('tok-1');
  });

  it("takes a failure's or a complaint's recipient, kind, Message-ID and words", () => {
    const failed = (extra: object) => ({ 'event-data': { event: 'failed', id: 'ev-1', recipient: 'Reader@Example.org', ...extra } });
    const hard = mailgunEvidence(
      failed({
        severity: 'permanent',
        timestamp: T,
        envelope: { sender: 'bounces+x@digest.example.org' },
        message: { headers: { 'message-id': 'abc@digest.example.org' } },
        'delivery-status': { code: 550, message: '5.1.1 no such user' },
      }),
    );
    expect(hard).toEqual({
      id: 'mailgun:ev-1',
      source: 'mailgun',
      authenticated: true,
      at: new Date(at),
      envelope: ['bounces+x@digest.example.org'],
      messageId: '<abc@digest.example.org>',
      recipients: [{ address: 'reader@example.org', kind: 'hard', status: '5.1.1', diagnostic: '550 5.1.1 no such user' }],
    });
    expect(mailgunEvidence(failed({ message: { headers: { 'message-id': '<kept@x>' } } }))?.messageId).toBe('<kept@x>');
    expect(mailgunEvidence(failed({ severity: 'temporary' }))?.recipients[0]?.kind).toBe('none');
    expect(mailgunEvidence(failed({ severity: 'permanent', reason: 'suppress-bounce' }))?.recipients[0]?.kind).toBe('hard');
    expect(mailgunEvidence({ 'event-data': { event: 'delivered' } })).toBeUndefined();
    // The kind from the enhanced code, else the reply's code; a full mailbox is soft, whatever the severity says.
    const kindOf = (status: object, extra: object = {}) =>
      mailgunEvidence(failed({ severity: 'permanent', 'delivery-status': status, ...extra }))?.recipients[0];
    expect(kindOf({ 'enhanced-code': '5.2.2', code: 552, message: 'mailbox full' })).toEqual({
      address: 'reader@example.org',
      kind: 'soft',
      status: undefined,
      diagnostic: '552 mailbox full',
    });
    expect(kindOf({ code: 550, description: 'no such user here' })).toEqual({
      address: 'reader@example.org',
      kind: 'hard',
      status: undefined,
      diagnostic: '550 no such user here',
    });
    expect(kindOf({ code: 450, message: 'no such user here' })?.kind).toBe('soft');
    // A 4xx reply is never hard, whatever its words.
    expect(kindOf({ code: 425, message: 'user unknown' })?.kind).toBe('soft');
    // The enhanced code decides before the reply's words and code.
    expect(kindOf({ 'enhanced-code': '5.1.1', code: 552, message: 'rejected' })?.kind).toBe('hard');
    expect(kindOf({ 'enhanced-code': '4.2.2', code: 550, message: 'rejected' })?.kind).toBe('soft');
    expect(kindOf({ message: 'mailbox full' })).toMatchObject({ kind: 'soft', diagnostic: 'mailbox full' });
    expect(kindOf({})).toMatchObject({ kind: 'soft', diagnostic: undefined });
  });
});

describe('Postmark: basic auth, then the event', () => {
  const AUTH = 'hooks:a-password-of-24-chars-xyz';
  const basic = (text: string) => Buffer.from(text).toString('base64');

  it('takes only "Basic <the configured user:password>", however spaced', async () => {
    for (const header of [`Basic ${basic(AUTH)}`, `basic  ${basic(AUTH)}`, `Basic ${basic(AUTH)}  `])
      expect(await refusal(() => verifyPostmark(header, AUTH)), header).toBe('accepted');
    for (const header of [
      undefined,
      '',
      `Basic ${basic('hooks:wrong')}`,
      `XBasic ${basic(AUTH)}`,
      `Basic ${basic(AUTH)} x`,
      `Basic${basic(AUTH)}`,
      `Bearer ${basic(AUTH)}`,
    ])
      expect(await refusal(() => verifyPostmark(header, AUTH)), String(header)).toBe('401 wrong or missing basic auth for the Postmark webhook');
  });

  it("takes a bounce's or a complaint's ID, address, kind, status and words; an event without an ID is refused", async () => {
    expect(
      postmarkEvidence({
        RecordType: 'Bounce',
        ID: 42,
        Type: 'HardBounce',
        Email: 'Reader@Example.org',
        BouncedAt: '2026-11-20T08:00:00Z',
        Details: 'smtp;550 5.1.1 unknown',
      }),
    ).toEqual({
      id: 'postmark:42',
      source: 'postmark',
      authenticated: true,
      at: new Date('2026-11-20T08:00:00Z'),
      envelope: [],
      recipients: [{ address: 'reader@example.org', kind: 'hard', status: '5.1.1', diagnostic: 'HardBounce: smtp;550 5.1.1 unknown' }],
    });
    expect(postmarkEvidence({ RecordType: 'Bounce', ID: 1, Type: 'SoftBounce', Email: 'a@example.org', Description: '4.2.2 full' })?.recipients[0]).toEqual({
      address: 'a@example.org',
      kind: 'soft',
      status: '4.2.2',
      diagnostic: 'SoftBounce: 4.2.2 full',
    });
    expect(postmarkEvidence({ RecordType: 'SpamComplaint', ID: 2, Type: 'SpamComplaint', Email: 'a@example.org' })?.recipients[0]).toMatchObject({
      kind: 'complaint',
      diagnostic: 'SpamComplaint:',
    });
    expect(postmarkEvidence({ RecordType: 'SpamComplaint', ID: 3, Email: 'a@example.org' })?.recipients[0]?.kind).toBe('complaint');
    expect(postmarkEvidence({ RecordType: 'SpamComplaint', ID: 6, Type: 'HardBounce', Email: 'a@example.org' })?.recipients[0]?.kind).toBe('complaint');
    expect(postmarkEvidence({ RecordType: 'Bounce', ID: 4, Type: 'Unknown', Email: 'a@example.org' })?.recipients[0]?.kind).toBe('none');
    expect(postmarkEvidence({ RecordType: 'Delivery', ID: 5 })).toBeUndefined();
    expect(await refusal(() => postmarkEvidence({ RecordType: 'Bounce', Email: 'a@example.org' }))).toBe('400 the Postmark event has no ID');
  });
});

describe('SNS and SES', () => {
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:gazette';
  const message = (extra: Partial<SnsMessage> = {}): SnsMessage => ({
    Type: 'Notification',
    MessageId: 'm-1',
    TopicArn: TOPIC,
    Message: '{}',
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
    Signature: 'c2ln',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
    ...extra,
  });
  const noCertificate = async () => {
    throw new Error('not fetched');
  };

  it('a message without one of its fields, of another version, or with a bad signature is refused, saying which', async () => {
    for (const field of ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const) {
      const m: Record<string, string> = { ...message() };
      delete m[field];
      expect(await refusal(() => verifySns(m, TOPIC, noCertificate)), field).toBe(`400 not an SNS message: no ${field}`);
    }
    expect(await refusal(() => verifySns(message({ SignatureVersion: '3' }), TOPIC, noCertificate))).toBe('403 unknown SNS SignatureVersion 3');
    expect(await refusal(() => verifySns(message({ SigningCertURL: 'https://sns.eu-west-1.amazonaws.com.evil.example/x.pem' }), TOPIC, noCertificate))).toBe(
      '403 the signing certificate is not on an SNS host',
    );
    expect(await refusal(() => verifySns(message(), TOPIC, noCertificate))).toBe('403 the SNS signature does not verify');
  });

  it('a subscription is confirmed only for a SubscriptionConfirmation naming an SNS host', () => {
    const url = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t';
    expect(snsSubscribeUrl(message({ Type: 'SubscriptionConfirmation', SubscribeURL: url }))).toBe(url);
    expect(snsSubscribeUrl(message({ Type: 'Notification', SubscribeURL: url }))).toBeUndefined();
    expect(snsSubscribeUrl(message({ Type: 'SubscriptionConfirmation' }))).toBeUndefined();
    expect(snsSubscribeUrl(message({ Type: 'SubscriptionConfirmation', SubscribeURL: 'https://evil.example/?sns.eu-west-1.amazonaws.com/' }))).toBeUndefined();
  });

  it("takes a bounce's or a complaint's id, addresses, Message-ID, kind and words", () => {
    const ses = (n: object) => sesEvidence(message({ Message: JSON.stringify(n) }));
    const mail = {
      source: 'bounces+x@digest.example.org',
      headers: [
        { name: 'X-Message-ID', value: '<other@x>' },
        { name: 'Message-IDs', value: '<other@x>' },
        { name: 'message-id', value: '<mid@x>' },
      ],
    };
    expect(
      ses({
        notificationType: 'Bounce',
        mail,
        bounce: {
          feedbackId: 'fb-1',
          bounceType: 'Permanent',
          bounceSubType: 'General',
          timestamp: '2026-11-20T08:00:00Z',
          bouncedRecipients: [{ emailAddress: 'Reader@Example.org', status: '5.1.1', diagnosticCode: '  SMTP  ;  550 5.1.1 unknown user' }],
        },
      }),
    ).toEqual({
      source: 'ses',
      authenticated: true,
      envelope: ['bounces+x@digest.example.org'],
      messageId: '<mid@x>',
      id: 'ses:fb-1',
      at: new Date('2026-11-20T08:00:00Z'),
      recipients: [{ address: 'reader@example.org', kind: 'hard', status: '5.1.1', diagnostic: '550 5.1.1 unknown user' }],
    });
    const bounce = (b: object, m: object = mail) => ses({ eventType: 'Bounce', mail: { ...m }, bounce: b });
    // No feedback id: the SNS message's; the common header before the list; words made of the types when SES gives none.
    const bare = bounce(
      { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'a@example.org' }] },
      { commonHeaders: { messageId: '<common@x>' }, headers: mail.headers },
    );
    expect(bare).toMatchObject({ id: 'ses:m-1', messageId: '<common@x>', envelope: [] });
    // Permanent without a status or words of a dead address is not believed hard (a 5.0.0 alone is soft).
    expect(bare?.recipients[0]).toEqual({ address: 'a@example.org', kind: 'soft', status: undefined, diagnostic: 'Permanent General' });
    expect(
      bounce({ bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '4.0.0' }] })
        ?.recipients[0]?.kind,
    ).toBe('hard');
    expect(
      bounce({ bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '5.2.2' }] })?.recipients[0]
        ?.kind,
    ).toBe('soft');
    expect(bounce({ bouncedRecipients: [{ emailAddress: 'a@example.org' }] })?.recipients[0]).toMatchObject({ kind: 'soft', diagnostic: 'Undetermined' });
    // Only a Permanent bounce can be hard, and then not on a 4.x.x status, whatever the words.
    const words = 'smtp; 550 user unknown';
    expect(
      bounce({ bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '5.1.1', diagnosticCode: words }] })?.recipients[0]?.kind,
    ).toBe('soft');
    expect(
      bounce({ bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '5.1.1', diagnosticCode: words }] })?.recipients[0]?.kind,
    ).toBe('hard');
    expect(
      bounce({ bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '4.4.7', diagnosticCode: words }] })?.recipients[0]?.kind,
    ).toBe('soft');
    // A Permanent bounce without a status is 5.0.0: its words decide, even after a 4xx reply.
    expect(
      bounce({ bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@example.org', diagnosticCode: 'smtp; 450 user unknown' }] })?.recipients[0]
        ?.kind,
    ).toBe('hard');
    // Only a leading "smtp;" is SES's prefix; words after another prefix are kept whole.
    expect(
      bounce({ bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '5.1.1', diagnosticCode: 'x-postfix; smtp; 550 gone' }] })
        ?.recipients[0]?.diagnostic,
    ).toBe('x-postfix; smtp; 550 gone');
    // No recipients listed: none reported.
    expect(bounce({ bounceType: 'Permanent', bouncedRecipients: 'a@example.org' })?.recipients).toEqual([]);

    const complaint = (c: object) => ses({ notificationType: 'Complaint', mail, complaint: c });
    expect(complaint({ feedbackId: 'c-1', complainedRecipients: [{ emailAddress: 'a@example.org' }] })).toMatchObject({
      id: 'ses:c-1',
      recipients: [{ address: 'a@example.org', kind: 'complaint', diagnostic: 'feedback-type abuse' }],
    });
    expect(complaint({ complaintFeedbackType: 'not-spam', complainedRecipients: [{ emailAddress: 'a@example.org' }] })).toMatchObject({
      id: 'ses:m-1',
      recipients: [{ kind: 'none', diagnostic: 'feedback-type not-spam' }],
    });
    expect(ses({ notificationType: 'Delivery', mail })).toBeUndefined();
    expect(sesEvidence(message({ Message: 'not json' }))).toBeUndefined();
  });
});

describeWith('openssl version', 'apt-get install openssl', 'SNS signatures over the fields of each message type', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gazette-sns-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=sns.amazonaws.com'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:gazette';
  /** Signed as SNS signs: `Name\nvalue\n` for each field of the type, in order; an absent one as empty. */
  const signed = (m: Record<string, string>, names: string[]) => {
    const text = names.map((n) => `${n}\n${m[n] ?? ''}\n`).join('');
    return { ...m, Signature: sign('sha256', Buffer.from(text), key).toString('base64') } as unknown as SnsMessage;
  };
  const base = (at = new Date()) => ({
    MessageId: 'm-1',
    TopicArn: TOPIC,
    Message: '{}',
    Timestamp: at.toISOString(),
    SignatureVersion: '2',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
  });
  const check = (m: SnsMessage, now?: number) => refusal(() => verifySns(m, TOPIC, async () => cert, now));

  it("a Notification's Subject is signed when it has one, and only then", async () => {
    const notification = { ...base(), Type: 'Notification' };
    expect(await check(signed(notification, ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type']))).toBe('accepted');
    const titled = signed({ ...notification, Subject: 'Amazon SES Email Event Notification' }, [
      'Message',
      'MessageId',
      'Subject',
      'Timestamp',
      'TopicArn',
      'Type',
    ]);
    expect(await check(titled)).toBe('accepted');
    expect(await check({ ...titled, Subject: 'Another subject' })).toBe('403 the SNS signature does not verify');
  });

  it('a subscription confirmation signs its URL and token, an absent one as empty', async () => {
    const names = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    const confirmation = { ...base(), Type: 'SubscriptionConfirmation', SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription' };
    expect(await check(signed({ ...confirmation, Token: 't-1' }, names))).toBe('accepted');
    expect(await check(signed(confirmation, names))).toBe('accepted');
  });

  it('a message signed more than an hour ago is refused, naming SNS', async () => {
    const now = Date.now();
    const old = signed({ ...base(new Date(now - 61 * 60_000)), Type: 'Notification' }, ['Message', 'MessageId', 'Timestamp', 'TopicArn', 'Type']);
    expect(await check(old, now)).toBe('403 the SNS event was signed 61 minutes ago, outside its replay window; refused');
  });
});
