import type { FastifyInstance } from 'fastify';
import { composeConfirmation } from '../mail/index.js';
import { type ConfirmationSlot, checkEmail, confirmationCaps, type SubscriberRow } from '../store/index.js';
import { confirmToken, confirmUrl, returnPath, verifyConfirmToken } from '../tokens/index.js';
import { fillIn, plainLine } from '../util/text.js';
import { type Body, field, formChoice, html, type RouteContext } from './context.js';
import { buttonPage, donePage, landingPage, messagePage } from './pages.js';

/** Subscribing requests a client may make, per minute. */
const SUBSCRIBES_PER_MINUTE = 10;

/** The landing page, the health check, the subscribe form's post, and the confirmation link (a page, then a button). */
export function subscribeRoutes(app: FastifyInstance, routes: RouteContext): void {
  const { deps, config, store, secret, now, prefix, ctx, words, inFlight, wantsJson, lookup, tokenOf, badLink, limitedUnlessSigned } = routes;
  const caps = confirmationCaps(config.server.confirmationsPerHour);
  const known = new Set(config.topics.map((t) => t.key));

  const mailConfirmation = (row: SubscriberRow, slot: ConfirmationSlot | undefined) => {
    const job = (async () => {
      const email = await deps.confirmation();
      const link = confirmUrl(config, confirmToken(secret, row, now()));
      await deps.mail(composeConfirmation({ config, email, to: row, confirmUrl: link, returnPath: returnPath(config, secret, row, undefined) }));
    })().catch(async (err: unknown) => {
      if (slot) await store.releaseSlot(slot).catch(() => undefined);
      deps.log(`warning: could not mail a confirmation to ${row.email}: ${(err as Error).message}`);
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  };

  app.get(prefix, (_request, reply) => html(reply, 200, landingPage(ctx)));

  app.get(`${prefix}healthz`, async (_request, reply) => {
    try {
      await store.ping();
      return reply.code(200).type('text/plain').send('ok\n');
    } catch {
      return reply.code(503).type('text/plain').send('the subscriber database cannot be read\n');
    }
  });

  app.post(`${prefix}subscribe`, { config: { rateLimit: { max: SUBSCRIBES_PER_MINUTE, timeWindow: '1 minute' } } }, async (request, reply) => {
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
    const choice = formChoice(body, known);
    if (choice === 'invalid') {
      return json ? reply.code(400).send({ ok: false, message: words.bad_request }) : html(reply, 400, messagePage(ctx, words.bad_request, words.bad_request));
    }
    const asked = await store.requestSubscription(checked.email, name, caps, new Date(now()));
    if (asked.busy) {
      // The hour's confirmations are spent: the same answer for every address, known or not.
      return json
        ? reply.code(429).header('Retry-After', '3600').send({ ok: false, message: words.busy })
        : html(reply.header('Retry-After', '3600'), 429, messagePage(ctx, words.bad_request, words.busy));
    }
    // The form's choice of topics and frequency is kept for an address not yet confirmed only: a stranger's
    // form never changes what a subscribed reader chose (that is the preferences page's, behind their token).
    if (asked.mailTo?.status === 'pending' && choice) await store.setPreferences(asked.mailTo.id, choice, new Date(now()));
    // Mailed in the background: the answer, and its timing, are the same whether the address was known or not.
    if (asked.mailTo) mailConfirmation(asked.mailTo, asked.slot);
    return done();
  });

  app.get(`${prefix}confirm`, async (request, reply) => {
    const token = tokenOf(request);
    const verdict = await verifyConfirmToken(secret, token, lookup, now());
    if ('problem' in verdict) return badLink(reply, verdict.problem === 'expired');
    const row = (await lookup(verdict.id))!;
    return html(
      reply,
      200,
      buttonPage(ctx, words.confirm_title, words.confirm_lead, row.email, `confirm?token=${encodeURIComponent(token)}`, words.confirm_button, token),
    );
  });

  app.post(`${prefix}confirm`, limitedUnlessSigned('confirm'), async (request, reply) => {
    const verdict = await verifyConfirmToken(secret, tokenOf(request), lookup, now());
    if ('problem' in verdict) return badLink(reply, verdict.problem === 'expired');
    await store.confirm(verdict.id);
    return html(reply, 200, donePage(ctx, words.confirmed_title, words.confirmed, (await lookup(verdict.id))!.email));
  });
}
