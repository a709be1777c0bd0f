import type { Config } from '../config/index.js';
import { type RenderedEmail, renderConfirmation } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { type Carrier, loadSecret, openCarrier, outboxDir } from '../send/index.js';
import { openDatabase } from '../store/index.js';
import { createApp } from './app.js';

export interface ServeOptions {
  host: string;
  port: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
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
  const db = openDatabase(config.subscribers.database);
  let carrier: Carrier | undefined;
  try {
    carrier = await openCarrier(config, options.env, { outboxDir: outboxDir(config, 'confirmations') });
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
      log: options.log,
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
