import { describe, expect, it } from 'vitest';
import { actionKind, failureKind } from '../../../src/bounces/classify.js';
import { cannotReach, classify } from '../../../src/mail/index.js';

/** An SMTP error as nodemailer raises it. */
const smtp = (responseCode: number | undefined, command: string, response: string, extra: Record<string, unknown> = {}) => ({
  responseCode,
  command,
  response,
  message: response,
  ...extra,
});

describe('what an SMTP failure means (mail/classify.ts)', () => {
  it.each([
    // [what, error, verdict]
    ['a refused login', smtp(535, 'AUTH PLAIN', '535 5.7.8 bad credentials', { code: 'EAUTH' }), 'fatal'],
    ['refused at connection', smtp(554, 'CONN', '554 no service'), 'connection'],
    ['refused at EHLO', smtp(550, 'EHLO', '550 go away'), 'connection'],
    ['unreachable (no reply), by code', { code: 'ECONNECTION', originalCode: 'ECONNREFUSED', command: 'CONN', message: 'connect failed' }, 'connection'],
    ['unreachable, by the words', { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' }, 'connection'],
    ['a session command with no reply and no known code', { code: 'ESOCKET', command: 'CONN', message: 'something odd' }, 'dropped'],
    ['dropped mid-way', { code: 'ECONNECTION', command: 'DATA', message: 'Connection closed unexpectedly' }, 'dropped'],
    ['4xx for a recipient', smtp(451, 'RCPT TO', '451 4.7.1 try later'), 'temporary'],
    ['499 is still temporary', smtp(499, 'DATA', '499 odd'), 'temporary'],
    ['the sender refused', smtp(550, 'MAIL FROM', '550 5.7.1 sender rejected'), 'fatal'],
    ['user unknown', smtp(550, 'RCPT TO', '550 5.1.1 <a@b>: user unknown'), 'recipient'],
    ['500 with 5.1.1 is the recipient', smtp(500, 'RCPT TO', '500 5.1.1 no such user'), 'recipient'],
    ['disabled', smtp(550, 'RCPT TO', '550 5.2.1 mailbox disabled'), 'recipient'],
    ['full (for good)', smtp(552, 'RCPT TO', '552 5.2.2 mailbox full'), 'recipient'],
    ['5.1.1 at DATA: this message, nobody bounced', smtp(550, 'DATA', '550 5.1.1 user unknown'), 'message'],
    ['5.1.7 is the sender, not the recipient', smtp(550, 'RCPT TO', '550 5.1.7 bad sender address'), 'fatal'],
    ['5.1.8 is the sender too', smtp(550, 'RCPT TO', '550 5.1.8 sender domain'), 'fatal'],
    ['5.2.3 (message too big) is the message', smtp(552, 'DATA', '552 5.2.3 too big'), 'message'],
    ['5.2.3 even at RCPT is the message, not the address', smtp(552, 'RCPT TO', '552 5.2.3 too big'), 'message'],
    ['no command at all', { responseCode: 550, response: '550 no' }, 'message'],
    ['EENVELOPE without words', { responseCode: 550, command: 'DATA', response: '550 no', code: 'EENVELOPE' }, 'message'],
    ['5.3.x system', smtp(550, 'RCPT TO', '550 5.3.0 system'), 'fatal'],
    ['5.0.0 says nothing: the words decide, here the recipient', smtp(550, 'RCPT TO', '550 5.0.0 no'), 'recipient'],
    ['5.0.0 with policy words', smtp(550, 'RCPT TO', '550 5.0.0 blocked'), 'fatal'],
    ['a status of another class (2.x) in a 5xx reply', smtp(550, 'RCPT TO', '550 2.1.5 odd'), 'recipient'],
    ['5.9.9, no rule for it: the message', smtp(550, 'RCPT TO', '550 5.9.9 odd'), 'message'],
    ['5.3.4 system', smtp(552, 'RCPT TO', '552 5.3.4 system not capable'), 'fatal'],
    ['5.4.x routing', smtp(550, 'RCPT TO', '550 5.4.1 no route'), 'fatal'],
    ['5.5.x protocol', smtp(550, 'RCPT TO', '550 5.5.1 protocol'), 'fatal'],
    ['5.6.x content is the message', smtp(554, 'DATA', '554 5.6.0 bad content'), 'message'],
    ['5.7.x policy at RCPT', smtp(550, 'RCPT TO', '550 5.7.1 relaying denied'), 'fatal'],
    [
      'nodemailer refusing every recipient',
      smtp(550, 'DATA', '550 user unknown', { code: 'EENVELOPE', message: 'Can not send mail. All recipients were rejected: 550 user unknown' }),
      'recipient',
    ],
    ['EENVELOPE that is not about recipients', smtp(550, 'DATA', '550 user unknown', { code: 'EENVELOPE', message: 'something else' }), 'message'],
    ['another code with the recipients words', smtp(550, 'DATA', '550 user unknown', { code: 'EMESSAGE', message: 'All recipients were rejected' }), 'message'],
    ['no status, policy words', smtp(550, 'RCPT TO', '550 relay not permitted'), 'fatal'],
    ['no status, policy words but a dead address', smtp(550, 'RCPT TO', '550 sender ok, user unknown'), 'recipient'],
    ['no status, plain refusal at RCPT', smtp(550, 'RCPT TO', '550 no'), 'recipient'],
    ['no status, plain refusal at DATA', smtp(554, 'DATA', '554 no'), 'message'],
    // Words of a policy without a status: written together or apart.
    ['ratelimit, written as one word', smtp(550, 'DATA', '550 ratelimit exceeded'), 'fatal'],
    ['rate-limited', smtp(550, 'DATA', '550 rate-limited'), 'fatal'],
    ['blacklisted', smtp(550, 'DATA', '550 your IP is blacklisted'), 'fatal'],
    ['black-listed', smtp(550, 'DATA', '550 black-listed'), 'fatal'],
    // Policy words beside a dead address's: the address, each way a server words it.
    ['mailbox unavailable', smtp(550, 'RCPT TO', '550 sender ok, mailbox unavailable'), 'recipient'],
    ['mailbox is unavailable', smtp(550, 'RCPT TO', '550 sender ok, mailbox is unavailable'), 'recipient'],
    ['recipient rejected', smtp(550, 'RCPT TO', '550 sender ok, recipient rejected'), 'recipient'],
    ['account disabled', smtp(550, 'RCPT TO', '550 sender ok, account disabled'), 'recipient'],
    ['mailbox full', smtp(550, 'RCPT TO', '550 sender ok, mailbox full'), 'recipient'],
  ] as const)('%s', (_what, error, verdict) => {
    expect(classify(error).verdict).toBe(verdict);
  });

  it('says why a run stops, naming recipients or the message and the status', () => {
    expect(classify(smtp(550, 'RCPT TO', '550 5.7.1 relaying denied')).reason).toBe(
      "refused recipients for a reason that is not the recipient's (5.7.1): 550 5.7.1 relaying denied",
    );
    expect(classify(smtp(550, 'DATA', '550 5.7.1 spam')).reason).toBe("refused the message for a reason that is not the recipient's (5.7.1): 550 5.7.1 spam");
    expect(classify(smtp(550, 'RCPT TO', '550 relay not permitted')).reason).toBe('refused recipients by policy: 550 relay not permitted');
    expect(classify(smtp(550, 'DATA', '550 blocked')).reason).toBe('refused the message by policy: 550 blocked');
    expect(classify(smtp(550, 'MAIL FROM', '550 no')).reason).toBe('refused the sender: 550 no');
    expect(classify(smtp(535, 'AUTH', '535 no', { code: 'EAUTH' })).reason).toBe('refused the login: 535 no');
  });

  it('says in words why a server could not be reached, and what to check', () => {
    for (const [response, words] of [
      ['connect ECONNREFUSED 127.0.0.1:25', 'connection refused: nothing listens on that port'],
      ['getaddrinfo ENOTFOUND smtp.example.invalid', 'the host name does not resolve'],
      ['getaddrinfo EAI_AGAIN smtp.example.com', 'the host name does not resolve'],
      ['connect EHOSTUNREACH 10.0.0.1:25', 'no route to the host'],
      ['connect ENETUNREACH 10.0.0.1:25', 'no route to the host'],
      ['Greeting never received', 'no answer in time'],
      ['ETLS: wrong version number', 'TLS could not be set up'],
    ]) {
      expect(cannotReach('relay a', response!)).toBe(
        `cannot send through relay a: ${words} (${response}); check smtp.host and smtp.port in gazette.toml, or GAZETTE_SMTP_URL, which overrides them`,
      );
    }
    expect(cannotReach('relay a', 'odd')).toMatch(/^cannot send through relay a: odd; check/);
  });

  it("puts the server's reply on one line", () => {
    expect(classify(smtp(550, 'RCPT TO', '  550-5.1.1 first\r\n550  5.1.1 second  ')).response).toBe('550-5.1.1 first 550 5.1.1 second');
    expect(classify(smtp('550' as unknown as number, 'RCPT TO', '550 5.1.1 x')).verdict).toBe('dropped');
  });
});

describe('hard or soft, from a report (bounces/classify.ts)', () => {
  it.each([
    ['5.1.1', undefined, 'hard'],
    ['5.1.10', 'no such user', 'hard'],
    ['5.1.7', 'sender', 'soft'],
    ['5.1.8', undefined, 'soft'],
    ['5.2.1', undefined, 'hard'],
    ['5.2.2', 'mailbox full', 'soft'],
    ['5.4.4', undefined, 'hard'],
    ['5.4.1', 'user unknown', 'soft'],
    ['5.7.1', 'user unknown', 'soft'],
    ['4.1.1', 'user unknown', 'soft'],
    ['2.0.0', 'user unknown', 'soft'],
    ['5.0.0', 'User unknown', 'hard'],
    ['5.0.0', 'mailbox full', 'soft'],
    ['5.0.0', 'user unknown, blocked as spam', 'soft'],
    ['5.3.0', '用户不存在', 'hard'],
    ['5.3.0', 'anything else', 'soft'],
    ['5.3.2', 'user unknown', 'soft'],
    [undefined, '550 user unknown', 'hard'],
    [undefined, 'user unknown: 550', 'hard'],
    [undefined, '450 user unknown', 'soft'],
    [undefined, '499 user unknown', 'soft'],
    [undefined, '500 user unknown', 'hard'],
    [undefined, 'x550 user unknown', 'hard'],
    [undefined, '550 mailbox full', 'soft'],
    [undefined, 'over quota', 'soft'],
    [undefined, '邮箱不存在', 'hard'],
    [undefined, undefined, 'soft'],
    [undefined, 'unknown user (550)', 'hard'],
    [undefined, ';450 user unknown', 'soft'],
    [undefined, '4500 user unknown', 'hard'],
    [undefined, '450-user unknown', 'soft'],
    [undefined, '450user unknown', 'hard'],
    [undefined, 'id450 user unknown', 'hard'],
    ['5.3.4', 'user unknown', 'soft'],
    ['5.7.4', undefined, 'soft'],
    // 5.0.x says nothing either: the words decide.
    ['5.0.5', 'user unknown', 'hard'],
    // Each way a dead address is worded (no status: the words decide), and a full or blocked one.
    [undefined, "550 user doesn't exist", 'hard'],
    [undefined, "550 mailbox ann@example.org doesn't exist", 'hard'],
    [undefined, '550 recipient rejected', 'hard'],
    [undefined, '550 account disabled', 'hard'],
    [undefined, '550 account has been closed', 'hard'],
    [undefined, '550 address no longer valid', 'hard'],
    [undefined, '550 mailbox unavailable: mailbox full', 'soft'],
    [undefined, '550 user unknown (blocklist)', 'soft'],
    [undefined, '550 user unknown (blacklist)', 'soft'],
  ] as const)('status %s, %s: %s', (status, diagnostic, kind) => {
    expect(failureKind(status, diagnostic)).toBe(kind);
  });

  it.each([
    ['failed', '5.1.1', undefined, 'hard'],
    [' Failed ', '5.1.1', undefined, 'hard'],
    ['failed', '4.2.2', undefined, 'soft'],
    ['delayed', '4.4.7', undefined, 'none'],
    ['delivered', '2.0.0', undefined, 'none'],
    ['relayed', '5.1.1', undefined, 'none'],
    ['', '5.1.1', undefined, 'hard'],
    [undefined, '5.1.1', undefined, 'hard'],
    [undefined, '4.1.1', undefined, 'none'],
    [undefined, undefined, 'user unknown', 'none'],
  ] as const)('Action %j, status %s: %s', (action, status, diagnostic, kind) => {
    expect(actionKind(action, status, diagnostic)).toBe(kind);
  });
});
