import { domainToASCII } from 'node:url';

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

/** Check an address; returns the trimmed address, or the reason it is not one. */
export function checkEmail(raw: string): { email: string } | { reason: string } {
  const email = raw.trim();
  if (email === '') return { reason: 'the email is empty' };
  if (/[\s<>]/.test(email) || /[\u0000-\u001F\u007F]/.test(email))
    return { reason: `${JSON.stringify(email)} is not an email address (spaces, line breaks or <> in it)` };
  const at = email.lastIndexOf('@');
  if (at < 1) return { reason: `${JSON.stringify(email)} is not an email address (no @)` };
  const local = email.slice(0, at);
  // An internationalised domain (例子.中国) is written in its ASCII form (xn--…), which every server takes.
  const rawDomain = email.slice(at + 1);
  const domain = /[^\x00-\x7f]/.test(rawDomain) ? domainToASCII(rawDomain) : rawDomain;
  if (email.length > 254 || local.length > 64) return { reason: `${JSON.stringify(email)} is too long to be an email address` };
  if (!LOCAL.test(local)) return { reason: `${JSON.stringify(email)} is not an email address (the part before @)` };
  if (!DOMAIN.test(domain)) return { reason: `${JSON.stringify(email)} is not an email address (the domain)` };
  return { email: `${local}@${domain}` };
}
