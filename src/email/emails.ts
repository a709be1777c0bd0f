import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { EmailCache } from './cache.js';
import { createEmailRenderer, type RenderedEmail } from './render.js';
import { loadTemplate, templatePath } from './template.js';

/** The unsubscribe link shown in `out/email/` previews: it unsubscribes no one. */
export function previewUnsubscribeUrl(config: Config): string {
  return new URL('unsubscribe?token=preview', config.server.publicUrl ?? config.site.baseUrl).href;
}

/** Render every issue's email, from the cache when nothing it is made of has changed. */
export async function renderEmails(
  config: Config,
  issues: Issue[],
  options: { validationLevel?: 'strict' | 'soft'; warn: (message: string) => void; prune?: boolean },
): Promise<Map<Issue, RenderedEmail>> {
  const emails = new Map<Issue, RenderedEmail>();
  if (issues.length === 0) return emails;
  const template = await loadTemplate(await templatePath(config));
  const renderer = createEmailRenderer(config, template, { validationLevel: options.validationLevel, warn: options.warn });
  const cache = new EmailCache(config.build.cache);
  // Look every issue up at once (the reads overlap); render the misses one by one (MJML is CPU-bound).
  const keys = await Promise.all(issues.map((issue) => cache.key(issue, config, template)));
  const cached = await Promise.all(keys.map((key) => cache.get(key)));
  for (const [i, issue] of issues.entries()) {
    let email = cached[i];
    if (!email) {
      email = await renderer.render(issue);
      await cache.put(keys[i]!, email);
    }
    emails.set(issue, email);
  }
  if (options.prune ?? true) await cache.prune();
  return emails;
}
