import { enhancedStatus } from '../util/mail.js';

/**
 * What an SMTP failure means for one message, for its subscriber and for
 * the run. The rule that protects the list: only a refusal that is about
 * this recipient can bounce them; a refusal of the sender, the session or
 * the policy (a relay that will not relay, a login required, a rate or
 * reputation block) stops the run and changes no subscriber.
 */
export type Verdict =
  /** The address is refused for good (5.1.1 user unknown, 5.2.1 disabled, 5.2.2 full): a bounce. */
  | 'recipient'
  /** This message is refused (5xx at DATA, 5.6.x content): this delivery failed, nobody bounced. */
  | 'message'
  /** Try this message again later (a 4xx for the recipient or the message). */
  | 'temporary'
  /** No session could be set up: refused, unreachable, timed out, TLS failed, or refused at greeting or EHLO. */
  | 'connection'
  /** The connection was lost mid-way (no reply to a command): try again later. */
  | 'dropped'
  /** The login, the sender, the session or a policy is refused: stop the run. */
  | 'fatal';

export interface Classified {
  verdict: Verdict;
  /** The server's reply (or the error) on one line. */
  response: string;
  /** Set for `fatal` and `connection`: what to tell the author. */
  reason?: string;
}

const POLICY =
  /relay|authenticat|\bauth\b|sender|not permitted|policy|rate.?limit|too many|throttl|block|black.?list|spam|reputation|access denied|not allowed|\bban/i;
const DEAD_ADDRESS =
  /user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|mailbox (is )?unavailable|mailbox not found|invalid (recipient|mailbox|address)|recipient (address )?rejected|undeliverable|account (is )?disabled|inactive|over quota|mailbox (is )?full|address rejected/i;

/** Failures to set up a session at all (nodemailer's codes, and the system's under them). */
const UNREACHABLE = /\b(EDNS|ETLS|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|Greeting never received|Connection timeout)\b/i;

/** What a system's code for an unreachable server means, in words. */
const UNREACHABLE_WORDS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused: nothing listens on that port'],
  [/ENOTFOUND|EAI_AGAIN|EDNS/, 'the host name does not resolve'],
  [/EHOSTUNREACH|ENETUNREACH/, 'no route to the host'],
  [/ETIMEDOUT|Greeting never received|Connection timeout/i, 'no answer in time'],
  [/ETLS/, 'TLS could not be set up'],
];

/**
 * One line for a server the run could not talk to: where, why in words,
 * the system's own words, and what to check.
 */
export function cannotReach(via: string, response: string): string {
  const words = UNREACHABLE_WORDS.find(([pattern]) => pattern.test(response))?.[1];
  return `cannot send through ${via}: ${words ? `${words} (${response})` : response}; check smtp.host and smtp.port in gazette.toml, or GAZETTE_SMTP_URL, which overrides them`;
}

/** Commands of the session itself, before any recipient. */
const SESSION_COMMANDS = /^(CONN|EHLO|HELO|LHLO|STARTTLS|AUTH)/i;

export function classify(err: unknown): Classified {
  const e = err as { responseCode?: number; command?: string; code?: string; originalCode?: string; response?: string; message?: string };
  const response = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = e.command ?? '';
  if (e.code === 'EAUTH') return { verdict: 'fatal', response, reason: `refused the login: ${response}` };
  if (SESSION_COMMANDS.test(command) && (reply !== undefined || UNREACHABLE.test(`${e.code} ${e.originalCode ?? ''} ${response}`))) {
    // No session: the server, not the subscriber.
    return { verdict: 'connection', response, reason: response };
  }
  if (reply === undefined) return { verdict: 'dropped', response, reason: response };
  const status = enhancedStatus(response)?.split('.').map(Number) as [number, number, number] | undefined;
  const atRecipient = /RCPT/i.test(command) || (e.code === 'EENVELOPE' && /recipients were rejected/i.test(e.message ?? ''));
  if (reply < 500) return { verdict: 'temporary', response };
  if (/MAIL/i.test(command)) return { verdict: 'fatal', response, reason: `refused the sender: ${response}` };
  if (status && status[1] !== 0) {
    const [, subject, detail] = status;
    // 5.1.x addresses (but 5.1.7/5.1.8, the sender's), 5.2.1 disabled, 5.2.2 full: this recipient.
    if ((subject === 1 && detail !== 7 && detail !== 8) || (subject === 2 && (detail === 1 || detail === 2))) {
      return atRecipient ? { verdict: 'recipient', response } : { verdict: 'message', response };
    }
    // 5.3.x system, 5.4.x network/routing, 5.5.x protocol, 5.7.x security and policy, 5.1.7/5.1.8 sender.
    if (subject === 3 || subject === 4 || subject === 5 || subject === 7 || subject === 1) {
      return {
        verdict: 'fatal',
        response,
        reason: `refused ${atRecipient ? 'recipients' : 'the message'} for a reason that is not the recipient's (${status.join('.')}): ${response}`,
      };
    }
    return { verdict: 'message', response };
  }
  if (POLICY.test(response) && !DEAD_ADDRESS.test(response)) {
    return { verdict: 'fatal', response, reason: `refused ${atRecipient ? 'recipients' : 'the message'} by policy: ${response}` };
  }
  if (atRecipient) return { verdict: 'recipient', response };
  return { verdict: 'message', response };
}
