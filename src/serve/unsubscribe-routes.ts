import type { FastifyInstance } from 'fastify';
import { UNDO_TTL_MS, undoToken, verifyUndoToken } from '../tokens/index.js';
import { BODY_LIMIT, type Body, field, html, type RouteContext } from './context.js';
import { buttonPage, donePage, subscribePage, unsubscribedPage } from './pages.js';

/** Leaving: the unsubscribe link (a page, then a button), RFC 8058's one-click post, and the undo button. */
export async function unsubscribeRoutes(app: FastifyInstance, routes: RouteContext): Promise<void> {
  const { store, secret, now, prefix, ctx, words, lookup, tokenOf, badLink, unsubscriber, limitedUnlessSigned } = routes;

  app.get(`${prefix}unsubscribe`, async (request, reply) => {
    const token = tokenOf(request);
    const row = await unsubscriber(token);
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
    anyBody.post(`${prefix}unsubscribe`, limitedUnlessSigned('unsubscribe'), async (request, reply) => {
      const token = tokenOf(request);
      const row = await unsubscriber(token);
      if (!row) return badLink(reply);
      // RFC 8058: a mail client's one-click request carries List-Unsubscribe=One-Click.
      const body = request.body as Body;
      const oneClick = field(body, 'List-Unsubscribe') === 'One-Click' || (typeof body === 'string' && /List-Unsubscribe[\s\S]*One-Click/.test(body));
      const left = (await store.leave(row.id, oneClick ? 'one-click' : 'page')) === 'unsubscribed';
      // The undo button undoes this unsubscribe, for a few minutes; a repeat of an old one offers none.
      const after = (await lookup(row.id))!;
      const fresh = left || (after.unsubscribed_at !== null && now() - Date.parse(after.unsubscribed_at) < UNDO_TTL_MS);
      const undo = fresh && after.status === 'unsubscribed' ? undoToken(secret, after, now()) : undefined;
      return html(reply, 200, unsubscribedPage(ctx, row.email, undo));
    });
  });

  app.post(`${prefix}resubscribe`, limitedUnlessSigned('resubscribe'), async (request, reply) => {
    const verdict = await verifyUndoToken(secret, tokenOf(request), lookup, now());
    if ('problem' in verdict) {
      // Not the unsubscribe just made (a footer link's token, an old undo): subscribing again is a fresh double opt-in.
      return verdict.problem === 'expired' ? html(reply, 400, subscribePage(ctx, words.bad_link_title, words.undo_expired)) : badLink(reply);
    }
    const row = (await lookup(verdict.id))!;
    await store.undoLeave(row.id);
    return html(reply, 200, donePage(ctx, words.confirmed_title, words.resubscribed, row.email));
  });
}
