import { loadConfig } from '../config/index.js';
import { EXIT, GazetteError, GazetteErrors } from '../errors.js';
import { startPreview } from '../preview/index.js';
import { displayPath, displayPaths, type Io, untilStopped } from './report.js';

export interface PreviewFlags {
  config?: string;
  port: string;
  host: string;
  drafts?: boolean;
  future?: boolean;
}

/** The lines the CLI prints for a build error. */
function errorLines(err: unknown): string[] {
  if (err instanceof GazetteErrors)
    return [...err.problems.map((p) => `error: ${displayPaths(p.format(displayPath))}`), `gazette: ${displayPaths(err.message)}`];
  if (err instanceof GazetteError) return [`error: ${displayPaths(err.format(displayPath))}`];
  return [`error: ${String(err)}`];
}

/** `gazette preview`: flags in, the preview server started, until Ctrl-C or SIGTERM. */
export async function previewCommand(flags: PreviewFlags, io: Io): Promise<number> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GazetteError('USAGE', `--port must be a port number, not ${JSON.stringify(flags.port)}`);
  const preview = await startPreview({
    loadConfig: async () => (await loadConfig(flags.config, 'preview')).config,
    host: flags.host,
    port,
    drafts: flags.drafts,
    future: flags.future,
    log: (line) => io.err(line),
    formatError: errorLines,
  });
  io.out(`Previewing at ${preview.url} (rebuilt on every change; out/ is not touched). Ctrl-C stops.`);
  await untilStopped();
  await preview.close();
  return EXIT.ok;
}
