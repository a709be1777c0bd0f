import { loadConfig } from '../config/index.js';
import { EXIT, GazetteError } from '../errors.js';
import { startServe } from '../serve/index.js';
import { displayPath, type Io, printWarnings, untilStopped } from './report.js';

export interface ServeFlags {
  config?: string;
  port: string;
  host: string;
}

/** `gazette serve`: flags in, the server started, until Ctrl-C or SIGTERM, which close it gracefully. */
export async function serveCommand(flags: ServeFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GazetteError('USAGE', `--port must be a port number, not ${JSON.stringify(flags.port)}`);
  const { config, warnings } = await loadConfig(flags.config, 'serve', { env });
  printWarnings(io, warnings);
  const server = await startServe(config, { host: flags.host, port, log: io.err });
  const via =
    server.carrier.kind === 'smtp' ? `go via ${server.carrier.description}` : `are written to ${displayPath(server.carrier.description)}/ (no SMTP configured)`;
  // The address readers use, and where this process listens when that is another (behind a proxy).
  const listening = server.url === config.server.publicUrl ? '' : ` (listening on ${server.url})`;
  io.out(`Readers' pages at ${config.server.publicUrl}${listening}; confirmation emails ${via}. Ctrl-C stops.`);
  const hooks = [config.webhooks.sesTopicArn ? 'ses' : '', config.webhooks.postmark ? 'postmark' : '', config.webhooks.mailgun ? 'mailgun' : ''].filter(
    Boolean,
  );
  if (hooks.length) io.out(`Webhooks: ${hooks.map((h) => `${config.server.publicUrl}webhooks/${h}`).join(', ')}`);
  await untilStopped();
  io.err('Stopping: finishing the requests in flight…');
  await server.close();
  return EXIT.ok;
}
