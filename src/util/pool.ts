/**
 * Run `task` on the items `next` hands out, at most `concurrency` at once,
 * until `next` returns undefined. `next` is called synchronously, so two
 * workers never take the same item.
 */
export async function drain<T>(concurrency: number, next: () => T | undefined, task: (item: T) => Promise<void>): Promise<void> {
  const worker = async () => {
    for (let item = next(); item !== undefined; item = next()) await task(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/** Run `task` over `items`, at most `limit` at once. */
export function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  return drain(Math.min(limit, items.length), () => (index < items.length ? items[index++] : undefined), task);
}
