import path from 'node:path';
import type { Config } from '../config/index.js';

/**
 * `gazette send` writes `.eml` files here, under `build.out`, when it has no
 * SMTP server or is asked for a dry run; builds keep the folder. A module of
 * its own so that `build` need not load the SMTP stack to know the name.
 */
export const OUTBOX = 'outbox';

/** Where one issue's messages are written. */
export function outboxDir(config: Config, slug: string): string {
  return path.join(config.build.out, OUTBOX, slug);
}
