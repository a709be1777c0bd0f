import type { ReportKind } from '../store/index.js';
import { enhancedStatus } from '../util/mail.js';

/**
 * Whether a failed delivery is a hard bounce (the address is dead: mark the
 * subscriber bounced) or a soft one (this time it failed: count it). The
 * rule that protects the list, as at sending (mail/classify.ts): only a
 * failure about the address itself is hard. A policy or reputation
 * refusal (5.7.x), a full mailbox (5.2.2) or a routing or system problem
 * is the sender's or the moment's, not the address's: soft, so one
 * provider blocking the newsletter for a day does not wipe out every
 * subscriber it hosts.
 */

/** Words of a dead address, in English and in Chinese providers' bounces. */
const DEAD =
  /user unknown|unknown user|no such (user|mailbox|recipient|address)|(user|mailbox|account|address|recipient)( \S+)? (does not|doesn't) exist|not exist|no mailbox here|mailbox (is )?unavailable|mailbox not found|invalid (recipient|mailbox|address)|recipient (address )?rejected|address rejected|account (is |has been )?(disabled|deactivated|closed|suspended)|(doesn't|does not) have an? \S+ account|no such account|address (is )?no longer (valid|in use)|unrouteable address|用户不存在|用戶不存在|收件人不存在|收信人不存在|邮箱不存在|郵箱不存在|帐号不存在|账号不存在|帳號不存在|账户不存在|地址不存在|无此用户|用户名不存在|帐户已停用|账户已冻结|宛先不明/i;
/** Words of a mailbox that is only full, or a refusal that is not about the address. */
const NOT_DEAD =
  /over quota|quota exceeded|mailbox (is )?full|insufficient (storage|space)|storage full|邮箱已满|郵箱已滿|空间不足|空間不足|容量已满|超过容量|超出容量|spam|blocked|block ?list|black ?list|policy|reputation|rate limit|too many|垃圾邮件|拦截|频率/i;

/** `550` from a server's reply. */
function basicCode(text: string | undefined): number | undefined {
  const m = text ? /(?:^|[\s;:])([45]\d\d)(?=[\s-])/.exec(text) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Hard or soft, from the enhanced status code where there is one, and
 * otherwise from the reply code and the words of the diagnostic.
 */
export function failureKind(status: string | undefined, diagnostic: string | undefined): 'hard' | 'soft' {
  const code = status ?? enhancedStatus(diagnostic);
  const words = diagnostic ?? '';
  if (code) {
    const [klass, subject, detail] = code.split('.').map(Number) as [number, number, number];
    if (klass !== 5) return 'soft';
    // 5.1.x addresses (but 5.1.7 and 5.1.8, the sender's), 5.2.1 disabled, 5.4.4 no such domain.
    if ((subject === 1 && detail !== 7 && detail !== 8) || (subject === 2 && detail === 1) || (subject === 4 && detail === 4)) return 'hard';
    // 5.0.0 and its like say nothing: the words decide.
    if (subject === 0 || detail === 0) return DEAD.test(words) && !NOT_DEAD.test(words) ? 'hard' : 'soft';
    return 'soft';
  }
  const reply = basicCode(diagnostic);
  if (reply !== undefined && reply < 500) return 'soft';
  return DEAD.test(words) && !NOT_DEAD.test(words) ? 'hard' : 'soft';
}

/** What a DSN's per-recipient `Action` means: only `failed` is a bounce (`delayed` is a notice, the rest success). */
export function actionKind(action: string | undefined, status: string | undefined, diagnostic: string | undefined): ReportKind {
  const a = (action ?? '').trim().toLowerCase();
  if (a === 'failed' || (a === '' && (status ?? '').startsWith('5'))) return failureKind(status, diagnostic);
  return 'none';
}
