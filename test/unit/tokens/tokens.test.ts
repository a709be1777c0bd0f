import { describe, expect, it } from 'vitest';
import {
  confirmToken,
  confirmUrl,
  deliveryMessageId,
  isDeliveryMessageId,
  preferencesToken,
  preferencesUrl,
  readBounceAddress,
  undoToken,
  unsubscribeToken,
  verifyConfirmToken,
  verifyPreferencesToken,
  verifyToken,
  verifyUndoToken,
} from '../../../src/tokens/index.js';
import { bounceAddress } from '../../../src/tokens/tokens.js';

const secret = Buffer.from('test-secret-0123456789abcdef');
const ann = { id: 7, email_key: 'ann@example.org', unsubscribed_at: '2026-12-01T08:00:00.000Z' };
/** Subscriber 7 as the database knows them. */
const lookup = (id: number) => (id === 7 ? ann : undefined);

describe('every token is bound to the subscriber, their address and its purpose', () => {
  it('an unsubscribe token made for the same id with another address is refused', async () => {
    expect(await verifyToken(secret, unsubscribeToken(secret, ann), lookup)).toBe(7);
    expect(await verifyToken(secret, unsubscribeToken(secret, { id: 7, email_key: 'mallory@example.org' }), lookup)).toBeUndefined();
    expect(await verifyToken(Buffer.from('another-secret-0123456789'), unsubscribeToken(secret, ann), lookup)).toBeUndefined();
  });

  it('a preferences token opens the page of its subscriber and address only, and no other purpose takes it', async () => {
    const now = Date.parse('2026-12-02T00:00:00Z');
    const token = preferencesToken(secret, ann);
    expect(token).toMatch(/^7\.[A-Za-z0-9_-]{32}$/);
    expect(await verifyPreferencesToken(secret, token, lookup)).toBe(7);
    // Each purpose signs differently: neither an unsubscribe nor a confirmation token opens the page, nor it theirs.
    expect(token).not.toBe(unsubscribeToken(secret, ann));
    expect(await verifyPreferencesToken(secret, unsubscribeToken(secret, ann), lookup)).toBeUndefined();
    expect(await verifyPreferencesToken(secret, confirmToken(secret, ann, now), lookup)).toBeUndefined();
    expect(await verifyToken(secret, token, lookup)).toBeUndefined();
    expect(await verifyConfirmToken(secret, token, lookup, now)).toEqual({ problem: 'invalid' });
    // Bound to the address and the secret.
    expect(await verifyPreferencesToken(secret, preferencesToken(secret, { id: 7, email_key: 'mallory@example.org' }), lookup)).toBeUndefined();
    expect(await verifyPreferencesToken(Buffer.from('another-secret-0123456789'), token, lookup)).toBeUndefined();
    expect(await verifyPreferencesToken(secret, `${token}x`, lookup)).toBeUndefined();
    expect(await verifyPreferencesToken(secret, token.replace(/^7/, '8'), lookup)).toBeUndefined();
    const config = { file: 'gazette.toml', server: { publicUrl: 'https://news.example.com/n/' } } as Parameters<typeof preferencesUrl>[0];
    expect(preferencesUrl(config, token)).toBe(`https://news.example.com/n/preferences?token=${encodeURIComponent(token)}`);
  });

  it('a confirmation token made for another address, or expired, is refused', async () => {
    const now = Date.parse('2026-12-02T00:00:00Z');
    expect(await verifyConfirmToken(secret, confirmToken(secret, ann, now), lookup, now)).toEqual({ id: 7 });
    expect(await verifyConfirmToken(secret, confirmToken(secret, { id: 7, email_key: 'mallory@example.org' }, now), lookup, now)).toEqual({
      problem: 'invalid',
    });
    expect(await verifyConfirmToken(secret, confirmToken(secret, ann, now), lookup, now + 8 * 24 * 3600_000)).toEqual({ problem: 'expired' });
    // Another purpose's token, even for the same subscriber.
    expect(await verifyConfirmToken(secret, unsubscribeToken(secret, ann), lookup, now)).toEqual({ problem: 'invalid' });
    expect(await verifyToken(secret, confirmToken(secret, ann, now), lookup)).toBeUndefined();
  });

  it('an undo token works only for the unsubscribe it was made for, its address, and 15 minutes', async () => {
    const now = Date.parse('2026-12-01T08:00:10Z');
    expect(await verifyUndoToken(secret, undoToken(secret, ann, now), lookup, now)).toEqual({ id: 7 });
    expect(await verifyUndoToken(secret, undoToken(secret, { ...ann, email_key: 'mallory@example.org' }, now), lookup, now)).toEqual({ problem: 'expired' });
    expect(await verifyUndoToken(secret, undoToken(secret, { ...ann, unsubscribed_at: '2026-01-01T00:00:00.000Z' }, now), lookup, now)).toEqual({
      problem: 'expired',
    });
    expect(await verifyUndoToken(secret, undoToken(secret, ann, now), lookup, now + 16 * 60_000)).toEqual({ problem: 'expired' });
    expect(await verifyUndoToken(secret, unsubscribeToken(secret, ann), lookup, now)).toEqual({ problem: 'invalid' });
  });

  it('a VERP address and a Message-ID made for another address name nobody', async () => {
    const verp = bounceAddress(secret, 'bounces.example.com', ann, 'issue-one');
    expect(await readBounceAddress(secret, verp, lookup)).toMatchObject({ id: 7 });
    expect(
      await readBounceAddress(secret, bounceAddress(secret, 'bounces.example.com', { id: 7, email_key: 'mallory@example.org' }, 'issue-one'), lookup),
    ).toBe('forged');
    const id = deliveryMessageId(secret, 'news.example.com', 'issue-one', ann);
    expect(isDeliveryMessageId(secret, id, 'issue-one', ann)).toBe(true);
    expect(
      isDeliveryMessageId(secret, deliveryMessageId(secret, 'news.example.com', 'issue-one', { email_key: 'mallory@example.org' }), 'issue-one', ann),
    ).toBe(false);
    expect(isDeliveryMessageId(secret, deliveryMessageId(secret, 'news.example.com', 'issue-two', ann), 'issue-one', ann)).toBe(false);
  });

  it('a token is exactly its shape: no text before or after it, ids of any length', async () => {
    const bob = { id: 1234, email_key: 'bob@example.org', unsubscribed_at: '2026-12-01T08:00:00.000Z' };
    const both = (id: number) => (id === 7 ? ann : id === 1234 ? bob : undefined);
    const now = Date.parse('2026-12-01T08:00:10Z');
    const unsubscribe = unsubscribeToken(secret, bob);
    expect(await verifyToken(secret, unsubscribe, both)).toBe(1234);
    expect(await verifyToken(secret, `x${unsubscribe}`, both)).toBeUndefined();
    expect(await verifyToken(secret, `${unsubscribe}x`, both)).toBeUndefined();
    const confirm = confirmToken(secret, bob, now);
    expect(await verifyConfirmToken(secret, confirm, both, now)).toEqual({ id: 1234 });
    expect(await verifyConfirmToken(secret, `x${confirm}`, both, now)).toEqual({ problem: 'invalid' });
    expect(await verifyConfirmToken(secret, `${confirm}x`, both, now)).toEqual({ problem: 'invalid' });
    const undo = undoToken(secret, bob, now);
    expect(await verifyUndoToken(secret, undo, both, now)).toEqual({ id: 1234 });
    expect(await verifyUndoToken(secret, `x${undo}`, both, now)).toEqual({ problem: 'invalid' });
    expect(await verifyUndoToken(secret, `${undo}x`, both, now)).toEqual({ problem: 'invalid' });
    const id = deliveryMessageId(secret, 'news.example.com', 'issue-one', bob);
    expect(isDeliveryMessageId(secret, `x${id}`, 'issue-one', bob)).toBe(false);
    expect(isDeliveryMessageId(secret, `${id}x`, 'issue-one', bob)).toBe(false);
    // A Message-ID of another shape is simply not Gazette's (no exception).
    expect(isDeliveryMessageId(secret, '<short@news.example.com>', 'issue-one', bob)).toBe(false);
    expect(isDeliveryMessageId(secret, '', 'issue-one', bob)).toBe(false);
  });

  it('a token works up to its last second, not after', async () => {
    const made = Date.parse('2026-12-01T08:00:00Z');
    const confirm = confirmToken(secret, ann, made);
    const confirmEnds = Number.parseInt(confirm.split('.')[1]!, 36) * 1000;
    // A week for a confirmation, a quarter of an hour for the undo button.
    expect(await verifyConfirmToken(secret, confirm, lookup, made + 7 * 24 * 3600_000 - 1000)).toEqual({ id: 7 });
    expect(await verifyConfirmToken(secret, confirm, lookup, confirmEnds)).toEqual({ id: 7 });
    expect(await verifyConfirmToken(secret, confirm, lookup, confirmEnds + 1)).toEqual({ problem: 'expired' });
    const undo = undoToken(secret, ann, made);
    const undoEnds = Number.parseInt(undo.split('.')[1]!, 36) * 1000;
    expect(await verifyUndoToken(secret, undo, lookup, made + 15 * 60_000 - 1000)).toEqual({ id: 7 });
    expect(await verifyUndoToken(secret, undo, lookup, undoEnds)).toEqual({ id: 7 });
    expect(await verifyUndoToken(secret, undo, lookup, undoEnds + 1)).toEqual({ problem: 'expired' });
  });

  it("a VERP address is read whatever space surrounds it; a confirmation's names no issue", async () => {
    const verp = bounceAddress(secret, 'bounces.example.com', ann, 'issue-one');
    expect(await readBounceAddress(secret, ` ${verp}\t`, lookup)).toMatchObject({ id: 7 });
    expect(await readBounceAddress(secret, bounceAddress(secret, 'bounces.example.com', ann, undefined), lookup)).toEqual({ id: 7, tag: undefined });
    expect(await readBounceAddress(secret, 'bounces@bounces.example.com', lookup)).toBeUndefined();
  });

  it('a VERP address is exactly its shape: nothing before it, one domain after it, an id of at most 11 digits', async () => {
    const verp = bounceAddress(secret, 'bounces.example.com', ann, 'issue-one');
    expect(await readBounceAddress(secret, `x${verp}`, lookup)).toBeUndefined();
    expect(await readBounceAddress(secret, `${verp}@evil.example`, lookup)).toBeUndefined();
    expect(await readBounceAddress(secret, `${verp} x`, lookup)).toBeUndefined();
    // Upper case, as some relays rewrite it: still ours.
    expect(await readBounceAddress(secret, verp.toUpperCase(), lookup)).toMatchObject({ id: 7, tag: expect.any(String) });
    const long = { id: 36 ** 10, email_key: 'long@example.org' };
    const eleven = bounceAddress(secret, 'b.example', long, 'i');
    expect(eleven).toMatch(/^bounces\+10{10}-/);
    expect(await readBounceAddress(secret, eleven, (id) => (id === long.id ? long : undefined))).toMatchObject({ id: long.id });
    // Twelve digits: not a shape Gazette makes (not even looked up as a forgery).
    expect(await readBounceAddress(secret, eleven.replace('bounces+1', 'bounces+10'), () => long)).toBeUndefined();
  });

  it('links need server.public_url', async () => {
    const config = { server: { publicUrl: undefined } } as unknown as Parameters<typeof confirmUrl>[0];
    expect(() => confirmUrl(config, 'x')).toThrow(/server\.public_url is not set/);
    expect(confirmUrl({ server: { publicUrl: 'https://news.example.com/n/' } } as unknown as Parameters<typeof confirmUrl>[0], 'a b')).toBe(
      'https://news.example.com/n/confirm?token=a+b',
    );
  });
});
