import { describe, expect, it } from 'vitest';
import type { Carrier, Relay } from '../../../src/mail/index.js';
import { type SendRun, sendIssue } from '../../../src/send/pipeline.js';
import type { SendStore } from '../../../src/send/store.js';
import type { Outcome, Recipient } from '../../../src/store/index.js';
import { ledger } from '../../../src/store/index.js';
import { renderSite } from '../../helpers/email.js';
import { listOf, openDb, sendSite } from '../../helpers/send.js';

/** The pipeline's store, in memory: what the SQLite ledger does, without SQLite. */
function memoryStore(count: number, daily: Record<string, number> = {}) {
  const subscribers: Array<Recipient & { status: string }> = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    email: `m${i}@example.org`,
    name: '',
    email_key: `m${i}@example.org`,
    status: 'subscribed',
  }));
  const deliveries = new Map<number, { state: string; attempts: number; relay?: string }>();
  /** Messages taken per daily-limit key, and the limits' counts already spent (`daily`). */
  const quota = new Map<string, number>(Object.entries(daily));
  const owed = (s: (typeof subscribers)[number]) => s.status === 'subscribed' && !['sent', 'failed'].includes(deliveries.get(s.id)?.state ?? '');
  const store: SendStore = {
    recordIssue: async () => undefined,
    owedCount: async () => subscribers.filter(owed).length,
    owedBatch: async (_issue, after, limit, retry) =>
      subscribers.filter((s) => s.id > after && owed(s) && (!retry || deliveries.get(s.id)?.state === 'deferred')).slice(0, limit),
    claimBatch: async (issue, after, limit, which) => store.owedBatch(issue, after, limit, which === 'deferred'),
    renewClaims: async () => undefined,
    releaseClaims: async () => undefined,
    otherWorkers: async () => 0,
    shared: false,
    countHit: async (_key, _windowMs, at) => ({ hits: 1, start: at }),
    quotaSlot: async (key, limit, at) => {
      const used = quota.get(key) ?? 0;
      if (used >= limit) return new Date(at.getTime() + 3_600_000);
      quota.set(key, used + 1);
      return undefined;
    },
    beginDelivery: async (_issue, id) => {
      const s = subscribers.find((x) => x.id === id)!;
      if (!owed(s)) return false;
      deliveries.set(id, { state: 'sending', attempts: (deliveries.get(id)?.attempts ?? 0) + 1 });
      return true;
    },
    finishDelivery: async (_issue, id, outcome: Outcome) => {
      deliveries.get(id)!.state = outcome.state;
      if (outcome.relay) deliveries.get(id)!.relay = outcome.relay;
      if (outcome.bounce) subscribers.find((x) => x.id === id)!.status = 'bounced';
    },
  };
  return { store, subscribers, deliveries };
}

/** A carrier that answers each address as `reply` says: ok, or an SMTP error. */
function fakeCarrier(reply: (to: string, attempt: number) => 'ok' | { responseCode?: number; command: string; response: string; code?: string }) {
  const attempts = new Map<string, number>();
  const sent: string[] = [];
  const carrier: Carrier = {
    description: 'fake',
    kind: 'smtp',
    async send(message) {
      const to = typeof message.to === 'string' ? message.to : (message.to as { address: string }).address;
      const n = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, n);
      const r = reply(to, n);
      if (r !== 'ok') throw Object.assign(new Error(r.response), r);
      sent.push(to);
      return { response: '250 OK' };
    },
    close: () => undefined,
  };
  return { carrier, sent };
}

/** A relay over a carrier: weight 1, no limits unless given. */
function relay(name: string, carrier: Carrier, limits: Partial<Pick<Relay, 'weight' | 'rateLimit' | 'dailyLimit'>> = {}): Relay {
  return { name, carrier, weight: 1, rateLimit: 0, dailyLimit: 0, ...limits };
}

/** A site, its issue and email, and `run`: the pipeline over `store` and `carrier` (one connection with `serial`). */
async function fixture() {
  const site = await renderSite(
    { 'content/one.md': '+++\ntitle = "One"\ndate = 2026-02-01\n+++\nHello.\n' },
    `[site]\ntitle = "T"\nbase_url = "https://t.example/"\n[email]\nfrom = "T <t@t.example>"\n[server]\npublic_url = "https://t.example/n/"\n[send]\nmax_connections = 3\nretry_attempts = 2\nretry_delay = 0\n`,
  );
  const issue = site.issues[0]!;
  const email = site.emails.get(issue)!;
  const run = (store: SendStore, carrier: Carrier | Relay[], extra: Partial<SendRun> & { serial?: boolean } = {}) => {
    const { serial, ...rest } = extra;
    const config = serial ? { ...site.config, send: { ...site.config.send, maxConnections: 1 } } : site.config;
    const relays = Array.isArray(carrier) ? carrier : [relay('only', carrier)];
    return sendIssue({ config, store, issue, email, relays, secret: Buffer.from('k'.repeat(32)), stop: { requested: false }, ...rest });
  };
  return { site, issue, email, run };
}

describe('the send pipeline over its store interface (in memory)', () => {
  it('sends each subscriber once, retries the deferred, bounces only a refused recipient', async () => {
    const { run } = await fixture();
    const mem = memoryStore(20);
    const { carrier, sent } = fakeCarrier((to, n) => {
      if (to === 'm3@example.org' && n === 1) return { responseCode: 451, command: 'RCPT TO', response: '451 4.7.1 try later' };
      if (to === 'm7@example.org') return { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' };
      return 'ok';
    });
    const result = await run(mem.store, carrier);
    expect(result).toMatchObject({ sent: 19, failed: 1, bounced: 1, owed: 0, stopped: false });
    expect(sent).toHaveLength(19);
    expect(new Set(sent).size).toBe(19);
    expect(mem.subscribers.find((s) => s.email === 'm7@example.org')!.status).toBe('bounced');
    expect(mem.deliveries.get(4)).toEqual({ state: 'sent', attempts: 2, relay: 'only' });
  });

  it('stops taking new messages when asked, leaving the rest owed', async () => {
    const { run } = await fixture();
    const mem = memoryStore(50);
    const stop = { requested: false };
    const { carrier, sent } = fakeCarrier(() => {
      if (sent.length >= 10) stop.requested = true;
      return 'ok';
    });
    const result = await run(mem.store, carrier, { stop });
    expect(result.stopped).toBe(true);
    expect(result.sent).toBeLessThan(50);
    expect(result.owed).toBe(50 - result.sent);
  });

  it('crosses batches of 500 with deferred messages on both sides of each boundary, over the SQLite ledger', async () => {
    const { issue, run } = await fixture();
    const { dbFile } = await sendSite(1203);
    const db = openDb(dbFile);
    try {
      const store = ledger(listOf(db));
      await store.recordIssue({ key: issue.key, slug: issue.slug, title: issue.title, id: issue.id });
      // Deferred once on either side of the boundaries (the 500th and 501st, the 1000th and 1001st), one refused for good.
      const deferOnce = new Set([499, 500, 501, 999, 1000, 1001, 1202].map((i) => `sub${i}@example.org`));
      const { carrier, sent } = fakeCarrier((to, n) => {
        if (to === 'sub502@example.org') return { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' };
        if (deferOnce.has(to) && n === 1) return { responseCode: 451, command: 'RCPT TO', response: '451 4.7.1 try later' };
        return 'ok';
      });
      const result = await run(store, carrier);
      expect(result).toMatchObject({ sent: 1202, failed: 1, bounced: 1, owed: 0, stopped: false });
      expect(sent).toHaveLength(1202);
      expect(new Set(sent).size).toBe(1202);
      const rows = db.prepare('SELECT s.email, d.state, d.attempts FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id').all() as Array<{
        email: string;
        state: string;
        attempts: number;
      }>;
      expect(rows).toHaveLength(1203);
      for (const row of rows) {
        const expected = row.email === 'sub502@example.org' ? { state: 'failed', attempts: 1 } : { state: 'sent', attempts: deferOnce.has(row.email) ? 2 : 1 };
        expect({ state: row.state, attempts: row.attempts }, row.email).toEqual(expected);
      }
    } finally {
      db.close();
    }
  });

  it('10 connection failures in a row mid-run stop it, after pauses that double', async () => {
    const { run } = await fixture();
    const mem = memoryStore(60);
    let delivered = 0;
    const { carrier } = fakeCarrier(() => {
      // Five delivered, then the server goes away for good.
      if (delivered < 5) {
        delivered++;
        return 'ok';
      }
      return { responseCode: undefined as unknown as number, command: 'DATA', response: 'Connection closed unexpectedly' };
    });
    const pauses: number[] = [];
    const result = await run(mem.store, carrier, {
      serial: true,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(result.abort).toMatchObject({ kind: 'connection', reason: expect.stringContaining('10 connection failures in a row') });
    expect(result.sent).toBe(5);
    expect(result.owed).toBe(55);
    // Nine pauses between the ten failures, from half a second, doubling, at most 30 s.
    // (Each is asked for a little after the failure that set it: within half a second, even on a loaded machine.)
    const expected = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    expect(pauses.slice(0, 9)).toHaveLength(9);
    pauses.slice(0, 9).forEach((ms, i) => {
      expect(ms, `pause ${i + 1}`).toBeLessThanOrEqual(expected[i]!);
      expect(ms, `pause ${i + 1}`).toBeGreaterThan(expected[i]! - 500);
    });
  });

  it('refusals at the very end of a run stay deferred beyond the stated few; a few are bounced', async () => {
    const { run } = await fixture();
    const refuse = { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' };
    for (const [refused, bounced] of [
      [8, 0],
      [3, 3],
    ] as const) {
      const mem = memoryStore(20);
      const { carrier } = fakeCarrier((to) => (Number(/m(\d+)@/.exec(to)![1]) >= 20 - refused ? refuse : 'ok'));
      const result = await run(mem.store, carrier, { serial: true, sleep: async () => undefined });
      expect(result.sent, `${refused} refused`).toBe(20 - refused);
      expect(result.bounced, `${refused} refused`).toBe(bounced);
      expect(result.heldBack, `${refused} refused`).toBe(refused - bounced);
      expect(mem.subscribers.filter((s) => s.status === 'bounced')).toHaveLength(bounced);
    }
  });
});

describe('several relays', () => {
  const refusedSession = { code: 'ECONNECTION', command: 'CONN', responseCode: 554, response: '554 5.7.1 no service for you' };
  const refusedSender = { responseCode: 550, command: 'MAIL FROM', response: '550 5.7.1 sender not allowed by policy' };

  it('spreads the messages by weight and records which relay carried each', async () => {
    const { run } = await fixture();
    const mem = memoryStore(40);
    const a = fakeCarrier(() => 'ok');
    const b = fakeCarrier(() => 'ok');
    const result = await run(mem.store, [relay('a', a.carrier, { weight: 3 }), relay('b', b.carrier)]);
    expect(result).toMatchObject({ sent: 40, owed: 0, relaysOut: [] });
    expect(a.sent).toHaveLength(30);
    expect(b.sent).toHaveLength(10);
    expect(new Set([...a.sent, ...b.sent]).size).toBe(40);
    const byRelay = [...mem.deliveries.values()].map((d) => d.relay);
    expect(byRelay.filter((r) => r === 'a')).toHaveLength(30);
    expect(byRelay.filter((r) => r === 'b')).toHaveLength(10);
  });

  it.each([
    ['refuses the session', refusedSession, 0],
    ['refuses the sender by policy mid-run', refusedSender, 4],
  ])('takes out a relay that %s: its messages go to the others, each once', async (_what, refusal, before) => {
    const { run } = await fixture();
    const mem = memoryStore(30);
    let taken = 0;
    const a = fakeCarrier(() => (taken++ < before ? 'ok' : refusal));
    const b = fakeCarrier(() => 'ok');
    const c = fakeCarrier(() => 'ok');
    const result = await run(mem.store, [relay('a', a.carrier), relay('b', b.carrier), relay('c', c.carrier)]);
    expect(result).toMatchObject({ sent: 30, failed: 0, deferred: 0, owed: 0 });
    expect(result.abort).toBeUndefined();
    expect(result.relaysOut).toEqual([{ name: 'a', reason: expect.stringContaining('5.7.1') }]);
    expect(a.sent).toHaveLength(before);
    expect(new Set([...a.sent, ...b.sent, ...c.sent]).size).toBe(30);
    expect(b.sent.length + c.sent.length).toBe(30 - before);
    expect(mem.subscribers.every((s) => s.status === 'subscribed')).toBe(true);
  });

  it('a refused recipient is not a refused relay: it stays in, and only that reader bounces', async () => {
    const { run } = await fixture();
    const mem = memoryStore(10);
    const a = fakeCarrier((to) => (to === 'm2@example.org' ? { responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 no such user' } : 'ok'));
    const b = fakeCarrier(() => 'ok');
    const result = await run(mem.store, [relay('a', a.carrier, { weight: 100 }), relay('b', b.carrier, { weight: 0.01 })], { serial: true });
    expect(result).toMatchObject({ sent: 9, bounced: 1, relaysOut: [] });
    expect(mem.subscribers.filter((s) => s.status === 'bounced').map((s) => s.email)).toEqual(['m2@example.org']);
  });

  it('stops, changing no reader, when the last relay refuses too, and names every refusal', async () => {
    const { run } = await fixture();
    const mem = memoryStore(10);
    const a = fakeCarrier(() => refusedSession);
    const b = fakeCarrier(() => refusedSender);
    const result = await run(mem.store, [relay('a', a.carrier), relay('b', b.carrier)], { serial: true });
    expect(result.sent).toBe(0);
    expect(result.owed).toBe(10);
    expect(result.abort?.kind).toBe('refused');
    expect(result.abort?.reason).toContain('sender not allowed');
    expect(result.abort?.reason).toContain('a: 554 5.7.1 no service for you');
    expect(mem.subscribers.every((s) => s.status === 'subscribed')).toBe(true);
    expect([...mem.deliveries.values()].every((d) => d.state === 'deferred')).toBe(true);
  });

  it('pauses when every relay is at its daily limit, counting what was spent before the run', async () => {
    const { run } = await fixture();
    const mem = memoryStore(12, { 'relay a': 2 });
    const a = fakeCarrier(() => 'ok');
    const b = fakeCarrier(() => 'ok');
    const before = Date.now();
    const result = await run(mem.store, [relay('a', a.carrier, { dailyLimit: 5 }), relay('b', b.carrier, { dailyLimit: 3 })]);
    expect(a.sent).toHaveLength(3);
    expect(b.sent).toHaveLength(3);
    expect(result).toMatchObject({ sent: 6, owed: 6, deferred: 0 });
    expect(result.paused!.getTime()).toBeGreaterThan(before);
    // Nobody is left half-sent: the rest were never begun.
    expect([...mem.deliveries.values()].filter((d) => d.state !== 'sent')).toEqual([]);
  });

  it('keeps a relay at its daily limit out while the others carry on', async () => {
    const { run } = await fixture();
    const mem = memoryStore(12);
    const a = fakeCarrier(() => 'ok');
    const b = fakeCarrier(() => 'ok');
    const result = await run(mem.store, [relay('a', a.carrier, { dailyLimit: 2, weight: 5 }), relay('b', b.carrier)]);
    expect(result).toMatchObject({ sent: 12, owed: 0 });
    expect(result.paused).toBeUndefined();
    expect(a.sent).toHaveLength(2);
    expect(b.sent).toHaveLength(10);
  });
});
