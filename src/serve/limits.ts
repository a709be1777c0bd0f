import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { ReaderStore } from './deps.js';

/** What @fastify/rate-limit hands a store for a route: its limits and, under `routeInfo`, the route. */
type RouteLimits = { routeInfo?: { url?: string; method?: string | string[] } };

/**
 * A rate-limit store over the list's database, for `serve` replicas that
 * share it: a client's requests to a route are counted by all of them
 * together (@fastify/rate-limit's own store keeps them in each process).
 */
export function sharedLimitStore(store: Pick<ReaderStore, 'countHit'>, now: () => number): FastifyRateLimitStoreCtor {
  class SharedLimits implements FastifyRateLimitStore {
    private readonly route: string;
    constructor(options: object) {
      const { routeInfo } = options as RouteLimits;
      const method = routeInfo?.method;
      this.route = `${Array.isArray(method) ? method.join(',') : (method ?? '')} ${routeInfo?.url ?? ''}`;
    }
    incr(key: string, done: (err: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const at = now();
      store.countHit(`${this.route} ${key}`, timeWindow, new Date(at)).then(
        ({ hits, start }) => done(null, { current: hits, ttl: Math.max(0, start.getTime() + timeWindow - at) }),
        (err: Error) => done(err),
      );
    }
    child(routeOptions: object): FastifyRateLimitStore {
      return new SharedLimits(routeOptions);
    }
  }
  return SharedLimits as unknown as FastifyRateLimitStoreCtor;
}
