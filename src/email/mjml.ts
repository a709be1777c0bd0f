import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MjmlError, MjmlOptions, MjmlResult } from 'mjml';

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

interface Pending {
  resolve(result: MjmlResult): void;
  reject(err: Error): void;
}

type Reply = { id: number; html: string; errors: MjmlError[] } | { id: number; failure: { message: string; errors?: MjmlError[] } };

/**
 * MJML on worker threads, for builds with many emails to render (it is
 * CPU-bound, about 9 ms an email). Runs from the compiled code only; from
 * TypeScript sources (tests) it is the in-process compiler.
 */
export function createMjmlCompiler(jobs: number, env: NodeJS.ProcessEnv = process.env): MjmlCompiler {
  const script = new URL('./mjml-worker.js', import.meta.url);
  const size = Math.min(Number(env.GAZETTE_WORKERS ?? availableParallelism()), 8, Math.ceil(jobs / 8));
  if (!import.meta.url.endsWith('.js') || !(size >= 2)) return inProcessMjml;

  if (env.GAZETTE_DEBUG) process.stderr.write(`debug: rendering ${jobs} emails with MJML on ${size} worker threads\n`);
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let next = 0;
  let id = 0;
  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  for (let i = 0; i < size; i++) {
    const worker = new Worker(script);
    worker.on('message', (reply: Reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if ('failure' in reply) p.reject(Object.assign(new Error(reply.failure.message), { errors: reply.failure.errors }));
      else p.resolve({ html: reply.html, errors: reply.errors });
    });
    worker.on('error', fail);
    workers.push(worker);
  }
  return {
    compile(mjml, options) {
      return new Promise((resolve, reject) => {
        const job = ++id;
        pending.set(job, { resolve, reject });
        workers[next++ % workers.length]!.postMessage({ id: job, mjml, options });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
