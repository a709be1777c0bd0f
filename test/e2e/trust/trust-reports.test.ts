import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyEvidence } from '../../../src/bounces/index.js';
import { insertSubscriber } from '../../../src/store/subscribers.js';
import { deliveryMessageId, isDeliveryMessageId } from '../../../src/tokens/index.js';
import { DOMAIN, report, type SentSite, sentSite, statusOf } from '../../helpers/reports.js';
import { gazetteWith, openDb, SECRET, withList } from '../../helpers/send.js';

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
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('subscribed');
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
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
  });

  it("a report quoting one subscriber's message applies to that subscriber alone, whoever its fields name", async () => {
    const site = await sentSite(2);
    const aboutSub0 = { ...stranger('sub1@example.org'), messageId: site.sent('sub0@example.org').messageId };
    const run = await importFile(site, 'x.eml', report('arf-complaint.eml', aboutSub0));
    expect(run.stdout).toContain('sub0@example.org: unsubscribed (complaint) (complaint, matched by message-id)');
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('unsubscribed');
    expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('subscribed');
  });

  it("a provider's signed report names a subscriber by address only if Gazette mailed them, and only one", async () => {
    const site = await sentSite(2);
    await withList(site.database, async (db) => {
      await insertSubscriber(db, { email: 'never-mailed@example.org', status: 'subscribed', source: 'test' });
      const ctx = { db, secret: Buffer.from(SECRET), softLimit: 3 };
      const hard = (id: string, ...addresses: string[]) => ({
        id,
        source: 'postmark',
        at: new Date(),
        envelope: [],
        authenticated: true,
        recipients: addresses.map((address) => ({ address, kind: 'hard' as const })),
      });
      expect(await applyEvidence(ctx, hard('p1', 'never-mailed@example.org'))).toMatchObject({
        outcome: 'unmatched',
        why: expect.stringContaining('no subscriber was sent'),
      });
      expect(await applyEvidence(ctx, hard('p2', 'sub0@example.org', 'sub1@example.org'))).toMatchObject({ outcome: 'ambiguous' });
      // The same report mailed in (not signed) changes nobody; signed, it bounces the one subscriber mailed.
      expect(await applyEvidence(ctx, { ...hard('p3', 'sub0@example.org'), authenticated: false })).toMatchObject({ outcome: 'unmatched' });
      expect(await applyEvidence(ctx, hard('p4', 'sub0@example.org'))).toMatchObject({ outcome: 'bounced', by: 'recipient' });
    });
    expect((await statusOf(site.database, 'never-mailed@example.org')).status).toBe('subscribed');
    expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('subscribed');
  });

  it("a report matched by its envelope applies what it says of that subscriber's address, else the worst it says", async () => {
    const site = await sentSite(3);
    await withList(site.database, async (db) => {
      const ctx = { db, secret: Buffer.from(SECRET), softLimit: 3 };
      const evidence = (id: string, email: string, recipients: Array<{ address: string; kind: 'hard' | 'soft' | 'none' }>) => ({
        id,
        source: 'mail',
        at: new Date(),
        envelope: [site.sent(email).verp],
        recipients,
      });
      // It names the subscriber (soft) and another address (hard): what it says of the subscriber counts.
      expect(
        await applyEvidence(
          ctx,
          evidence('e1', 'sub0@example.org', [
            { address: 'elsewhere@example.net', kind: 'hard' },
            { address: 'sub0@example.org', kind: 'soft' },
          ]),
        ),
      ).toMatchObject({ outcome: 'counted', kind: 'soft', by: 'envelope' });
      // It names only other addresses (a forwarded copy): the worst of what it says, whatever the order.
      expect(
        await applyEvidence(
          ctx,
          evidence('e2', 'sub1@example.org', [
            { address: 'forward-a@example.net', kind: 'none' },
            { address: 'forward-b@example.net', kind: 'hard' },
            { address: 'forward-c@example.net', kind: 'soft' },
          ]),
        ),
      ).toMatchObject({ outcome: 'bounced', kind: 'hard' });
      const source = (await sql`SELECT DISTINCT source FROM reports WHERE id LIKE 'e1%'`.execute(db)).rows;
      expect(source).toEqual([{ source: 'mail' }]);
    });
    expect((await statusOf(site.database, 'sub0@example.org')).status).toBe('subscribed');
    expect((await statusOf(site.database, 'sub1@example.org')).status).toBe('bounced');
  });

  it("a DSN whose only VERP address is in the attached original's Return-Path is matched by it; a mailed report is recorded as mail", async () => {
    const site = await sentSite(1);
    const sent = site.sent('sub0@example.org');
    const raw = report('postfix-hard.eml', { ...sent, messageId: '<unknown@nowhere.example>' }).toString('latin1');
    // Delivered to a plain address; the VERP address survives only in the quoted original's Return-Path.
    const onlyInOriginal = raw
      .replace(`Delivered-To: ${sent.verp}`, 'Delivered-To: bounces@example.com')
      .replace(`To: ${sent.verp}`, 'To: bounces@example.com')
      .replace(`X-Postfix-Sender: rfc822; ${sent.verp}`, 'X-Postfix-Sender: rfc822; bounces@example.com');
    expect(onlyInOriginal.split(sent.verp)).toHaveLength(2);
    const run = await importFile(site, 'orig.eml', Buffer.from(onlyInOriginal, 'latin1'));
    expect(run.stdout).toContain('sub0@example.org: bounced (hard bounce, matched by envelope)');
    const db = openDb(site.dbFile);
    expect(db.prepare('SELECT source FROM reports').all()).toEqual([{ source: 'mail' }]);
    db.close();
  });
});
