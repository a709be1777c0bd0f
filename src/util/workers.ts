import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Jobs handed to worker threads, each answered once: `{ id, ...result }` or `{ id, failure }`. */
export interface WorkerPool<Job, Result> {
  run(job: Job): Promise<Result>;
  close(): Promise<void>;
}

/** What a worker answers; a failure carries the error's message and any fields worth keeping. */
export type WorkerReply<Result> = ({ id: number } & Result) | { id: number; failure: { message: string } & Record<string, unknown> };

/**
 * How many worker threads a batch of `jobs` deserves: one per core
 * (`workers`, from `GAZETTE_WORKERS`, overrides), at most 8, at most one per `perWorker`
 * jobs; 0 when it is not worth it (fewer than 2), or when running from
 * the TypeScript sources (tests), where there is no compiled worker script.
 */
export function workerCount(jobs: number, perWorker: number, moduleUrl: string, workers: number | undefined): number {
  const size = Math.min(workers ?? availableParallelism(), 8, Math.ceil(jobs / perWorker));
  return moduleUrl.endsWith('.js') && size >= 2 ? size : 0;
}

/**
 * `size` worker threads running `script`, jobs dealt out in turn. A
 * failure reply rejects its job with an Error holding the reply's fields;
 * a worker that dies rejects every job still waiting.
 */
export function createWorkerPool<Job extends object, Result extends object>(script: URL, size: number): WorkerPool<Job, Result> {
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve(result: Result): void; reject(err: Error): void }>();
  let next = 0;
  let id = 0;
  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  for (let i = 0; i < size; i++) {
    const worker = new Worker(script);
    worker.on('message', (reply: WorkerReply<Result>) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if ('failure' in reply) {
        const { message, ...fields } = reply.failure;
        p.reject(Object.assign(new Error(message), fields));
      } else p.resolve(reply as unknown as Result);
    });
    worker.on('error', fail);
    workers.push(worker);
  }
  return {
    run(job) {
      return new Promise((resolve, reject) => {
        const n = ++id;
        pending.set(n, { resolve, reject });
        workers[next++ % workers.length]!.postMessage({ ...job, id: n });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
