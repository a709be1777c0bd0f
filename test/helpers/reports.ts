import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { DatabaseLocation } from '../../src/config/index.js';
import type { Backend } from './backends.js';
import { gazetteWith, rowsOf, type SendSite, sendSite } from './send.js';
import { ROOT } from './site.js';
import { startSmtp, type TestSmtp } from './smtp.js';

export const DOMAIN = 'bounces.example.com';
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'reports');

/** A fixture with its placeholders filled in, byte for byte (the GBK one too). */
export function report(name: string, vars: { verp: string; recipient: string; messageId: string }): Buffer {
  const text = readFileSync(path.join(FIXTURES, name), 'latin1')
    .replaceAll('{{VERP}}', vars.verp)
    .replaceAll('{{RECIPIENT}}', vars.recipient)
    .replaceAll('{{MESSAGE_ID}}', vars.messageId);
  return Buffer.from(text, 'latin1');
}

export interface SentSite extends SendSite {
  smtp: TestSmtp;
  /** The VERP envelope sender and Message-ID each subscriber's copy went out with. */
  sent(email: string): { verp: string; recipient: string; messageId: string };
}

/** A site with `count` subscribers, `[bounces] return_path_domain` set, and its issue sent to all of them. */
export async function sentSite(count: number, extra = '', backend?: Backend): Promise<SentSite> {
  const site = await sendSite(count, { extraConfig: `[bounces]\nreturn_path_domain = "${DOMAIN}"\n${extra}`, backend });
  const smtp = await startSmtp();
  const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
  expect(run.code, run.stderr).toBe(0);
  await smtp.close();
  return {
    dir: site.dir,
    config: site.config,
    database: site.database,
    get dbFile() {
      return site.dbFile;
    },
    smtp,
    sent(email) {
      const copy = [...smtp.received].reverse().find((r) => r.to === email);
      if (!copy) throw new Error(`nothing was sent to ${email}`);
      return { verp: copy.from, recipient: email, messageId: copy.mail.messageId! };
    },
  };
}

export async function statusOf(database: DatabaseLocation, email: string): Promise<{ status: string; how: string | null }> {
  const [row] = await rowsOf(
    database,
    sql<{ status: string; how: string | null }>`SELECT status, unsubscribed_how AS how FROM subscribers WHERE email = ${email}`,
  );
  if (!row) throw new Error(`${email} is not in the list`);
  return row;
}

/** Each report fixture, and what it leaves the subscriber it is about (and their delivery) as. */
export const REPORT_CASES: Array<[string, { status: string; how?: string; bounce?: string | null; complained?: boolean; report?: boolean }]> = [
  ['postfix-hard.eml', { status: 'bounced', bounce: 'hard' }],
  ['gmail-dsn.eml', { status: 'bounced', bounce: 'hard' }],
  ['exchange-ndr.eml', { status: 'bounced', bounce: 'hard' }],
  ['qmail.eml', { status: 'bounced', bounce: 'hard' }],
  ['exim-failed.eml', { status: 'bounced', bounce: 'hard' }],
  ['coremail-gbk.eml', { status: 'bounced', bounce: 'hard' }],
  ['soft-full.eml', { status: 'subscribed', bounce: 'soft' }],
  ['delayed.eml', { status: 'subscribed', bounce: null }],
  ['out-of-office.eml', { status: 'subscribed', bounce: null }],
  ['autoreply-gbk.eml', { status: 'subscribed', bounce: null }],
  ['arf-complaint.eml', { status: 'unsubscribed', how: 'complaint', bounce: null, complained: true }],
  ['ordinary-reply.eml', { status: 'subscribed', bounce: null, report: false }],
  ['human-undeliverable.eml', { status: 'subscribed', bounce: null, report: false }],
];
