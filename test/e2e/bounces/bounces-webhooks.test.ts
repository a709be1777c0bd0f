import { execFileSync } from 'node:child_process';
import { createHmac, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { onEachBackend, sql } from '../../helpers/backends.js';
import { statusOf } from '../../helpers/reports.js';
import { gazetteWith, SECRET, withList } from '../../helpers/send.js';
import { startTestServe, type TestServe } from '../../helpers/serve.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import { describeWith } from '../../helpers/system.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:gazette-ses';
const CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem';
const POSTMARK_AUTH = 'postmark:9f8e7d6c5b4a39281706';
const MAILGUN_KEY = 'key-3f9a2c7e1b6d4058a9e2';

onEachBackend('webhooks', (backend) => {
  describeWith('openssl version', 'apt-get install openssl', 'webhooks: Amazon SES (SNS), Postmark, Mailgun', () => {
    let keyDir: string;
    let privateKey: string;
    let certificate: string;
    let smtp: TestSmtp;
    let serve: TestServe;
    const fetched: string[] = [];
    const failedOnce = new Set<string>();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    /** A message as the SES webhook would get it, with its Message-ID and VERP envelope from the sent copy. */
    const sentCopy = (email: string) => smtp.received.find((r) => r.to === email)!;

    beforeAll(async () => {
      keyDir = await mkdtemp(path.join(os.tmpdir(), 'gazette-sns-'));
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=sns.amazonaws.com'],
        {
          cwd: keyDir,
          stdio: 'ignore',
        },
      );
      privateKey = await readFile(path.join(keyDir, 'key.pem'), 'utf8');
      certificate = await readFile(path.join(keyDir, 'cert.pem'), 'utf8');
      smtp = await startSmtp();
      serve = await startTestServe(
        smtp,
        15,
        `[bounces]\nreturn_path_domain = "bounces.example.com"\n\n[webhooks]\nses_topic_arn = "${TOPIC}"\npostmark = true\nmailgun = true\n`,
        {
          backend,
          env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH, GAZETTE_MAILGUN_SIGNING_KEY: MAILGUN_KEY },
          // Stands in for Amazon's hosts: the certificate, and the subscription confirmation.
          fetchText: async (url) => {
            fetched.push(url);
            // A certificate host that fails once (a network error), then answers.
            if (url.includes('-flaky') && !failedOnce.has(url)) {
              failedOnce.add(url);
              throw new Error('socket hang up');
            }
            // One that answers only when the test lets it: requests wait, in flight, meanwhile.
            if (url.includes('-hang')) await held;
            if (url === CERT_URL || url.includes('-flaky') || url.includes('-hang')) return certificate;
            return '<ConfirmSubscriptionResponse/>';
          },
        },
      );
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', serve.site.config);
      expect(run.code, run.stderr).toBe(0);
    });
    afterAll(async () => {
      await serve?.server.close();
      await smtp?.close();
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    });

    /** As each provider posts: SNS in text/plain with its headers naming the topic and the type, the others JSON. */
    const post = (provider: string, body: unknown, headers: Record<string, string> = {}) => {
      const sns = provider === 'ses' && typeof body === 'object' && body !== null ? (body as Record<string, string>) : undefined;
      return fetch(`${serve.url}webhooks/${provider}`, {
        method: 'POST',
        headers: {
          'content-type': provider === 'ses' ? 'text/plain; charset=UTF-8' : 'application/json',
          ...(provider === 'ses' ? { 'x-amz-sns-message-type': sns?.Type ?? 'Notification', 'x-amz-sns-topic-arn': sns?.TopicArn ?? TOPIC } : {}),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    };
    const OK = { ok: true };

    function sns(message: object, version: '1' | '2' = '2', type = 'Notification', extra: Record<string, string> = {}) {
      const m: Record<string, string> = {
        Type: type,
        MessageId: `msg-${Math.random().toString(36).slice(2)}`,
        TopicArn: TOPIC,
        Message: JSON.stringify(message),
        Timestamp: new Date().toISOString(),
        SignatureVersion: version,
        SigningCertURL: CERT_URL,
        ...extra,
      };
      const names =
        type === 'Notification'
          ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'].filter((n) => m[n] !== undefined)
          : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
      const text = names.map((n) => `${n}\n${m[n]}\n`).join('');
      m.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text), privateKey).toString('base64');
      return m;
    }

    const sesBounce = (email: string, bounceType = 'Permanent', status = '5.1.1') => {
      const copy = sentCopy(email);
      return {
        notificationType: 'Bounce',
        bounce: {
          feedbackId: `0102018f-${email}-${bounceType}`,
          bounceType,
          bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
          bouncedRecipients: [{ emailAddress: email, action: 'failed', status, diagnosticCode: `smtp; 550 ${status} ${email} user unknown` }],
          timestamp: new Date().toISOString(),
          reportingMTA: 'dsn; a8-30.smtp-out.amazonses.com',
        },
        mail: {
          timestamp: new Date().toISOString(),
          source: copy.from,
          messageId: '0102018f5a7c-ses-id',
          destination: [email],
          headers: [{ name: 'Message-ID', value: copy.mail.messageId }],
          commonHeaders: { messageId: copy.mail.messageId, to: [email], subject: 'Issue one' },
        },
      };
    };

    it('SES: a signed bounce (SignatureVersion 1 and 2) marks the subscriber bounced; a complaint unsubscribes', async () => {
      const first = sns(sesBounce('sub0@example.org'), '1');
      let r = await post('ses', first);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub0@example.org')).status).toBe('bounced');
      r = await post('ses', sns(sesBounce('sub1@example.org', 'Transient', '4.2.2'), '2'));
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub1@example.org')).status).toBe('subscribed');
      const copy = sentCopy('sub2@example.org');
      r = await post(
        'ses',
        sns({
          notificationType: 'Complaint',
          complaint: {
            feedbackId: 'complaint-1',
            complainedRecipients: [{ emailAddress: 'sub2@example.org' }],
            complaintFeedbackType: 'abuse',
            timestamp: new Date().toISOString(),
          },
          mail: { source: copy.from, commonHeaders: { messageId: copy.mail.messageId } },
        }),
      );
      expect(await r.json()).toEqual(OK);
      expect(await statusOf(serve.site.database, 'sub2@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
      // SNS retries: the same notification again is answered alike, and changes nothing.
      r = await post('ses', first);
      expect(await r.json()).toEqual(OK);
      expect(serve.logs.at(-1)).toContain('ignored a ses event taken before');
    });

    it('SES: a forged, altered, foreign-topic or foreign-certificate message is refused and changes nothing', async () => {
      const genuine = sns(sesBounce('sub3@example.org'));
      const altered = { ...genuine, Message: JSON.stringify(sesBounce('sub4@example.org')) };
      const badSignature = { ...genuine, Signature: Buffer.from('forged').toString('base64') };
      const otherTopic = sns(sesBounce('sub3@example.org'), '2', 'Notification', { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:evil' });
      const otherCert = sns(sesBounce('sub3@example.org'), '2', 'Notification', { SigningCertURL: 'https://evil.example.com/cert.pem' });
      for (const body of [altered, badSignature, otherTopic, otherCert]) {
        const r = await post('ses', body);
        expect(r.status).toBe(403);
        expect((await r.json()).ok).toBe(false);
      }
      expect((await post('ses', 'not json')).status).toBe(400);
      expect((await statusOf(serve.site.database, 'sub3@example.org')).status).toBe('subscribed');
      expect((await statusOf(serve.site.database, 'sub4@example.org')).status).toBe('subscribed');
      expect(fetched).not.toContain('https://evil.example.com/cert.pem');
      expect(serve.logs.some((l) => l.includes('refused a ses webhook'))).toBe(true);
    });

    it("a refused request's own words reach the log escaped: no escape sequence, no forged line", async () => {
      const before = serve.logs.length;
      const hostile = sns(sesBounce('sub3@example.org'), '2', 'Notification', { TopicArn: 'arn:\u001b[2J\u001b]0;owned\u0007\nerror: forged line\u202e' });
      expect((await post('ses', hostile, { 'x-amz-sns-topic-arn': TOPIC })).status).toBe(403);
      const logged = serve.logs.slice(before);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain('arn:\\x1B[2J\\x1B]0;owned\\x07\\x0Aerror: forged line\\u202E');
      expect(logged[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    });

    it('SES: a signed subscription confirmation is confirmed by visiting its SubscribeURL', async () => {
      const subscribe = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=abc';
      const r = await post('ses', sns({}, '2', 'SubscriptionConfirmation', { SubscribeURL: subscribe, Token: 'abc', Message: 'You have chosen to subscribe' }));
      expect(await r.json()).toEqual(OK);
      expect(fetched).toContain(subscribe);
      expect(serve.logs).toContain(`confirmed the SNS subscription to ${TOPIC}`);
      // An unsubscribe confirmation is signed too, but is no event: even one carrying a bounce changes nobody.
      const unsubscribe = sns(sesBounce('sub13@example.org'), '2', 'UnsubscribeConfirmation', { SubscribeURL: subscribe, Token: 'abc' });
      expect(await (await post('ses', unsubscribe)).json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub13@example.org')).status).toBe('subscribed');
    });

    it('Postmark: basic auth checked; a hard bounce bounces, a spam complaint unsubscribes, a transient one changes nothing', async () => {
      const auth = { authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` };
      const bounce = (id: number, email: string, type: string, record = 'Bounce') => ({
        RecordType: record,
        ID: id,
        Type: type,
        TypeCode: 1,
        MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
        Email: email,
        Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
        BouncedAt: new Date().toISOString(),
        MessageStream: 'outbound',
      });
      let r = await post('postmark', bounce(1, 'sub5@example.org', 'HardBounce'), {
        authorization: `Basic ${Buffer.from('postmark:wrong').toString('base64')}`,
      });
      expect(r.status).toBe(401);
      r = await post('postmark', bounce(1, 'sub5@example.org', 'HardBounce'));
      expect(r.status).toBe(401);
      expect((await statusOf(serve.site.database, 'sub5@example.org')).status).toBe('subscribed');
      r = await post('postmark', bounce(1, 'sub5@example.org', 'HardBounce'), auth);
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub5@example.org')).status).toBe('bounced');
      r = await post('postmark', bounce(2, 'sub6@example.org', 'SpamComplaint', 'SpamComplaint'), auth);
      expect(await r.json()).toEqual(OK);
      expect(await statusOf(serve.site.database, 'sub6@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
      r = await post('postmark', bounce(3, 'sub7@example.org', 'Transient'), auth);
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub7@example.org')).status).toBe('subscribed');
      // The same event ID again (Postmark retrying, or anyone who saw it) changes nothing, whatever it now says.
      r = await post('postmark', bounce(2, 'sub7@example.org', 'SpamComplaint', 'SpamComplaint'), auth);
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub7@example.org')).status).toBe('subscribed');
      // An event without its ID cannot be taken once: refused.
      const noId = bounce(4, 'sub7@example.org', 'HardBounce') as { ID?: number };
      delete noId.ID;
      expect((await post('postmark', noId, auth)).status).toBe(400);
      expect((await statusOf(serve.site.database, 'sub7@example.org')).status).toBe('subscribed');
    });

    it('an event that fails to apply is given back: the 500 is retried by the provider, and the retry is taken', async () => {
      const auth = { authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` };
      const event = {
        RecordType: 'Bounce',
        ID: 7001,
        Type: 'HardBounce',
        TypeCode: 1,
        MessageID: '9c1f0a52-5d0e-4b8f-9a43-2f6e1c7b8d90',
        Email: 'sub12@example.org',
        Details: 'smtp;550 5.1.1 no such user',
        BouncedAt: new Date().toISOString(),
        MessageStream: 'outbound',
      };
      // The database refuses the change (as a disk gone mid-request would): applying throws.
      const sqlite = backend.name === 'SQLite';
      await withList(serve.site.database, async (db) => {
        if (sqlite) await sql`CREATE TRIGGER fail_apply BEFORE UPDATE ON subscribers BEGIN SELECT RAISE(ABORT, 'disk gone'); END`.execute(db);
        else {
          await sql`CREATE FUNCTION fail_apply() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk gone'; END $$ LANGUAGE plpgsql`.execute(db);
          await sql`CREATE TRIGGER fail_apply BEFORE UPDATE ON subscribers FOR EACH ROW EXECUTE FUNCTION fail_apply()`.execute(db);
        }
      });
      try {
        const r = await post('postmark', event, auth);
        expect(r.status).toBe(500);
        expect(await r.json()).toEqual({ ok: false, message: 'failed; retry later' });
        expect((await statusOf(serve.site.database, 'sub12@example.org')).status).toBe('subscribed');
        // The author's log says what failed; the provider is told only to retry.
        expect(serve.logs).toContain('error: disk gone');
      } finally {
        await withList(serve.site.database, async (db) => {
          await sql`DROP TRIGGER fail_apply${sqlite ? sql`` : sql` ON subscribers`}`.execute(db);
        });
      }
      // Postmark retries the same event: it was not kept as taken, so it is applied now.
      const r = await post('postmark', event, auth);
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub12@example.org')).status).toBe('bounced');
    });

    it('the log says what a provider is not told: a refusal by the parser, a replay', async () => {
      const auth = { authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` };
      const before = serve.logs.length;
      expect((await post('postmark', '{"RecordType":', auth)).status).toBe(400);
      expect(serve.logs.slice(before)).toContain('warning: refused a webhook at /newsletter/webhooks/postmark from 127.0.0.1: the body is not JSON');
      const event = { RecordType: 'Bounce', ID: 8101, Type: 'Transient', Email: 'sub9@example.org', BouncedAt: new Date().toISOString() };
      expect(await (await post('postmark', event, auth)).json()).toEqual(OK);
      expect(serve.logs.slice(before).some((l) => l.includes('ignored a postmark event taken before'))).toBe(false);
      expect(await (await post('postmark', event, auth)).json()).toEqual(OK);
      expect(serve.logs.slice(before)).toContain('warning: ignored a postmark event taken before (a replay, or the provider retrying)');
    });

    it("SNS's message-type header is read whole, before the body", async () => {
      for (const type of ['', 'xNotification', 'Notificationx', 'Notification Notification']) {
        const r = await post('ses', sns(sesBounce('sub13@example.org')), { 'x-amz-sns-message-type': type });
        expect(r.status, JSON.stringify(type)).toBe(400);
        expect(((await r.json()) as { message: string }).message).toBe('no x-amz-sns-message-type header: not a message from SNS');
      }
      expect((await statusOf(serve.site.database, 'sub13@example.org')).status).toBe('subscribed');
      const foreign = await post('ses', sns(sesBounce('sub13@example.org')), { 'x-amz-sns-topic-arn': `${TOPIC}-other` });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { message: string }).message).toBe('the x-amz-sns-topic-arn header is not webhooks.ses_topic_arn');
    });

    it('SNS certificates: fetched once and kept (16 at most, the oldest dropped first); a failed fetch is tried again', async () => {
      const count = (url: string) => fetched.filter((u) => u === url).length;
      const none = { notificationType: 'Delivery' };
      await post('ses', sns(none));
      const kept = count(CERT_URL);
      expect(kept).toBeGreaterThanOrEqual(1);
      await post('ses', sns(none));
      expect(count(CERT_URL)).toBe(kept);
      // A second certificate does not push out the first: room for sixteen.
      await post('ses', sns(none, '2', 'Notification', { SigningCertURL: CERT_URL.replace('.pem', '-second.pem') }));
      await post('ses', sns(none));
      expect(count(CERT_URL)).toBe(kept);
      // Sixteen other certificates: the first one kept is dropped, and fetched again when next needed.
      for (let i = 0; i < 15; i++) {
        await post('ses', sns(none, '2', 'Notification', { SigningCertURL: CERT_URL.replace('.pem', `-other${i}.pem`) }));
      }
      await post('ses', sns(none));
      expect(count(CERT_URL)).toBe(kept + 1);
      // A certificate whose fetch failed is not kept: the provider's retry fetches it again, and is taken.
      const flaky = CERT_URL.replace('.pem', '-flaky.pem');
      const message = sns(sesBounce('sub14@example.org'), '2', 'Notification', { SigningCertURL: flaky });
      expect((await post('ses', message)).status).toBeGreaterThanOrEqual(400);
      expect((await statusOf(serve.site.database, 'sub14@example.org')).status).toBe('subscribed');
      expect(await (await post('ses', message)).json()).toEqual(OK);
      expect(count(flaky)).toBe(2);
      expect((await statusOf(serve.site.database, 'sub14@example.org')).status).toBe('bounced');
    });

    it('at most 32 webhook requests at once: the 33rd is told to retry (503, Retry-After); the count goes down as they end', async () => {
      const hang = CERT_URL.replace('.pem', '-hang.pem');
      const waiting = Array.from({ length: 32 }, () => post('ses', sns({ notificationType: 'Delivery' }, '2', 'Notification', { SigningCertURL: hang })));
      // Until all 32 are in the server (each waits on its certificate), a 33rd may still get in: wait for them.
      for (let i = 0; i < 200 && fetched.filter((u) => u === hang).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      let busy: Response | undefined;
      for (let i = 0; i < 200; i++) {
        const r = await post('postmark', '{}', { authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` });
        if (r.status === 503) {
          busy = r;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(busy?.headers.get('retry-after')).toBe('5');
      expect(await busy?.json()).toEqual({ ok: false, message: 'busy; retry' });
      release();
      for (const r of await Promise.all(waiting)) expect(r.status).toBe(200);
      // Every one of them ended: the next is taken.
      const auth = { authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` };
      expect((await post('postmark', { RecordType: 'Bounce', ID: 8201, Type: 'Transient', Email: 'x@example.org' }, auth)).status).toBe(200);
    });

    it('Mailgun: the signature checked; a permanent failure bounces, a complaint unsubscribes, a temporary one changes nothing', async () => {
      const event = (id: string, email: string, data: Record<string, unknown>, key = MAILGUN_KEY) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const token = `${id}-token-50f1c3b2a9d8e7f6a5b4c3d2e1`;
        const copy = sentCopy(email);
        return {
          signature: {
            timestamp,
            token,
            signature: createHmac('sha256', key)
              .update(timestamp + token)
              .digest('hex'),
          },
          'event-data': {
            id,
            timestamp: Date.now() / 1000,
            recipient: email,
            envelope: { sender: copy.from, targets: email, transport: 'smtp' },
            message: { headers: { 'message-id': copy.mail.messageId!.replace(/^<|>$/g, ''), to: email, subject: 'Issue one' } },
            ...data,
          },
        };
      };
      const failed = {
        event: 'failed',
        severity: 'permanent',
        reason: 'bounce',
        'delivery-status': { code: 550, message: '5.1.1 The email account does not exist' },
      };
      let r = await post('mailgun', event('e1', 'sub8@example.org', failed, 'key-not-the-right-one-000'));
      expect(r.status).toBe(403);
      const unsigned = event('e1', 'sub8@example.org', failed) as { signature?: unknown };
      delete unsigned.signature;
      expect((await post('mailgun', unsigned)).status).toBe(403);
      expect((await statusOf(serve.site.database, 'sub8@example.org')).status).toBe('subscribed');
      r = await post('mailgun', event('e1', 'sub8@example.org', failed));
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub8@example.org')).status).toBe('bounced');
      r = await post('mailgun', event('e2', 'sub9@example.org', { event: 'complained' }));
      expect(await r.json()).toEqual(OK);
      expect(await statusOf(serve.site.database, 'sub9@example.org')).toEqual({ status: 'unsubscribed', how: 'complaint' });
      r = await post(
        'mailgun',
        event('e3', 'sub10@example.org', { event: 'failed', severity: 'temporary', 'delivery-status': { code: 452, message: 'try later' } }),
      );
      expect(await r.json()).toEqual(OK);
      r = await post('mailgun', event('e4', 'sub10@example.org', { event: 'delivered' }));
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub10@example.org')).status).toBe('subscribed');
    });

    /** A Mailgun event signed at `at` (seconds) with `token`. */
    const signedMailgun = (token: string, at: number, data: Record<string, unknown>) => ({
      signature: { timestamp: String(at), token, signature: createHmac('sha256', MAILGUN_KEY).update(`${at}${token}`).digest('hex') },
      'event-data': { id: `ev-${token}-${Math.random()}`, timestamp: at, ...data },
    });

    it('a replayed webhook changes nobody: a Mailgun signature taken twice, an old signature, an old SNS message', async () => {
      const at = Math.floor(Date.now() / 1000);
      const token = 'replay-token-7f3e9a1c5b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a';
      const complaint = (email: string) => {
        const copy = sentCopy(email);
        return { event: 'complained', recipient: email, message: { headers: { 'message-id': copy.mail.messageId!.replace(/^<|>$/g, '') } } };
      };
      // Genuine, once: about an address that is no subscriber, so it changes nobody either way.
      let r = await post('mailgun', signedMailgun(token, at, { event: 'complained', recipient: 'stranger@example.net' }));
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual(OK);
      // The same signature with new event data: the answer is the same, and nothing changes.
      r = await post('mailgun', signedMailgun(token, at, complaint('sub11@example.org')));
      expect(await r.json()).toEqual(OK);
      expect((await statusOf(serve.site.database, 'sub11@example.org')).status).toBe('subscribed');
      // A signature made long ago (a captured one) is refused, whatever its token.
      r = await post('mailgun', signedMailgun('old-token-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e', at - 3600, complaint('sub11@example.org')));
      expect(r.status).toBe(403);
      expect((await statusOf(serve.site.database, 'sub11@example.org')).status).toBe('subscribed');
      // An SNS message signed two hours ago: refused.
      const old = sns(sesBounce('sub11@example.org'), '2', 'Notification', { Timestamp: new Date(Date.now() - 2 * 3600_000).toISOString() });
      expect((await post('ses', old)).status).toBe(403);
      expect((await statusOf(serve.site.database, 'sub11@example.org')).status).toBe('subscribed');
    });

    it('what can be checked before the body is read is: auth, the SNS topic, the content type, then the depth', async () => {
      const garbage = `{"x":"${'y'.repeat(400_000)}`;
      // Postmark without its auth: refused for that, the body unread (it is not even JSON).
      expect((await post('postmark', garbage)).status).toBe(401);
      // SNS from another topic: refused for that.
      expect((await post('ses', garbage, { 'x-amz-sns-topic-arn': 'arn:aws:sns:eu-west-1:999999999999:evil' })).status).toBe(403);
      // A type no provider sends.
      expect((await post('mailgun', '<xml/>', { 'content-type': 'application/xml' })).status).toBe(415);
      // Nesting deeper than any provider's: refused before it is parsed.
      const deep = `${'['.repeat(33)}${']'.repeat(33)}`;
      const r = await post('mailgun', deep);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { message: string }).message).toContain('nested deeper');
      expect((await post('mailgun', '{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')).status).toBe(403);
    });

    it("the readers' pages keep answering while 16 senders flood a webhook with the largest bodies", async () => {
      // Deep nesting is what costs a parser most: 200 ms a body, were it parsed.
      const body = `${'['.repeat(250_000)}${']'.repeat(250_000)}`;
      let flooding = true;
      let sent = 0;
      const sender = async () => {
        while (flooding && sent < 2000) {
          sent++;
          await post('mailgun', body).then((res) => res.arrayBuffer());
        }
      };
      const senders = Array.from({ length: 16 }, sender);
      const slowest: number[] = [];
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const started = performance.now();
        const res = await fetch(`${serve.url}healthz`);
        expect(res.status).toBe(200);
        slowest.push(performance.now() - started);
      }
      flooding = false;
      await Promise.all(senders);
      expect(sent).toBeGreaterThan(16);
      // Generous: a page that waits behind the flood takes seconds; these take milliseconds.
      expect(Math.max(...slowest)).toBeLessThan(1500);
    });
  });
});

describeWith('openssl version', 'apt-get install openssl', 'webhooks are off unless configured', () => {
  it('answers 404 for every provider when [webhooks] is empty, and for the others when one is on; 1,200 events a minute a client; no start without a secret', async () => {
    const smtp = await startSmtp();
    const serve = await startTestServe(smtp, 1);
    try {
      for (const provider of ['ses', 'postmark', 'mailgun']) {
        const r = await fetch(`${serve.url}webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(r.status).toBe(404);
      }
    } finally {
      await serve.server.close();
    }
    // Each provider alone: it answers, the others are 404.
    for (const [on, env] of [
      ['postmark', { GAZETTE_POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH }],
      ['mailgun', { GAZETTE_MAILGUN_SIGNING_KEY: MAILGUN_KEY }],
    ] as const) {
      const alone = await startTestServe(smtp, 0, `[webhooks]\n${on} = true\n`, { env });
      try {
        for (const provider of ['ses', 'postmark', 'mailgun']) {
          const r = await fetch(`${alone.url}webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
          if (provider === on) expect(r.status, provider).not.toBe(404);
          else expect(r.status, provider).toBe(404);
        }
      } finally {
        await alone.server.close();
      }
    }
    // A provider may post 1,200 events a minute from one address (a bounce storm after a big issue); past that, 429.
    const busy = await startTestServe(smtp, 0, '[webhooks]\npostmark = true\n', { env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: POSTMARK_AUTH } });
    const authorized = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(POSTMARK_AUTH).toString('base64')}` };
    try {
      const statuses = new Map<number, number>();
      for (let sent = 0; sent < 1200; sent += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, () => fetch(`${busy.url}webhooks/postmark`, { method: 'POST', headers: authorized, body: '{}' })),
        );
        for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
      // Each is authenticated and read (a record of no kind Gazette acts on): counted, and not limited.
      expect(Object.fromEntries(statuses)).toEqual({ 200: 1200 });
      const past = await fetch(`${busy.url}webhooks/postmark`, { method: 'POST', headers: authorized, body: '{}' });
      expect(past.status).toBe(429);
    } finally {
      await busy.server.close();
    }
    await expect(startTestServe(smtp, 0, '[webhooks]\nmailgun = true\n')).rejects.toMatchObject({ code: 'SECRET' });
    await expect(startTestServe(smtp, 0, '[webhooks]\npostmark = true\n', { env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: 'pm:short' } })).rejects.toMatchObject({
      code: 'SECRET',
    });
    await smtp.close();
    expect(SECRET).toBeTruthy();
  });
});

describe('fetching what SNS names (httpsText)', () => {
  it('https only, no redirects, within 10 s; a failed answer or one over 64 KB is an error', async () => {
    const { httpsText } = await import('../../../src/serve/webhooks.js');
    const calls: Array<[string, RequestInit | undefined]> = [];
    const answers: Response[] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      return answers.shift()!;
    });
    try {
      await expect(httpsText('http://sns.example/cert.pem')).rejects.toThrow('not https: http://sns.example/cert.pem');
      expect(calls).toEqual([]);
      answers.push(new Response('-----BEGIN CERTIFICATE-----'));
      expect(await httpsText('https://sns.example/cert.pem')).toBe('-----BEGIN CERTIFICATE-----');
      expect(calls[0]![1]).toMatchObject({ redirect: 'error' });
      expect(calls[0]![1]!.signal).toBeInstanceOf(AbortSignal);
      answers.push(new Response('gone', { status: 404 }));
      await expect(httpsText('https://sns.example/x')).rejects.toThrow('https://sns.example/x answered 404');
      answers.push(new Response('x'.repeat(65536)));
      expect(await httpsText('https://sns.example/edge')).toHaveLength(65536);
      answers.push(new Response('x'.repeat(65537)));
      await expect(httpsText('https://sns.example/big')).rejects.toThrow('https://sns.example/big is too big');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
