import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  applyEvidence,
  type Evidence,
  mailgunEvidence,
  parseWebhookJson,
  postmarkEvidence,
  REPLAY_WINDOW_MS,
  type SnsMessage,
  sesEvidence,
  snsSubscribeUrl,
  verifyMailgun,
  verifyPostmark,
  verifySns,
  WebhookRefused,
} from '../bounces/index.js';
import type { ServeDeps } from './deps.js';

/** The largest webhook body taken: an SNS message is at most 256 KB; a Postmark bounce with its message a little more. */
export const WEBHOOK_BODY_LIMIT = 512 * 1024;
const EVENTS_PER_MINUTE = 1200;
const CERTIFICATES_KEPT = 16;
/** Webhook requests handled at once: past this, 503 (providers retry), so a flood cannot starve the readers' pages. */
const WEBHOOKS_IN_FLIGHT = 32;

/** GET a URL's text, over https only, within 10 seconds and 64 KB. */
export async function httpsText(url: string): Promise<string> {
  if (!url.startsWith('https://')) throw new Error(`not https: ${url}`);
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > 65536) throw new Error(`${url} is too big`);
  return text;
}

/**
 * `POST <public_url>webhooks/{ses,postmark,mailgun}`: each only when turned
 * on in `[webhooks]` (404 otherwise). What can be checked before the body
 * is read is checked first (the content type, Postmark's basic auth, SNS's
 * topic header), then the body's size and depth, then the provider's
 * signature and the event's age; each event is taken once. A refused
 * request changes nothing; a verified one is applied like a report mailed
 * back. The answer never says what the event did to whom.
 */
export async function webhookRoutes(app: FastifyInstance, deps: ServeDeps, prefix: string): Promise<void> {
  const { config, db, store, secret } = deps;
  const now = deps.now ?? Date.now;
  const hooks = config.webhooks;
  if (!hooks.sesTopicArn && !hooks.postmark && !hooks.mailgun) return;
  const fetchText = deps.fetchText ?? httpsText;
  const certificates = new Map<string, Promise<string>>();
  const certificate = (url: string) => {
    let cert = certificates.get(url);
    if (!cert) {
      if (certificates.size >= CERTIFICATES_KEPT) certificates.delete(certificates.keys().next().value!);
      cert = fetchText(url);
      certificates.set(url, cert);
      cert.catch(() => certificates.delete(url));
    }
    return cert;
  };
  const ctx = { db, secret, softLimit: config.bounces.softLimit };
  let inFlight = 0;

  // A provider reads the status; a refusal (here, or from the body's parser) says why in JSON.
  app.setErrorHandler((error: { statusCode?: number; status?: number; message?: string }, request, reply) => {
    const status = error instanceof WebhookRefused ? error.status : (error.statusCode ?? 500);
    if (status >= 500) deps.log(`error: ${error.message ?? String(error)}`);
    else deps.log(`warning: refused a webhook at ${request.url} from ${request.ip}: ${error.message ?? status}`);
    return reply.code(status).send({ ok: false, message: status >= 500 ? 'failed; retry later' : (error.message ?? 'refused') });
  });
  // JSON only (SNS says text/plain), its depth bounded before it is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseWebhookJson(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  const refuse = (reply: FastifyReply, provider: string, request: FastifyRequest, err: WebhookRefused) => {
    deps.log(`warning: refused a ${provider} webhook from ${request.ip}: ${err.message}`);
    return reply.code(err.status).send({ ok: false, message: err.message });
  };
  /**
   * Apply an event once: `eventId` is claimed first (a replay finds it
   * taken, and changes nothing), and given back if applying fails, so the
   * provider's retry is taken.
   */
  const once = async (eventId: string, window: number | undefined, evidence: () => Evidence | undefined): Promise<'applied' | 'replayed'> => {
    const at = new Date(now());
    // Kept past the window twice over: a clock that moves back a little does not reopen it.
    if (!(await store.claimEvent(eventId, at, window === undefined ? undefined : new Date(at.getTime() + 2 * window)))) return 'replayed';
    try {
      const found = evidence();
      if (found) await applyEvidence(ctx, found);
      return 'applied';
    } catch (err) {
      await store.releaseEvent(eventId);
      throw err;
    }
  };
  const route = (
    provider: string,
    /** Checks of the headers alone, before the body is read. */
    early: (request: FastifyRequest) => void,
    handle: (request: FastifyRequest) => Promise<'applied' | 'replayed' | 'subscribed'>,
  ) =>
    app.post(
      `${prefix}webhooks/${provider}`,
      {
        bodyLimit: WEBHOOK_BODY_LIMIT,
        config: { rateLimit: { max: EVENTS_PER_MINUTE, timeWindow: '1 minute' } },
        onRequest: async (request, reply) => {
          if (inFlight >= WEBHOOKS_IN_FLIGHT) return reply.code(503).header('Retry-After', '5').send({ ok: false, message: 'busy; retry' }) as FastifyReply;
          try {
            early(request);
          } catch (err) {
            if (err instanceof WebhookRefused) return refuse(reply, provider, request, err) as FastifyReply;
            throw err;
          }
          inFlight++;
          reply.raw.once('close', () => inFlight--);
          return undefined;
        },
      },
      async (request, reply) => {
        try {
          const done = await handle(request);
          if (done === 'replayed') deps.log(`warning: ignored a ${provider} event taken before (a replay, or the provider retrying)`);
          // The same answer whatever the event did, and to whom: it tells an outsider nothing.
          return reply.code(200).send({ ok: true });
        } catch (err) {
          if (err instanceof WebhookRefused) return refuse(reply, provider, request, err);
          throw err;
        }
      },
    );

  if (hooks.sesTopicArn) {
    const topic = hooks.sesTopicArn;
    route(
      'ses',
      (request) => {
        // SNS names the topic and the message type in headers: a request from elsewhere is refused unread.
        if (request.headers['x-amz-sns-topic-arn'] !== topic) throw new WebhookRefused('the x-amz-sns-topic-arn header is not webhooks.ses_topic_arn');
        if (!/^(Notification|SubscriptionConfirmation|UnsubscribeConfirmation)$/.test(String(request.headers['x-amz-sns-message-type'] ?? ''))) {
          throw new WebhookRefused('no x-amz-sns-message-type header: not a message from SNS', 400);
        }
      },
      async (request) => {
        const message: SnsMessage = await verifySns(request.body, topic, certificate, now());
        const subscribe = snsSubscribeUrl(message);
        if (subscribe) {
          await fetchText(subscribe);
          deps.log(`confirmed the SNS subscription to ${message.TopicArn}`);
          return 'subscribed';
        }
        return once(`sns:${message.MessageId}`, REPLAY_WINDOW_MS.sns, () => (message.Type === 'Notification' ? sesEvidence(message) : undefined));
      },
    );
  }
  if (hooks.postmark) {
    const auth = deps.webhookSecrets?.postmark ?? '';
    route(
      'postmark',
      (request) => verifyPostmark(request.headers.authorization, auth),
      async (request) => {
        const evidence = postmarkEvidence(request.body);
        // Postmark signs nothing: its event ID, taken once for good, makes a replay harmless.
        return evidence ? once(evidence.id, undefined, () => evidence) : 'applied';
      },
    );
  }
  if (hooks.mailgun) {
    const key = deps.webhookSecrets?.mailgun ?? '';
    route(
      'mailgun',
      () => undefined,
      async (request) => {
        const token = verifyMailgun(request.body, key, now());
        return once(`mailgun:${token}`, REPLAY_WINDOW_MS.mailgun + REPLAY_WINDOW_MS.ahead, () => mailgunEvidence(request.body));
      },
    );
  }
}
