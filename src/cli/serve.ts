import { loadConfig } from '../config/index.js';
import { EXIT, GazetteError } from '../errors.js';
import { startServe } from '../serve/index.js';
import { displayPath, type Io, printWarnings, untilStopped } from './report.js';

export interface ServeFlags {
  config: string;
  port: string;
  host: string;
}

/** `gazette serve`: flags in, the server started, until Ctrl-C or SIGTERM, which close it gracefully. */
export async function serveCommand(flags: ServeFlags, io: Io): Promise<number> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GazetteError('USAGE', `--port must be a port number, not ${JSON.stringify(flags.port)}`);
  const { config, warnings } = await loadConfig(flags.config);
  printWarnings(io, warnings);
  const server = await startServe(config, { host: flags.host, port, env: process.env, log: io.err });
  const via = server.carrier.kind === 'smtp' ? server.carrier.description : `${displayPath(server.carrier.description)}/ (no SMTP configured)`;
  io.out(`Serving ${config.server.publicUrl} at ${server.url}; confirmation emails go via ${via}. Ctrl-C stops.`);
  const hooks = [config.webhooks.sesTopicArn ? 'ses' : '', config.webhooks.postmark ? 'postmark' : '', config.webhooks.mailgun ? 'mailgun' : ''].filter(
    Boolean,
  );
  if (hooks.length) io.out(`Webhooks: ${hooks.map((h) => `${config.server.publicUrl}webhooks/${h}`).join(', ')}`);
  await untilStopped();
  io.err('Stopping: finishing the requests in flight…');
  await server.close();
  return EXIT.ok;
}
