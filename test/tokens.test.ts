import { describe, expect, it } from 'vitest';
import {
  bounceAddress,
  confirmToken,
  deliveryMessageId,
  isDeliveryMessageId,
  readBounceAddress,
  undoToken,
  unsubscribeToken,
  verifyConfirmToken,
  verifyToken,
  verifyUndoToken,
} from '../src/send/index.js';

const secret = Buffer.from('test-secret-0123456789abcdef');
const ann = { id: 7, email_key: 'ann@example.org', unsubscribed_at: '2026-12-01T08:00:00.000Z' };
/** Subscriber 7 as the database knows them. */
const lookup = (id: number) => (id === 7 ? ann : undefined);

describe('every token is bound to the subscriber, their address and its purpose', () => {
  it('an unsubscribe token made for the same id with another address is refused', () => {
    expect(verifyToken(secret, unsubscribeToken(secret, ann), lookup)).toBe(7);
    expect(verifyToken(secret, unsubscribeToken(secret, { id: 7, email_key: 'mallory@example.org' }), lookup)).toBeUndefined();
    expect(verifyToken(Buffer.from('another-secret-0123456789'), unsubscribeToken(secret, ann), lookup)).toBeUndefined();
  });

  it('a confirmation token made for another address, or expired, is refused', () => {
    const now = Date.parse('2026-12-02T00:00:00Z');
    expect(verifyConfirmToken(secret, confirmToken(secret, ann, now), lookup, now)).toEqual({ id: 7 });
    expect(verifyConfirmToken(secret, confirmToken(secret, { id: 7, email_key: 'mallory@example.org' }, now), lookup, now)).toEqual({ problem: 'invalid' });
    expect(verifyConfirmToken(secret, confirmToken(secret, ann, now), lookup, now + 8 * 24 * 3600_000)).toEqual({ problem: 'expired' });
    // Another purpose's token, even for the same subscriber.
    expect(verifyConfirmToken(secret, unsubscribeToken(secret, ann), lookup, now)).toEqual({ problem: 'invalid' });
    expect(verifyToken(secret, confirmToken(secret, ann, now), lookup)).toBeUndefined();
  });

  it('an undo token works only for the unsubscribe it was made for, its address, and 15 minutes', () => {
    const now = Date.parse('2026-12-01T08:00:10Z');
    expect(verifyUndoToken(secret, undoToken(secret, ann, now), lookup, now)).toEqual({ id: 7 });
    expect(verifyUndoToken(secret, undoToken(secret, { ...ann, email_key: 'mallory@example.org' }, now), lookup, now)).toEqual({ problem: 'expired' });
    expect(verifyUndoToken(secret, undoToken(secret, { ...ann, unsubscribed_at: '2026-01-01T00:00:00.000Z' }, now), lookup, now)).toEqual({
      problem: 'expired',
    });
    expect(verifyUndoToken(secret, undoToken(secret, ann, now), lookup, now + 16 * 60_000)).toEqual({ problem: 'expired' });
    expect(verifyUndoToken(secret, unsubscribeToken(secret, ann), lookup, now)).toEqual({ problem: 'invalid' });
  });

  it('a VERP address and a Message-ID made for another address name nobody', () => {
    const verp = bounceAddress(secret, 'bounces.example.com', ann, 'issue-one');
    expect(readBounceAddress(secret, verp, lookup)).toMatchObject({ id: 7 });
    expect(readBounceAddress(secret, bounceAddress(secret, 'bounces.example.com', { id: 7, email_key: 'mallory@example.org' }, 'issue-one'), lookup)).toBe(
      'forged',
    );
    const id = deliveryMessageId(secret, 'news.example.com', 'issue-one', ann);
    expect(isDeliveryMessageId(secret, id, 'issue-one', ann)).toBe(true);
    expect(
      isDeliveryMessageId(secret, deliveryMessageId(secret, 'news.example.com', 'issue-one', { email_key: 'mallory@example.org' }), 'issue-one', ann),
    ).toBe(false);
    expect(isDeliveryMessageId(secret, deliveryMessageId(secret, 'news.example.com', 'issue-two', ann), 'issue-one', ann)).toBe(false);
  });
});
