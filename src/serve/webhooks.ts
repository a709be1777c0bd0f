import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Applied, applyEvidence, type Evidence } from '../bounces/index.js';
import {
  mailgunEvidence,
  postmarkEvidence,
  type SnsMessage,
  sesEvidence,
  snsSubscribeUrl,
  verifyMailgun,
  verifyPostmark,
  verifySns,
  WebhookRefused,
} from '../bounces/webhooks.js';
import type { ServeDeps } from './app.js';

/** A provider's event with a full SES notification (headers included) fits: SNS messages are at most 256 KB. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const EVENTS_PER_MINUTE = 1200;
const CERTIFICATES_KEPT = 16;

/** GET a URL's text, over https only, within 10 seconds and 64 KB. */
async function httpsText(url: string): Promise<string> {
  if (!url.startsWith('https://')) throw new Error(`not https: ${url}`);
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > 65536) throw new Error(`${url} is too big`);
  return text;
}

/**
 * `POST <public_url>webhooks/{ses,postmark,mailgun}`: each only when turned
 * on in `[webhooks]` (404 otherwise), each verified by the provider's own
 * scheme before anything is read from it. A refused request changes
 * nothing; a verified one is applied like a report mailed back, once.
 */
export async function webhookRoutes(app: FastifyInstance, deps: ServeDeps, prefix: string): Promise<void> {
  const { config, db, secret } = deps;
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

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, String(body)));
  const json = (request: FastifyRequest): unknown => {
    try {
      return JSON.parse(String(request.body ?? ''));
    } catch {
      throw new WebhookRefused('the body is not JSON', 400);
    }
  };
  const answer = (reply: FastifyReply, applied: Applied | undefined) =>
    reply.code(200).send({ ok: true, ...(applied ? { kind: applied.kind, outcome: applied.outcome } : { outcome: 'ignored' }) });
  const apply = (evidence: Evidence | undefined) => (evidence ? applyEvidence(ctx, evidence) : undefined);
  const route = (provider: string, handle: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    app.post(
      `${prefix}webhooks/${provider}`,
      { bodyLimit: WEBHOOK_BODY_LIMIT, config: { rateLimit: { max: EVENTS_PER_MINUTE, timeWindow: '1 minute' } } },
      async (request, reply) => {
        try {
          return await handle(request, reply);
        } catch (err) {
          if (!(err instanceof WebhookRefused)) throw err;
          deps.log(`warning: refused a ${provider} webhook from ${request.ip}: ${err.message}`);
          return reply.code(err.status).send({ ok: false, message: err.message });
        }
      },
    );

  if (hooks.sesTopicArn) {
    const topic = hooks.sesTopicArn;
    route('ses', async (request, reply) => {
      const message: SnsMessage = await verifySns(json(request), topic, certificate);
      const subscribe = snsSubscribeUrl(message);
      if (subscribe) {
        await fetchText(subscribe);
        deps.log(`confirmed the SNS subscription to ${message.TopicArn}`);
        return reply.code(200).send({ ok: true, outcome: 'subscribed' });
      }
      return answer(reply, message.Type === 'Notification' ? apply(sesEvidence(message)) : undefined);
    });
  }
  if (hooks.postmark) {
    const auth = deps.webhookSecrets?.postmark ?? '';
    route('postmark', async (request, reply) => {
      verifyPostmark(request.headers.authorization, auth);
      return answer(reply, apply(postmarkEvidence(json(request))));
    });
  }
  if (hooks.mailgun) {
    const key = deps.webhookSecrets?.mailgun ?? '';
    route('mailgun', async (request, reply) => {
      const body = json(request);
      verifyMailgun(body, key);
      return answer(reply, apply(mailgunEvidence(body)));
    });
  }
}
