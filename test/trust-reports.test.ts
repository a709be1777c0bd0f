import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEvidence } from '../src/bounces/index.js';
import { deliveryMessageId, isDeliveryMessageId } from '../src/send/index.js';
import { insertSubscriber } from '../src/store/index.js';
import { DOMAIN, report, type SentSite, sentSite, statusOf } from './helpers/reports.js';
import { gazetteWith, openDb, SECRET } from './helpers/send.js';

async function importFile(site: SentSite, name: string, data: Buffer) {
  const file = path.join(site.dir, name);
  await writeFile(file, data);
  return gazetteWith({}, 'bounces', 'import', file, '--config', site.config);
}

/** Mail anyone can send: to a plain address at the bounce domain, naming a subscriber only in the report's own fields. */
const stranger = (recipient: string, messageId = '<made-up@elsewhere.example>') => ({ verp: `abuse@${DOMAIN}`, recipient, messageId });

describe('reports: only what Gazette signed is believed', () => {
  it('a complaint or a bounce mailed by a stranger, naming a subscriber in its own fields, changes nobody, and the output says why', async () => {
    const site = await sentSite(2);
    let run = await importFile(site, 'arf.eml', report('arf-complaint.eml', stranger('sub0@example.org')));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ignored a complaint: it names no message Gazette sent');
    run = await importFile(site, 'dsn.eml', report('postfix-hard.eml', stranger('sub1@example.org')));
    expect(run.stdout).toContain('ignored a hard bounce: it names no message Gazette sent');
    expect(statusOf(site.dbFile, 'sub0@example.org').status).toBe('subscribed');
    expect(statusOf(site.dbFile, 'sub1@example.org').status).toBe('subscribed');
  });

  it('Message-IDs are keyed with the secret: nobody can compute one from the issue and the address', async () => {
    const site = await sentSite(1);
    const sent = site.sent('sub0@example.org');
    const unkeyed = `<${createHash('sha256').update('issue-one\nsub0@example.org').digest('hex').slice(0, 32)}@news.example.com>`;
    expect(sent.messageId).not.toBe(unkeyed);
    const subscriber = { email_key: 'sub0@example.org' };
    expect(sent.messageId).toBe(deliveryMessageId(Buffer.from(SECRET), 'news.example.com', 'issue-one', subscriber));
    expect(isDeliveryMessageId(Buffer.from(SECRET), sent.messageId, 'issue-one', subscriber)).toBe(true);
    expect(isDeliveryMessageId(Buffer.from('another-secret-0123456789'), sent.messageId, 'issue-one', subscriber)).toBe(false);
    expect(isDeliveryMessageId(Buffer.from(SECRET), sent.messageId, 'issue-one', { email_key: 'sub1@example.org' })).toBe(false);
    // The ledger keeps it: a retry of the delivery sends the same id.
    const db = openDb(site.dbFile);
    expect((db.prepare('SELECT message_id FROM deliveries').get() as { message_id: string }).message_id).toBe(sent.messageId);
    db.close();
  });

  it('a report quoting an unkeyed Message-ID (as an older Gazette made them) changes nobody', async () => {
    const site = await sentSite(1);
    const unkeyed = `<${createHash('sha256').update('issue-one\nsub0@example.org').digest('hex').slice(0, 32)}@news.example.com>`;
    const db = openDb(site.dbFile);
    db.prepare('UPDATE deliveries SET message_id = ?').run(unkeyed);
    db.close();
    const run = await importFile(site, 'old.eml', report('arf-complaint.eml', stranger('sub0@example.org', unkeyed)));
    expect(run.stdout).toContain('ignored a complaint: it quotes the Message-ID of a message sent by a Gazette before 0.3');
    expect(statusOf(site.dbFile, 'sub0@example.org').status).toBe('subscribed');
  });

  it("a report quoting one subscriber's message applies to that subscriber alone, whoever its fields name", async () => {
    const site = await sentSite(2);
    const aboutSub0 = { ...stranger('sub1@example.org'), messageId: site.sent('sub0@example.org').messageId };
    const run = await importFile(site, 'x.eml', report('arf-complaint.eml', aboutSub0));
    expect(run.stdout).toContain('sub0@example.org: unsubscribed (complaint) (complaint, matched by message-id)');
    expect(statusOf(site.dbFile, 'sub0@example.org').status).toBe('unsubscribed');
    expect(statusOf(site.dbFile, 'sub1@example.org').status).toBe('subscribed');
  });

  it("a provider's signed report names a subscriber by address only if Gazette mailed them, and only one", async () => {
    const site = await sentSite(2);
    const db = openDb(site.dbFile);
    try {
      insertSubscriber(db, { email: 'never-mailed@example.org', status: 'subscribed', source: 'test' });
      const ctx = { db, secret: Buffer.from(SECRET), softLimit: 3 };
      const hard = (id: string, ...addresses: string[]) => ({
        id,
        source: 'postmark',
        at: new Date(),
        envelope: [],
        authenticated: true,
        recipients: addresses.map((address) => ({ address, kind: 'hard' as const })),
      });
      expect(applyEvidence(ctx, hard('p1', 'never-mailed@example.org'))).toMatchObject({
        outcome: 'unmatched',
        why: expect.stringContaining('no subscriber was sent'),
      });
      expect(applyEvidence(ctx, hard('p2', 'sub0@example.org', 'sub1@example.org'))).toMatchObject({ outcome: 'ambiguous' });
      // The same report mailed in (not signed) changes nobody; signed, it bounces the one subscriber mailed.
      expect(applyEvidence(ctx, { ...hard('p3', 'sub0@example.org'), authenticated: false })).toMatchObject({ outcome: 'unmatched' });
      expect(applyEvidence(ctx, hard('p4', 'sub0@example.org'))).toMatchObject({ outcome: 'bounced', by: 'recipient' });
    } finally {
      db.close();
    }
    expect(statusOf(site.dbFile, 'never-mailed@example.org').status).toBe('subscribed');
    expect(statusOf(site.dbFile, 'sub1@example.org').status).toBe('subscribed');
  });
});
