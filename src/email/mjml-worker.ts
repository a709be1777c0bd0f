/** A worker thread that turns MJML into HTML (see mjml.ts). */
import { createRequire, Module } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { MjmlError, MjmlOptions } from 'mjml';
import { plainError } from './shell.js';

interface Job {
  id: number;
  mjml: string;
  options: MjmlOptions;
}

const require = createRequire(import.meta.url);

/**
 * cheerio (which MJML and juice load) loads undici, an HTTP client, only
 * for its `fromURL`, which MJML never calls: it is a third of the time MJML
 * takes to load. Each copy cheerio would load is entered in the module
 * cache as an empty module instead (`require.cache` takes added entries).
 * Should MJML's dependencies move, nothing is stubbed: slower, not wrong.
 */
function skipUndici(): void {
  try {
    const core = createRequire(require.resolve('mjml')).resolve('mjml-core');
    const juice = createRequire(core).resolve('juice');
    for (const from of [core, juice]) {
      const cheerio = createRequire(from).resolve('cheerio');
      const undici = createRequire(cheerio).resolve('undici');
      if (require.cache[undici]) continue;
      const stub = new Module(undici);
      stub.filename = undici;
      stub.loaded = true;
      stub.exports = {};
      require.cache[undici] = stub;
    }
  } catch {
    // Laid out otherwise: MJML loads as it is.
  }
}

/**
 * The lowest priority for this thread: MJML loads (half a second of CPU) while the build reads
 * the issues, and yields to it when the two want the same core (a cold build of a thousand issues
 * measured 5% faster). Only on Linux, where a priority is a thread's own; elsewhere it is the
 * whole process's.
 */
if (process.platform === 'linux') {
  try {
    setPriority(19);
  } catch {
    // Not allowed: the default priority.
  }
}
skipUndici();
const mjml2html = require('mjml') as typeof import('mjml').default;

parentPort!.on('message', async ({ id, mjml, options }: Job) => {
  try {
    const result = await mjml2html(mjml, options);
    parentPort!.postMessage({ id, html: result.html, errors: result.errors.map(plainError) });
  } catch (err) {
    const e = err as Error & { errors?: MjmlError[] };
    parentPort!.postMessage({ id, failure: { message: e.message, errors: e.errors?.map(plainError) } });
  }
});
