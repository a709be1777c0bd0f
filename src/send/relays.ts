import type { Relay } from '../mail/index.js';
import { type CountHit, rateSlot } from './pace.js';

/** Why the relays can carry no more of this run. */
export interface RelaysSpent {
  /** `out`: every relay refused as a relay; `daily`: every one left is at its daily limit. */
  kind: 'out' | 'daily';
  /** For `daily`: when the first slot frees. */
  until?: Date;
  reason: string;
}

export interface RelayPicker {
  /**
   * The relay for the next message, by weight among those in the run and
   * under their daily limit, once its rate allows: undefined when none can
   * take it (`spent` says why).
   */
  next(): Promise<Relay | undefined>;
  /** Take a relay out of the run (it refused the session, the login, the sender or by policy); true the first time. */
  takeOut(relay: Relay, reason: string): boolean;
  /** Whether a relay other than `relay` is still in the run. */
  othersIn(relay: Relay): boolean;
  /** The relays taken out, with why. */
  readonly out: ReadonlyArray<{ name: string; reason: string }>;
  spent(): RelaysSpent | undefined;
}

interface Place {
  relay: Relay;
  /** Smooth weighted round robin (as nginx spreads requests): the relay with the most credit goes next. */
  credit: number;
  out?: string;
  /** At its daily limit until then. */
  fullUntil?: Date;
}

/**
 * Spread a campaign's messages over its relays by weight, keeping each
 * relay's rate (`relay <name>`, counted by `count`: in the store when
 * several workers share the campaign) and daily limit (`quotaSlot`, always
 * in the store). A relay that refuses as a relay is taken out for the rest
 * of the run; one at its daily limit rests until a slot frees.
 */
export function relayPicker(
  relays: Relay[],
  count: CountHit,
  quotaSlot: (key: string, limit: number, at: Date) => Promise<Date | undefined>,
  now: () => number = Date.now,
): RelayPicker {
  const places: Place[] = relays.map((relay) => ({ relay, credit: 0 }));
  const out: Array<{ name: string; reason: string }> = [];
  const usable = (p: Place) => !p.out && !(p.fullUntil && p.fullUntil.getTime() > now());

  const choose = (): Place | undefined => {
    const candidates = places.filter(usable);
    if (candidates.length === 0) return undefined;
    const total = candidates.reduce((sum, p) => sum + p.relay.weight, 0);
    for (const p of candidates) p.credit += p.relay.weight;
    const best = candidates.reduce((a, b) => (b.credit > a.credit ? b : a));
    best.credit -= total;
    return best;
  };

  return {
    async next() {
      for (;;) {
        const place = choose();
        if (!place) return undefined;
        const { relay } = place;
        if (relay.dailyLimit > 0) {
          const until = await quotaSlot(`relay ${relay.name}`, relay.dailyLimit, new Date(now()));
          if (until) {
            place.fullUntil = until;
            continue;
          }
        }
        if (relay.rateLimit > 0) await rateSlot(count, `relay ${relay.name}`, relay.rateLimit);
        return relay;
      }
    },
    takeOut(relay, reason) {
      const place = places.find((p) => p.relay === relay);
      if (!place || place.out) return false;
      place.out = reason;
      out.push({ name: relay.name, reason });
      return true;
    },
    othersIn: (relay) => places.some((p) => p.relay !== relay && !p.out),
    out,
    spent() {
      if (places.some(usable)) return undefined;
      const resting = places.filter((p) => !p.out);
      if (resting.length === 0) return { kind: 'out', reason: out.map((o) => `${o.name}: ${o.reason}`).join('; ') };
      const until = new Date(Math.min(...resting.map((p) => p.fullUntil!.getTime())));
      return {
        kind: 'daily',
        until,
        reason: `every relay is at its daily limit (${resting.map((p) => `${p.relay.name} ${p.relay.dailyLimit}`).join(', ')} in 24 hours)`,
      };
    },
  };
}
