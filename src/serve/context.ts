import type { FastifyReply, FastifyRequest } from 'fastify';
import { readerWords } from '../i18n/index.js';
import type { Preferences, SubscriberRow } from '../store/index.js';
import { verifyConfirmToken, verifyPreferencesToken, verifyToken, verifyUndoToken } from '../tokens/index.js';
import type { ServeDeps } from './deps.js';
import { messagePage, type PageContext } from './pages.js';

/** Requests a client may make, per minute, that carry no valid token (guesses, forgeries). */
const CLICKS_PER_MINUTE = 60;

/** Largest request body: a form of an address and a name. */
export const BODY_LIMIT = 16 * 1024;

export type Body = Record<string, unknown> | string | undefined;

/** A form's or a query's field, when it is a string. */
export const field = (body: Body, name: string): string | undefined => {
  if (!body || typeof body !== 'object') return undefined;
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
};

/** A form's repeated field (`topic=a&topic=b`): every string value. */
const values = (body: Body, name: string): string[] => {
  if (!body || typeof body !== 'object') return [];
  const value = body[name];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
};

/**
 * A form's topics and frequency (the subscribe form with `[topics]`, the
 * preferences page): undefined when it sends neither, `invalid` for a value
 * no form of Gazette's offers (a forged form, which changes nothing).
 */
export function formChoice(body: Body, known: ReadonlySet<string>): Preferences | undefined | 'invalid' {
  const topics = values(body, 'topic');
  const frequencies = values(body, 'frequency');
  if (topics.length === 0 && frequencies.length === 0) return undefined;
  const [frequency = 'daily', ...more] = frequencies;
  if (topics.some((t) => !known.has(t)) || (frequency !== 'daily' && frequency !== 'weekly') || more.length) return 'invalid';
  return { topics: [...new Set(topics)], frequency };
}

/** An HTML answer, never cached. */
export const html = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(body);

/**
 * What every route module of the readers' pages shares: the deps, the
 * pages' words, the path prefix, reading a request's token, and which
 * requests carry a token Gazette signed (those pass the rate limit).
 */
export type RouteContext = ReturnType<typeof routeContext>;

export function routeContext(deps: ServeDeps) {
  const { config, store, secret } = deps;
  const now = deps.now ?? Date.now;
  const prefix = new URL(config.server.publicUrl ?? 'http://localhost/').pathname;
  const ctx: PageContext = { config, words: readerWords(config.site.language, config.site.title) };
  const { words } = ctx;
  /** Mails being sent in the background (confirmations): `settle` waits for them. */
  const inFlight = new Set<Promise<unknown>>();

  const wantsJson = (request: FastifyRequest) =>
    /application\/json/.test(String(request.headers['content-type'] ?? '')) || /application\/json/.test(String(request.headers.accept ?? ''));
  const lookup = (id: number) => store.subscriber(id);
  const tokenOf = (request: FastifyRequest) => field(request.query as Body, 'token') ?? field(request.body as Body, 'token') ?? '';
  const badLink = (reply: FastifyReply, expired = false) =>
    html(reply, 400, messagePage(ctx, words.bad_link_title, expired ? words.expired_link : words.bad_link));

  /** The subscriber a lasting token names (`verify`: an unsubscribe or a preferences token), or undefined: one lookup, the MAC checked against its row. */
  const readerOf =
    (verify: typeof verifyToken) =>
    async (token: string): Promise<SubscriberRow | undefined> => {
      let row: SubscriberRow | undefined;
      const id = await verify(secret, token, async (n) => {
        row = await lookup(n);
        return row;
      });
      return id === undefined ? undefined : row;
    };
  const unsubscriber = readerOf(verifyToken);
  const preferencesReader = readerOf(verifyPreferencesToken);
  /** Whether the request carries a token Gazette signed for this route: then no rate limit applies to it. */
  const genuine: Record<string, (token: string) => Promise<boolean>> = {
    unsubscribe: async (token) => (await unsubscriber(token)) !== undefined,
    preferences: async (token) => (await preferencesReader(token)) !== undefined,
    confirm: async (token) => !('problem' in (await verifyConfirmToken(secret, token, lookup, now()))),
    resubscribe: async (token) => !('problem' in (await verifyUndoToken(secret, token, lookup, now()))),
  };
  /** Per client and minute, for requests without a valid token (guesses, forgeries); a genuine one always passes. */
  const limitedUnlessSigned = (route: keyof typeof genuine) => ({
    config: { rateLimit: { max: CLICKS_PER_MINUTE, timeWindow: '1 minute', allowList: (request: FastifyRequest) => genuine[route]!(tokenOf(request)) } },
  });

  return {
    deps,
    config,
    store,
    secret,
    now,
    prefix,
    ctx,
    words,
    inFlight,
    wantsJson,
    lookup,
    tokenOf,
    badLink,
    unsubscriber,
    preferencesReader,
    limitedUnlessSigned,
  };
}
