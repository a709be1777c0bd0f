import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { BODY_LIMIT, html, routeContext } from './context.js';
import type { ServeDeps } from './deps.js';
import { sharedLimitStore } from './limits.js';
import { messagePage, STYLE_HASH } from './pages.js';
import { preferencesRoutes } from './preferences-routes.js';
import { subscribeRoutes } from './subscribe-routes.js';
import { unsubscribeRoutes } from './unsubscribe-routes.js';
import { webhookRoutes } from './webhooks.js';

export type { ServeDeps } from './deps.js';

/**
 * The reader's side of the list as a Fastify app: every route under the
 * path of `server.public_url`, so the links in email map one to one onto it
 * behind a reverse proxy. Pages answer in the site's language; bad input is
 * always a 4xx page, never a 500 or a stack trace.
 */
export async function createApp(deps: ServeDeps): Promise<{ app: FastifyInstance; settle: () => Promise<void> }> {
  const routes = routeContext(deps);
  const { config, prefix, ctx, words, inFlight } = routes;

  // Behind the operator's proxies, the client is the entry that many from the right of X-Forwarded-For
  // (each proxy appends the address it saw); entries further left are the client's own words.
  const hops = config.server.proxyHops;
  const trustProxy = config.server.trustProxy ? (_address: string, hop: number) => hop < hops : false;
  const app = Fastify({ bodyLimit: BODY_LIMIT, trustProxy, logger: false, return503OnClosing: true });

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
  // Replicas of `serve` on one PostgreSQL list count each client's requests together, in the database.
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    ...(routes.store.shared ? { store: sharedLimitStore(routes.store, routes.now) } : {}),
  });

  subscribeRoutes(app, routes);
  await unsubscribeRoutes(app, routes);
  preferencesRoutes(app, routes);

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
