import type { Config } from '../config/index.js';
import { type RenderedEmail, renderConfirmation } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { type Carrier, openCarrier, outboxDir, smtpSettings } from '../mail/index.js';
import { openDatabase } from '../store/index.js';
import { loadSecret } from '../tokens/index.js';
import { printableLine } from '../util/text.js';
import { createApp } from './app.js';

export interface ServeOptions {
  host: string;
  port: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Stands in for Amazon's https hosts (tests). */
  fetchText?: (url: string) => Promise<string>;
}

/**
 * The secrets of the webhooks turned on, from the environment: a provider
 * turned on without its secret, or with a weak one, is refused at start
 * rather than left open to forged requests.
 */
function webhookSecretsOf(config: Config, env: NodeJS.ProcessEnv): { postmark?: string; mailgun?: string } {
  const secrets: { postmark?: string; mailgun?: string } = {};
  if (config.webhooks.postmark) {
    const auth = env.GAZETTE_POSTMARK_WEBHOOK_AUTH ?? '';
    const password = auth.slice(auth.indexOf(':') + 1);
    if (!auth.includes(':') || password.length < 16 || new Set(password).size < 8) {
      throw new GazetteError(
        'SECRET',
        'webhooks.postmark is on, but GAZETTE_POSTMARK_WEBHOOK_AUTH is not "user:password" with a password of at least 16 random characters',
      );
    }
    secrets.postmark = auth;
  }
  if (config.webhooks.mailgun) {
    const key = env.GAZETTE_MAILGUN_SIGNING_KEY ?? '';
    if (key.trim().length < 16)
      throw new GazetteError('SECRET', 'webhooks.mailgun is on, but GAZETTE_MAILGUN_SIGNING_KEY (the HTTP webhook signing key) is not set');
    secrets.mailgun = key.trim();
  }
  return secrets;
}

export interface RunningServer {
  /** Where it listens, e.g. `http://127.0.0.1:8080/newsletter/`. */
  url: string;
  /** How confirmations go: an SMTP server, or the outbox folder. */
  carrier: Pick<Carrier, 'kind' | 'description'>;
  /** Stop taking requests, finish those in flight and the mails being sent, and close everything. */
  close(): Promise<void>;
}

/** `gazette serve`: the database, the carrier and the app, listening. */
export async function startServe(config: Config, options: ServeOptions): Promise<RunningServer> {
  if (!config.server.publicUrl) {
    throw new GazetteError('CONFIG', 'server.public_url is not set: it is where readers reach gazette serve (its path is where the routes live)', {
      file: config.file,
    });
  }
  if (!config.email.from) throw new GazetteError('CONFIG', 'email.from is not set: confirmation emails are sent from it', { file: config.file });
  const secret = loadSecret(config, options.env);
  const webhookSecrets = webhookSecretsOf(config, options.env);
  const db = openDatabase(config.subscribers.database);
  let carrier: Carrier | undefined;
  try {
    // With no SMTP, serve still runs (to try the pages on one's own machine): confirmations are
    // written to the outbox, and the banner says so.
    carrier = await openCarrier(config, options.env, { dryRun: !smtpSettings(config, options.env), outboxDir: outboxDir(config, 'confirmations') });
    let confirmation: Promise<RenderedEmail> | undefined;
    const mail = carrier.send.bind(carrier);
    const { app, settle } = await createApp({
      config,
      db,
      secret,
      mail,
      confirmation: () => {
        confirmation ??= renderConfirmation(config);
        return confirmation;
      },
      // One line per event, whatever a request, a report or a server's reply put in it.
      log: (line) => options.log(printableLine(line)),
      webhookSecrets,
      ...(options.fetchText ? { fetchText: options.fetchText } : {}),
    });
    try {
      await app.listen({ host: options.host, port: options.port });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new GazetteError('USAGE', `cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`);
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const open = carrier;
    return {
      url: `http://${host}:${port}${new URL(config.server.publicUrl).pathname}`,
      carrier: { kind: carrier.kind, description: carrier.description },
      async close() {
        await app.close();
        await settle();
        open.close();
        db.close();
      },
    };
  } catch (err) {
    carrier?.close();
    db.close();
    throw err;
  }
}
