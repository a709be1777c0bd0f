import { type Config, need } from '../config/index.js';
import { type RenderedEmail, renderConfirmation } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { type Carrier, openCarrier, outboxDir } from '../mail/index.js';
import { openStore, readerStore } from '../store/index.js';
import { loadSecret } from '../tokens/index.js';
import { printableLine } from '../util/text.js';
import { createApp } from './app.js';

export interface ServeOptions {
  host: string;
  port: number;
  log: (line: string) => void;
  /** Stands in for Amazon's https hosts (tests). */
  fetchText?: (url: string) => Promise<string>;
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
  // Checked as the config is read (config/uses.ts, NEEDS); again here for callers that load it otherwise.
  const publicUrl = need(config, 'server.public_url');
  need(config, 'email.from');
  const webhookSecrets = need(config, 'webhook secrets');
  const secret = loadSecret(config);
  const database = await openStore(config.subscribers.database);
  const db = database.db;
  let carrier: Carrier | undefined;
  try {
    // With no SMTP, serve still runs (to try the pages on one's own machine): confirmations are
    // written to the outbox, and the banner says so.
    carrier = await openCarrier(config, { dryRun: config.smtp.length === 0, outboxDir: outboxDir(config, 'confirmations') });
    let confirmation: Promise<RenderedEmail> | undefined;
    const mail = carrier.send.bind(carrier);
    const { app, settle } = await createApp({
      config,
      store: readerStore(db),
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
      url: `http://${host}:${port}${new URL(publicUrl).pathname}`,
      carrier: { kind: carrier.kind, description: carrier.description },
      async close() {
        await app.close();
        await settle();
        open.close();
        await database.close();
      },
    };
  } catch (err) {
    carrier?.close();
    await database.close();
    throw err;
  }
}
