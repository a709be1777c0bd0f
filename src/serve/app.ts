import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readerWords } from '../i18n/index.js';
import { composeConfirmation } from '../mail/index.js';
import { type ConfirmationSlot, checkEmail, confirmationCaps, type SubscriberRow } from '../store/index.js';
import { confirmToken, confirmUrl, returnPath, UNDO_TTL_MS, undoToken, verifyConfirmToken, verifyToken, verifyUndoToken } from '../tokens/index.js';
import { fillIn, plainLine } from '../util/text.js';
import type { ServeDeps } from './deps.js';
import { buttonPage, donePage, landingPage, messagePage, type PageContext, STYLE_HASH, subscribePage, unsubscribedPage } from './pages.js';
import { webhookRoutes } from './webhooks.js';

export type { ServeDeps } from './deps.js';

/** Requests a client may make, per minute: subscribing, and any request that carries no valid token. */
const SUBSCRIBES_PER_MINUTE = 10;
const CLICKS_PER_MINUTE = 60;
/** Tokens honoured lately, kept so that a repeat (a mail client's retry, a double click) takes the cheap path. */
const RECENT_TOKENS = 10_000;
/** Largest request body: a form of an address and a name. */
export const BODY_LIMIT = 16 * 1024;

type Body = Record<string, unknown> | string | undefined;

const field = (body: Body, name: string): string | undefined => {
  if (!body || typeof body !== 'object') return undefined;
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * The reader's side of the list as a Fastify app: every route under the
 * path of `server.public_url`, so the links in email map one to one onto it
 * behind a reverse proxy. Pages answer in the site's language; bad input is
 * always a 4xx page, never a 500 or a stack trace.
 */
export async function createApp(deps: ServeDeps): Promise<{ app: FastifyInstance; settle: () => Promise<void> }> {
  const { config, store, secret } = deps;
  const now = deps.now ?? Date.now;
  const base = new URL(config.server.publicUrl ?? 'http://localhost/');
  const prefix = base.pathname;
  const ctx: PageContext = { config, words: readerWords(config.site.language, config.site.title) };
  const { words } = ctx;
  const inFlight = new Set<Promise<unknown>>();
  const caps = confirmationCaps(config.server.confirmationsPerHour);

  // Behind the operator's proxies, the client is the entry that many from the right of X-Forwarded-For
  // (each proxy appends the address it saw); entries further left are the client's own words.
  const hops = config.server.proxyHops;
  const trustProxy = config.server.trustProxy ? (_address: string, hop: number) => hop < hops : false;
  const app = Fastify({ bodyLimit: BODY_LIMIT, trustProxy, logger: false, return503OnClosing: true });

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(body);

  // Every answer, an error's too (a 413, a 429, a 415), is a page in the site's language: set before
  // any route, so that every route and plugin is under it.
  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.log(`error: ${error.message ?? String(error)}`);
    const message = status === 429 ? words.too_many : status === 413 ? words.too_large : status === 500 ? words.failed : words.bad_request;
    return html(reply, status, messagePage(ctx, status === 500 ? words.failed : words.bad_request, message));
  });
  app.setNotFoundHandler((_request, reply) => html(reply, 404, messagePage(ctx, words.not_found_title, words.not_found)));

  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  // Mail clients may send RFC 8058's one-click POST as multipart/form-data; only its presence matters.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, String(body)));
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: [STYLE_HASH],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
  // Checked once the body is read (a token may be in the form), so that a request with a valid token
  // passes whatever address it comes from.
  await app.register(rateLimit, { global: false, hook: 'preHandler' });

  const wantsJson = (request: FastifyRequest) =>
    /application\/json/.test(String(request.headers['content-type'] ?? '')) || /application\/json/.test(String(request.headers.accept ?? ''));
  const lookup = (id: number) => store.subscriber(id);
  const tokenOf = (request: FastifyRequest) => field(request.query as Body, 'token') ?? field(request.body as Body, 'token') ?? '';
  const badLink = (reply: FastifyReply, expired = false) =>
    html(reply, 400, messagePage(ctx, words.bad_link_title, expired ? words.expired_link : words.bad_link));

  /**
   * Unsubscribe tokens honoured lately, with whom they name: a repeat skips
   * the check (the HMAC is still what let it in the first time).
   */
  const recent = new Map<string, number>();
  const remember = (token: string, id: number) => {
    if (recent.size >= RECENT_TOKENS) recent.delete(recent.keys().next().value!);
    recent.set(token, id);
  };
  /** The subscriber an unsubscribe token names, or undefined (a forged or damaged token). */
  const unsubscriber = (token: string): SubscriberRow | undefined => {
    const known = recent.get(token);
    const id = known ?? verifyToken(secret, token, lookup);
    if (id === undefined) return undefined;
    const row = lookup(id);
    if (row && known === undefined) remember(token, id);
    return row;
  };
  /** Whether the request carries a token Gazette signed for this route: then no rate limit applies to it. */
  const genuine: Record<string, (token: string) => boolean> = {
    unsubscribe: (token) => unsubscriber(token) !== undefined,
    confirm: (token) => !('problem' in verifyConfirmToken(secret, token, lookup, now())),
    resubscribe: (token) => !('problem' in verifyUndoToken(secret, token, lookup, now())),
  };
  /** Per client and minute, for requests without a valid token (guesses, forgeries); a genuine one always passes. */
  const limitedUnlessSigned = (route: keyof typeof genuine) => ({
    config: { rateLimit: { max: CLICKS_PER_MINUTE, timeWindow: '1 minute', allowList: (request: FastifyRequest) => genuine[route]!(tokenOf(request)) } },
  });

  const mailConfirmation = (row: SubscriberRow, slot: ConfirmationSlot | undefined) => {
    const job = (async () => {
      const email = await deps.confirmation();
      const link = confirmUrl(config, confirmToken(secret, row, now()));
      await deps.mail(composeConfirmation({ config, email, to: row, confirmUrl: link, returnPath: returnPath(config, secret, row, undefined) }));
    })().catch((err: unknown) => {
      if (slot) store.releaseSlot(slot);
      deps.log(`warning: could not mail a confirmation to ${row.email}: ${(err as Error).message}`);
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  };

  app.get(prefix, (_request, reply) => html(reply, 200, landingPage(ctx)));

  app.get(`${prefix}healthz`, (_request, reply) => {
    try {
      store.ping();
      return reply.code(200).type('text/plain').send('ok\n');
    } catch {
      return reply.code(503).type('text/plain').send('the subscriber database cannot be read\n');
    }
  });

  app.post(`${prefix}subscribe`, { config: { rateLimit: { max: SUBSCRIBES_PER_MINUTE, timeWindow: '1 minute' } } }, (request, reply) => {
    const body = request.body as Body;
    const json = wantsJson(request);
    const done = () =>
      json ? reply.code(200).send({ ok: true, message: words.check_inbox }) : html(reply, 200, messagePage(ctx, words.check_inbox_title, words.check_inbox));
    // A bot fills in every field, the hidden one too: it is told what a person would be, and nothing happens.
    if (field(body, 'website')) return done();
    const checked = checkEmail(field(body, 'email') ?? '');
    if ('reason' in checked) {
      const message = fillIn(words.bad_address, { '{reason}': checked.reason });
      return json ? reply.code(400).send({ ok: false, message }) : html(reply, 400, messagePage(ctx, words.bad_request, message));
    }
    const name = plainLine(field(body, 'name') ?? '').slice(0, 200) || undefined;
    const asked = store.requestSubscription(checked.email, name, caps, new Date(now()));
    if (asked.busy) {
      // The hour's confirmations are spent: the same answer for every address, known or not.
      return json
        ? reply.code(429).header('Retry-After', '3600').send({ ok: false, message: words.busy })
        : html(reply.header('Retry-After', '3600'), 429, messagePage(ctx, words.bad_request, words.busy));
    }
    // Mailed in the background: the answer, and its timing, are the same whether the address was known or not.
    if (asked.mailTo) mailConfirmation(asked.mailTo, asked.slot);
    return done();
  });

  app.get(`${prefix}confirm`, (request, reply) => {
    const token = tokenOf(request);
    const verdict = verifyConfirmToken(secret, token, lookup, now());
    if ('problem' in verdict) return badLink(reply, verdict.problem === 'expired');
    const row = lookup(verdict.id)!;
    return html(
      reply,
      200,
      buttonPage(ctx, words.confirm_title, words.confirm_lead, row.email, `confirm?token=${encodeURIComponent(token)}`, words.confirm_button, token),
    );
  });

  app.post(`${prefix}confirm`, limitedUnlessSigned('confirm'), (request, reply) => {
    const verdict = verifyConfirmToken(secret, tokenOf(request), lookup, now());
    if ('problem' in verdict) return badLink(reply, verdict.problem === 'expired');
    store.confirm(verdict.id);
    return html(reply, 200, donePage(ctx, words.confirmed_title, words.confirmed, lookup(verdict.id)!.email));
  });

  app.get(`${prefix}unsubscribe`, (request, reply) => {
    const token = tokenOf(request);
    const row = unsubscriber(token);
    if (!row) return badLink(reply);
    // Nothing changes on GET: mail scanners follow links.
    return html(
      reply,
      200,
      buttonPage(
        ctx,
        words.unsubscribe_title,
        words.unsubscribe_lead,
        row.email,
        `unsubscribe?token=${encodeURIComponent(token)}`,
        words.unsubscribe_button,
        token,
      ),
    );
  });

  // The one-click route takes whatever body a mail client sends (RFC 8058 names two content types;
  // some clients send others, or none): the token in the URL is what counts.
  await app.register(async (anyBody) => {
    anyBody.removeContentTypeParser(['application/json', 'text/plain']);
    anyBody.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, String(body)));
    anyBody.post(`${prefix}unsubscribe`, limitedUnlessSigned('unsubscribe'), (request, reply) => {
      const token = tokenOf(request);
      const row = unsubscriber(token);
      if (!row) return badLink(reply);
      // RFC 8058: a mail client's one-click request carries List-Unsubscribe=One-Click.
      const body = request.body as Body;
      const oneClick = field(body, 'List-Unsubscribe') === 'One-Click' || (typeof body === 'string' && /List-Unsubscribe[\s\S]*One-Click/.test(body));
      const left = store.leave(row.id, oneClick ? 'one-click' : 'page') === 'unsubscribed';
      // The undo button undoes this unsubscribe, for a few minutes; a repeat of an old one offers none.
      const after = lookup(row.id)!;
      const fresh = left || (after.unsubscribed_at !== null && now() - Date.parse(after.unsubscribed_at) < UNDO_TTL_MS);
      const undo = fresh && after.status === 'unsubscribed' ? undoToken(secret, after, now()) : undefined;
      return html(reply, 200, unsubscribedPage(ctx, row.email, undo));
    });
  });

  app.post(`${prefix}resubscribe`, limitedUnlessSigned('resubscribe'), (request, reply) => {
    const verdict = verifyUndoToken(secret, tokenOf(request), lookup, now());
    if ('problem' in verdict) {
      // Not the unsubscribe just made (a footer link's token, an old undo): subscribing again is a fresh double opt-in.
      return verdict.problem === 'expired' ? html(reply, 400, subscribePage(ctx, words.bad_link_title, words.undo_expired)) : badLink(reply);
    }
    const row = lookup(verdict.id)!;
    store.undoLeave(row.id);
    return html(reply, 200, donePage(ctx, words.confirmed_title, words.resubscribed, row.email));
  });

  // A known path with another method: 405, saying which methods it takes.
  const methods: Record<string, string[]> = {
    '': ['GET', 'HEAD'],
    healthz: ['GET', 'HEAD'],
    subscribe: ['POST'],
    confirm: ['GET', 'HEAD', 'POST'],
    unsubscribe: ['GET', 'HEAD', 'POST'],
    resubscribe: ['POST'],
  };
  for (const [path, allowed] of Object.entries(methods)) {
    const others = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !allowed.includes(m)) as Array<
      'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS'
    >;
    app.route({
      method: others,
      url: `${prefix}${path}`,
      handler: (_request, reply) => html(reply.header('Allow', allowed.join(', ')), 405, messagePage(ctx, words.bad_request, words.wrong_method)),
    });
  }

  await app.register(async (hooks) => webhookRoutes(hooks, deps, prefix));

  const settle = async () => {
    await Promise.all([...inFlight]);
  };
  return { app, settle };
}
