import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SubscriberRow } from '../store/index.js';
import { unsubscribeToken } from '../tokens/index.js';
import { fillIn } from '../util/text.js';
import { type Body, formChoice, html, type RouteContext } from './context.js';
import { messagePage, preferencesPage } from './pages.js';

/**
 * The preferences page, from every email's footer: a reader picks topics and
 * how often, or leaves. Its token (the footer's, bound to the reader and to
 * this purpose) is the only key; nothing changes on GET.
 */
export function preferencesRoutes(app: FastifyInstance, routes: RouteContext): void {
  const { store, secret, now, prefix, ctx, words, config, tokenOf, badLink, preferencesReader, limitedUnlessSigned } = routes;
  const known = new Set(config.topics.map((t) => t.key));

  const show = async (reply: FastifyReply, row: SubscriberRow, token: string, saved: boolean) => {
    if (row.status !== 'subscribed' && row.status !== 'pending') {
      return html(reply, 200, messagePage(ctx, words.preferences_title, fillIn(words.unsubscribed, { '{email}': row.email })));
    }
    const chosen = await store.preferences(row.id);
    return html(reply, 200, preferencesPage(ctx, row.email, chosen, { preferences: token, unsubscribe: unsubscribeToken(secret, row) }, saved));
  };

  app.get(`${prefix}preferences`, limitedUnlessSigned('preferences'), async (request, reply) => {
    const token = tokenOf(request);
    const row = await preferencesReader(token);
    if (!row) return badLink(reply);
    return show(reply, row, token, false);
  });

  app.post(`${prefix}preferences`, limitedUnlessSigned('preferences'), async (request, reply) => {
    const token = tokenOf(request);
    const row = await preferencesReader(token);
    if (!row) return badLink(reply);
    // Only the choices the page offers: anything else is a forged form, and changes nothing. Nothing ticked: everything, every issue.
    const choice = formChoice(request.body as Body, known) ?? { topics: [], frequency: 'daily' };
    if (choice === 'invalid') return html(reply, 400, messagePage(ctx, words.bad_link_title, words.bad_request));
    if (row.status === 'subscribed' || row.status === 'pending') await store.setPreferences(row.id, choice, new Date(now()));
    return show(reply, row, token, true);
  });
}
