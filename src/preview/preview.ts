import { type FSWatcher, watch } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { build } from '../build/index.js';
import type { Config } from '../config/index.js';
import { GazetteError, isGazetteError } from '../errors.js';
import { inside } from '../util/files.js';
import { type PreviewState, previewRoutes, send } from './routes.js';

export interface PreviewOptions {
  /** Reads the config again (it is watched too). */
  loadConfig: () => Promise<Config>;
  host: string;
  port: number;
  drafts?: boolean;
  future?: boolean;
  /** Lines for the terminal: builds, errors. */
  log: (line: string) => void;
  /** Shows a build error as the CLI would (paths made readable). */
  formatError: (err: unknown) => string[];
}

export interface RunningPreview {
  /** `http://127.0.0.1:4000/`: the site, as built for this server. */
  url: string;
  /** Build again now (the watcher calls it on every change). */
  rebuild(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `gazette preview`: the site built for local viewing — every link, image
 * and feed pointing at this server, not at `base_url` — into a folder of
 * its own under `build.cache` (the real `out/` is never touched), rebuilt
 * on every change to the content, static files, templates or config, and
 * reloaded in the open browser. A build error is shown on the page and in
 * the terminal, and the last good pages stay. Each issue's email has a
 * preview page beside its web page.
 */
export async function startPreview(options: PreviewOptions): Promise<RunningPreview> {
  const config = await options.loadConfig();
  const root = path.join(config.build.cache, 'preview');
  const outDir = path.join(root, 'out');
  // Set once the server listens (before any request can be read).
  let handle: ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;

  const server = createServer((request, response) => {
    handle!(request, response).catch((err: unknown) => {
      options.log(`error: preview: ${(err as Error).message}`);
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'preview failed; see the terminal\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new GazetteError('USAGE', `cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`)),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}/`;
  const state: PreviewState = {
    url,
    host: options.host,
    port,
    outDir,
    forPreview: (c) => ({ ...c, site: { ...c.site, baseUrl: url }, build: { ...c.build, out: outDir, cache: path.join(root, 'cache') } }),
    log: options.log,
    clients: new Set(),
    spamChecks: new Map(),
    config,
    issues: new Map(),
    emails: new Map(),
    lastError: [],
  };
  handle = previewRoutes(state);

  let building: Promise<void> | undefined;
  let again = false;
  const rebuild = async (): Promise<void> => {
    if (building) {
      again = true;
      return building;
    }
    building = (async () => {
      do {
        again = false;
        const started = performance.now();
        try {
          state.config = await options.loadConfig();
          const result = await build(state.forPreview(state.config), { drafts: options.drafts, future: options.future });
          state.issues = new Map(result.issues.map((issue) => [issue.slug, issue]));
          state.emails = new Map([...result.emails].map(([issue, email]) => [issue.slug, Promise.resolve(email)]));
          state.lastError = [];
          options.log(`rebuilt ${result.issues.length} issues in ${Math.round(performance.now() - started)} ms`);
        } catch (err) {
          if (!isGazetteError(err)) throw err;
          state.lastError = options.formatError(err);
          for (const line of state.lastError) options.log(line);
        }
        for (const client of state.clients) client.write('data: reload\n\n');
      } while (again);
    })();
    try {
      await building;
    } finally {
      building = undefined;
    }
  };

  await rebuild();

  // Watch what a build reads: content, static files, email and page templates, the config.
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void rebuild().catch((err: unknown) => options.log(`error: ${(err as Error).message}`)), 100);
  };
  for (const dir of [config.content.dir, config.build.static, path.join(config.root, 'email-templates'), path.join(config.root, 'page-templates')]) {
    try {
      watchers.push(watch(dir, { recursive: true }, changed));
    } catch {
      // A folder that does not exist has nothing to watch.
    }
  }
  const configName = path.basename(config.file);
  watchers.push(watch(config.root, (_event, name) => (name === configName ? changed() : undefined)));
  if (config.email.template && !inside(config.root, config.email.template)) watchers.push(watch(config.email.template, changed));

  return {
    url,
    rebuild,
    async close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      for (const client of state.clients) client.end();
      await building;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
