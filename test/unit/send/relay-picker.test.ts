import { describe, expect, it } from 'vitest';
import type { Carrier, Relay } from '../../../src/mail/index.js';
import { countInProcess } from '../../../src/send/pace.js';
import { relayPicker } from '../../../src/send/relays.js';

// The relay picker alone: a weighted spread, relays taken out, daily limits
// that rest a relay until a given time, and the rate it waits for. The
// carrier is never used here; the quota and the clock are the test's own.

const carrier = {} as Carrier;
const relay = (name: string, weight = 1, dailyLimit = 0, rateLimit = 0): Relay => ({ name, carrier, weight, rateLimit, dailyLimit });
const noQuota = async () => undefined;

async function names(picker: ReturnType<typeof relayPicker>, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) seen.push((await picker.next())?.name ?? '-');
  return seen;
}

describe('relayPicker', () => {
  it('spreads messages by weight, smoothly (nginx’s weighted round robin), the heaviest first', async () => {
    const picker = relayPicker([relay('a', 5), relay('b', 1), relay('c', 1)], countInProcess(), noQuota);
    // The sequence nginx documents for weights 5, 1, 1.
    expect(await names(picker, 14)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a', 'a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('alternates two relays of equal weight, and one relay carries every message', async () => {
    expect(await names(relayPicker([relay('a'), relay('b')], countInProcess(), noQuota), 4)).toEqual(['a', 'b', 'a', 'b']);
    expect(await names(relayPicker([relay('solo', 3)], countInProcess(), noQuota), 3)).toEqual(['solo', 'solo', 'solo']);
  });

  it('spreads 3 to 1 over many messages, exactly', async () => {
    const seen = await names(relayPicker([relay('a', 3), relay('b', 1)], countInProcess(), noQuota), 400);
    expect(seen.filter((n) => n === 'a')).toHaveLength(300);
    expect(seen.filter((n) => n === 'b')).toHaveLength(100);
  });

  it('takes a relay out once, sends the rest to the others, and says why when none is left', async () => {
    const a = relay('a');
    const b = relay('b');
    const picker = relayPicker([a, b], countInProcess(), noQuota);
    expect(picker.othersIn(a)).toBe(true);
    expect(picker.takeOut(a, '550 policy')).toBe(true);
    expect(picker.takeOut(a, 'again')).toBe(false);
    expect(picker.takeOut(relay('stranger'), 'not ours')).toBe(false);
    expect(picker.out).toEqual([{ name: 'a', reason: '550 policy' }]);
    expect(picker.othersIn(b)).toBe(false);
    expect(picker.othersIn(a)).toBe(true);
    expect(picker.spent()).toBeUndefined();
    expect(await names(picker, 3)).toEqual(['b', 'b', 'b']);
    expect(picker.takeOut(b, 'connection refused')).toBe(true);
    expect(await picker.next()).toBeUndefined();
    expect(picker.spent()).toEqual({ kind: 'out', reason: 'a: 550 policy; b: connection refused' });
  });

  it('asks the quota of a relay with a daily limit only, under its own key and the clock’s time', async () => {
    const asked: Array<[string, number, number]> = [];
    const quota = async (key: string, limit: number, at: Date) => {
      asked.push([key, limit, at.getTime()]);
      return undefined;
    };
    const picker = relayPicker([relay('capped', 1, 7), relay('free', 1, 0)], countInProcess(), quota, () => 1_000);
    expect(await names(picker, 4)).toEqual(['capped', 'free', 'capped', 'free']);
    expect(asked).toEqual([
      ['relay capped', 7, 1_000],
      ['relay capped', 7, 1_000],
    ]);
  });

  it('rests a relay at its daily limit until its slot frees, then takes it back; all resting: spent, with the first time one frees', async () => {
    let clock = 0;
    const full = new Map<string, number>([
      ['relay a', 5_000],
      ['relay b', 3_000],
    ]);
    const quota = async (key: string) => {
      const until = full.get(key);
      return until !== undefined && until > clock ? new Date(until) : undefined;
    };
    const picker = relayPicker([relay('a', 1, 10), relay('b', 1, 20)], countInProcess(), quota, () => clock);
    expect(await picker.next()).toBeUndefined();
    expect(picker.spent()).toEqual({
      kind: 'daily',
      until: new Date(3_000),
      reason: 'every relay is at its daily limit (a 10, b 20 in 24 hours)',
    });
    // Still resting a millisecond before; at the time itself, b is back (a is not asked again before its time).
    clock = 2_999;
    expect(picker.spent()?.kind).toBe('daily');
    clock = 3_000;
    expect(picker.spent()).toBeUndefined();
    expect(await names(picker, 2)).toEqual(['b', 'b']);
    clock = 5_000;
    expect((await names(picker, 4)).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('a relay taken out while another rests: spent is the resting one’s time, not "out"', async () => {
    const quota = async (key: string) => (key === 'relay b' ? new Date(9_000) : undefined);
    const a = relay('a');
    const picker = relayPicker([a, relay('b', 1, 1)], countInProcess(), quota, () => 0);
    picker.takeOut(a, 'refused');
    expect(await picker.next()).toBeUndefined();
    expect(picker.spent()).toMatchObject({ kind: 'daily', until: new Date(9_000) });
  });

  it('waits for a relay’s rate, counted under its own key', async () => {
    const keys: string[] = [];
    const count = countInProcess();
    const picker = relayPicker(
      [relay('slow', 1, 0, 2)],
      async (key, windowMs, at) => {
        keys.push(key);
        return count(key, windowMs, at);
      },
      noQuota,
    );
    const started = Date.now();
    expect(await names(picker, 3)).toEqual(['slow', 'slow', 'slow']);
    // Two a second: the third waits for the next second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(new Set(keys)).toEqual(new Set(['relay slow']));
  });

  it('does not count a rate for a relay without one', async () => {
    let counted = 0;
    const picker = relayPicker(
      [relay('free')],
      async () => {
        counted++;
        return { hits: 1, start: new Date() };
      },
      noQuota,
    );
    await names(picker, 3);
    expect(counted).toBe(0);
  });
});
