import type { Config } from '../config/index.js';
import type { Issue } from '../content/index.js';
import { inParallel } from '../util/pool.js';
import { EmailCache, ShellCache } from './cache.js';
import { createMjmlCompiler, inProcessMjml, type MjmlCompiler } from './mjml.js';
import type { PreparedEmail, RenderedEmail } from './render.js';
import { loadTemplate, templatePath } from './template.js';

/** Up to this many emails go to a prestarted MJML worker; more get a pool of their own. */
const FEW_EMAILS = 50;

/** The footer's links in `out/email/` previews and test copies: they unsubscribe no one and open nobody's preferences. */
export function previewLinks(config: Pick<Config, 'server' | 'site'>): { unsubscribeUrl: string; preferencesUrl: string } {
  const base = config.server.publicUrl ?? config.site.baseUrl;
  return { unsubscribeUrl: new URL('unsubscribe?token=preview', base).href, preferencesUrl: new URL('preferences?token=preview', base).href };
}

/** Start loading the renderer's modules (unified, MJML's helpers) now, for a render that will likely follow. */
export function preloadEmailRenderer(): void {
  import('./render.js').catch(() => undefined);
}

/** Render every issue's email, from the cache when nothing it is made of has changed. */
export async function renderEmails(
  config: Config,
  issues: Issue[],
  options: {
    validationLevel?: 'strict' | 'soft';
    warn: (message: string) => void;
    prune?: boolean;
    /** An MJML worker already loading (`prestartMjml`), used for a few emails; the caller closes it. */
    mjml?: MjmlCompiler | undefined;
    /** Called once every email to render has been handed to MJML (or found in the cache). */
    dispatched?: () => void;
    /** Receives each issue's email cache key (a hash of all its email is made of), before `dispatched`. */
    keyed?: (keys: Map<Issue, string>) => void;
  },
): Promise<Map<Issue, RenderedEmail>> {
  const emails = new Map<Issue, RenderedEmail>();
  if (issues.length === 0) return emails;
  const template = await loadTemplate(await templatePath(config), 'email template', config.neverPublished);
  const cache = new EmailCache(config.build.cache);
  const shells = new ShellCache(config.build.cache);
  // Look every issue up at once (the reads overlap).
  const keys = await Promise.all(issues.map((issue) => cache.key(issue, config, template)));
  options.keyed?.(new Map(issues.map((issue, i) => [issue, keys[i]!])));
  const cached = await Promise.all(keys.map((key) => cache.get(key)));
  const misses = issues.flatMap((_issue, i) => (cached[i] ? [] : [i]));
  if (misses.length === 0) options.dispatched?.();
  else {
    // The renderer (unified, hast-util-to-html) is loaded only when an email is not in the cache.
    const { createEmailRenderer } = await import('./render.js');
    const renderer = createEmailRenderer(config, template, { validationLevel: options.validationLevel, warn: options.warn, shells });
    // This thread's part of every email first (at most email.preview_limit of them in a build), then
    // what is left handed to MJML at once: on worker threads, it needs nothing more of this thread,
    // which is free for other work until it is done. Emails whose shell is known need no MJML.
    const prepared: PreparedEmail[] = [];
    for (const i of misses) prepared.push(await renderer.prepare(issues[i]!));
    const jobs = prepared.filter((p) => p.job === 'whole').length + new Set(prepared.flatMap((p) => (p.job && p.job !== 'whole' ? [p.job] : []))).size;
    if (config.runtime.debug)
      process.stderr.write(`debug: rendering ${misses.length} emails with ${jobs} MJML renderings (the rest filled into kept shells)\n`);
    const given = options.mjml && jobs <= FEW_EMAILS ? options.mjml : undefined;
    const mjml = jobs === 0 ? inProcessMjml : (given ?? createMjmlCompiler(jobs, config.runtime));
    try {
      const compiled = inParallel(
        misses.map((i, n) => [i, prepared[n]!] as const),
        mjml === inProcessMjml ? 1 : misses.length,
        async ([i, email]) => {
          cached[i] = await email.finish(mjml);
          await cache.put(keys[i]!, cached[i]!);
        },
      );
      options.dispatched?.();
      await compiled;
    } finally {
      if (!given) await mjml.close();
    }
  }
  for (const [i, issue] of issues.entries()) {
    emails.set(issue, cached[i]!);
    if (cached[i]!.shell) shells.keep(cached[i]!.shell!);
  }
  if (options.prune ?? true) await Promise.all([cache.prune(), shells.prune()]);
  return emails;
}
