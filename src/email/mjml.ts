import { createRequire } from 'node:module';
import type { MjmlError, MjmlOptions, MjmlResult } from 'mjml';
import { GazetteError } from '../errors.js';
import { createWorkerPool, workerCount } from '../util/workers.js';

/** Turns MJML into HTML; fails like mjml2html (an Error with `errors` for strict validation). */
export interface MjmlCompiler {
  compile(mjml: string, options: MjmlOptions): Promise<MjmlResult>;
  close(): Promise<void>;
}

/** MJML takes most of a second to load: only when an email is actually rendered. */
let mjmlModule: Promise<typeof import('mjml')> | undefined;
const loadMjml = () => (mjmlModule ??= import('mjml'));

export const inProcessMjml: MjmlCompiler = {
  async compile(mjml, options) {
    const { default: mjml2html } = await loadMjml();
    return mjml2html(mjml, options);
  },
  async close() {},
};

/**
 * MJML on worker threads, for builds with many emails to render (it is
 * CPU-bound, about 9 ms an email). Runs from the compiled code only; from
 * TypeScript sources (tests) it is the in-process compiler.
 */
/** One email's MJML compiled in this process (a confirmation, a roll-up): its HTML, or a TEMPLATE error naming the template. */
export async function compileInProcess(mjml: string, file: string): Promise<string> {
  try {
    return (await inProcessMjml.compile(mjml, { validationLevel: 'soft', filePath: file, keepComments: false, fonts: {} })).html;
  } catch (err) {
    throw new GazetteError('TEMPLATE', `email template: MJML: ${(err as Error).message.split('\n')[0]}`, { file });
  }
}

export function createMjmlCompiler(jobs: number, runtime: { workers?: number | undefined; debug: boolean }): MjmlCompiler {
  // Each worker loads MJML (most of a second): only worth it for many emails.
  const size = workerCount(jobs, 50, import.meta.url, runtime.workers);
  if (size === 0) return inProcessMjml;
  if (runtime.debug) process.stderr.write(`debug: rendering ${jobs} emails with MJML on ${size} worker threads\n`);
  return mjmlPool(size);
}

function mjmlPool(size: number): MjmlCompiler {
  const pool = createWorkerPool<{ mjml: string; options: MjmlOptions }, { html: string; errors: MjmlError[] }>(
    new URL('./mjml-worker.js', import.meta.url),
    size,
  );
  return {
    compile: (mjml, options) => pool.run({ mjml, options }),
    close: () => pool.close(),
  };
}

/**
 * One MJML worker started at the beginning of a build that has no MJML
 * shell kept (see shell.ts), before anyone knows whether MJML will be
 * needed: it loads MJML (most of a second) on another core while this
 * thread reads and parses the issues, so that the build does not wait for
 * it at the end. Unused, it is closed. Undefined on one core, with
 * GAZETTE_WORKERS=1, or from the TypeScript sources.
 */
export function prestartMjml(workers: number | undefined): MjmlCompiler | undefined {
  return workerCount(2, 1, import.meta.url, workers) === 0 ? undefined : mjmlPool(1);
}

let version: string | undefined;

/** The installed MJML's version: part of every key of something MJML made. */
export function mjmlVersion(): string {
  version ??= (createRequire(import.meta.url)('mjml/package.json') as { version: string }).version;
  return version;
}
