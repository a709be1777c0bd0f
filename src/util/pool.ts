/**
 * Run `task` on the items `next` hands out, at most `concurrency` at once,
 * until `next` returns undefined. A synchronous `next` hands each item to
 * one worker; an asynchronous one must see to that itself (by answering
 * one call at a time).
 */
export async function drain<T>(concurrency: number, next: () => T | undefined | Promise<T | undefined>, task: (item: T) => Promise<void>): Promise<void> {
  const worker = async () => {
    for (let item = await next(); item !== undefined; item = await next()) await task(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/** Run `task` over `items`, at most `limit` at once. */
export function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  return drain(Math.min(limit, items.length), () => (index < items.length ? items[index++] : undefined), task);
}
