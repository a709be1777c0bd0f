import { describe, expect, it } from 'vitest';
import { failureKind } from '../../../src/bounces/classify.js';
import { fieldBlocks, typedAddress } from '../../../src/bounces/fields.js';
import { mboxMessages } from '../../../src/bounces/mbox.js';
import { parseReport } from '../../../src/bounces/parse.js';

describe('hard or soft', () => {
  it.each([
    ['5.1.1', '550 5.1.1 user unknown', 'hard'],
    ['5.1.10', 'RESOLVER.ADR.RecipientNotFound', 'hard'],
    ['5.2.1', 'account disabled', 'hard'],
    ['5.4.4', 'Host or domain name not found', 'hard'],
    ['5.2.2', 'Mailbox full', 'soft'],
    ['5.7.1', 'Message rejected as spam by policy', 'soft'],
    ['5.7.26', 'unauthenticated email from example.com is not accepted due to DMARC', 'soft'],
    ['5.1.8', 'sender address rejected', 'soft'],
    ['4.2.2', 'over quota', 'soft'],
    ['5.0.0', 'User unknown', 'hard'],
    ['5.0.0', 'mailbox full', 'soft'],
    [undefined, '550 Requested action not taken: mailbox unavailable', 'hard'],
    [undefined, '550 收件人邮箱不存在', 'hard'],
    [undefined, '552 邮箱已满', 'soft'],
    [undefined, '450 try again later', 'soft'],
    [undefined, "554 delivery error: dd This user doesn't have a yahoo.com account", 'hard'],
    [undefined, '554 blocked by spamhaus', 'soft'],
  ] as const)('%s %s → %s', (status, diagnostic, kind) => {
    expect(failureKind(status, diagnostic)).toBe(kind);
  });
});

describe('reading reports', () => {
  it('unfolds DSN fields and reads typed addresses', () => {
    const [message, recipient] = fieldBlocks('Reporting-MTA: dns; a\r\n\r\nFinal-Recipient: rfc822;\r\n  Alice@Example.org\r\nStatus: 5.1.1\r\n');
    expect(message!.get('reporting-mta')).toBe('dns; a');
    expect(typedAddress(recipient!.get('final-recipient'))).toBe('alice@example.org');
    expect(typedAddress('rfc822; <bob@example.org>')).toBe('bob@example.org');
  });

  it("prefers the server's exact code to a bare 5.0.0, and takes the envelope sender Postfix names", async () => {
    const raw = [
      'From: MAILER-DAEMON@mx.example.net',
      'Subject: Undelivered Mail Returned to Sender',
      'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
      '',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      'X-Postfix-Sender: rfc822; bounces+1-0-00000000000000000000@b.example',
      '',
      'Final-Recipient: rfc822; alice@example.org',
      'Action: failed',
      'Status: 5.0.0',
      'Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable',
      '--b--',
      '',
    ].join('\r\n');
    const report = await parseReport(Buffer.from(raw));
    expect(report?.recipients[0]).toMatchObject({ kind: 'hard', status: '5.1.1' });
    expect(report?.deliveredTo).toContain('bounces+1-0-00000000000000000000@b.example');
  });

  it('knows out-of-office replies in several languages', async () => {
    for (const subject of [
      'Réponse automatique : Issue 1',
      'Automatische Antwort: Issue 1',
      'Out of Office: Issue 1',
      '=?UTF-8?B?6Ieq5Yqo5Zue5aSN77yaSXNzdWUgMQ==?=',
    ]) {
      const r = await parseReport(Buffer.from(`From: Someone <a@example.org>\r\nSubject: ${subject}\r\n\r\nAway.\r\n`));
      expect(r?.type, subject).toBe('auto-reply');
    }
  });

  it('splits an mbox in any chunking, unescaping >From lines', async () => {
    const mbox =
      'From a@b Mon Jan 1 00:00:00 2026\nSubject: one\n\n>From the start\nbody\n\nFrom c@d Mon Jan 1 00:00:00 2026\nSubject: two\n\nbody\nFrom inside a paragraph is not a separator\n';
    for (const size of [1, 7, 1000]) {
      const chunks = (async function* () {
        for (let i = 0; i < mbox.length; i += size) yield Buffer.from(mbox.slice(i, i + size));
      })();
      const messages: string[] = [];
      for await (const m of mboxMessages(chunks)) messages.push(m.toString());
      expect(messages).toEqual(['Subject: one\n\nFrom the start\nbody\n\n', 'Subject: two\n\nbody\nFrom inside a paragraph is not a separator\n']);
    }
    // A message over the limit comes out empty, the others whole.
    const limited: string[] = [];
    for await (const m of mboxMessages(
      (async function* () {
        yield Buffer.from(mbox);
      })(),
      40,
    ))
      limited.push(m.toString());
    expect(limited).toEqual(['Subject: one\n\nFrom the start\nbody\n\n', '']);
  });

  it('is not fooled by hostile or broken input', async () => {
    expect(await parseReport(Buffer.from('not a message at all'))).toBeUndefined();
    expect(await parseReport(Buffer.alloc(0))).toBeUndefined();
    // A "bounce" from a person: not from a mail system, so not a report.
    expect(
      await parseReport(
        Buffer.from('From: Eve <eve@example.org>\r\nSubject: Undeliverable: your mail\r\nX-Failed-Recipients: alice@example.org\r\n\r\nhi\r\n'),
      ),
    ).toBeUndefined();
    // A report whose delivery-status part is empty still reads (as a plain failure notice), naming nobody from its text.
    const dsn = await parseReport(
      Buffer.from(
        'From: MAILER-DAEMON@x.example\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nMail to alice@example.org failed: 550 5.1.1 user unknown\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\r\n--b--\r\n',
      ),
    );
    expect(dsn?.type).toBe('bounce');
    expect(dsn?.recipients).toEqual(
      [{ kind: 'hard', status: '5.1.1', diagnostic: 'Mail to alice@example.org failed: 550 5.1.1 user unknown', address: undefined }].map(
        ({ address: _a, ...r }) => r,
      ),
    );
  });
});
