/** How a rate counts its messages: in the store (every worker of a campaign together) or in this process. */
export type CountHit = (key: string, windowMs: number, at: Date) => Promise<{ hits: number; start: Date }>;

/** Counting in this process: a campaign alone (SQLite), where no other worker shares its rates. */
export function countInProcess(): CountHit {
  const windows = new Map<string, { start: Date; hits: number }>();
  return async (key, windowMs, at) => {
    let window = windows.get(key);
    if (!window || at.getTime() - window.start.getTime() >= windowMs) {
      window = { start: at, hits: 0 };
      windows.set(key, window);
    }
    window.hits++;
    return { ...window };
  };
}

/**
 * Wait for a slot of a rate of `perSecond` messages (the campaign's, or a
 * relay's): a slot in the current second; when its slots are taken, wait
 * for the next. A rate under one a second counts over a longer window.
 */
export async function rateSlot(count: CountHit, key: string, perSecond: number): Promise<void> {
  const windowMs = perSecond >= 1 ? 1000 : Math.round(1000 / perSecond);
  const slots = Math.max(1, Math.floor(perSecond));
  for (;;) {
    const at = Date.now();
    const { hits, start } = await count(key, windowMs, new Date(at));
    if (hits <= slots) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(5, start.getTime() + windowMs - at)));
  }
}
