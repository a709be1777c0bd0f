import path from 'node:path';
import { type Config, placeholderProblems } from '../config/index.js';
import { createIssueCache, type Issue, type LoadOptions, loadIssues } from '../content/index.js';
import { preloadEmailRenderer, prestartMjml, type RenderedEmail, renderEmails, ShellCache } from '../email/index.js';
import { OUTBOX } from '../mail/index.js';
import { type OutputFile, retireOutboxInOutput, writeOutput } from './output.js';
import { planOutput } from './plan.js';

export interface BuildOptions extends LoadOptions {
  /** MJML validation level for the emails (default `soft`; tests use `strict`). */
  emailValidation?: 'strict' | 'soft';
}

/** Gmail clips a message over 102 KB; warn well before. */
export const EMAIL_SIZE_WARNING = 90 * 1024;

export interface BuildResult {
  /** Published issues written. */
  issues: Issue[];
  skipped: { drafts: number; future: number };
  /** Files written under `build.out`. */
  files: number;
  /** The newest `email.preview_limit` issues' emails, as rendered (per-subscriber values still markers). */
  emails: Map<Issue, RenderedEmail>;
  warnings: string[];
}

/** `gazette build`: content in, `build.out` replaced whole, or untouched on any error. */
export async function build(config: Config, options: BuildOptions = {}): Promise<BuildResult> {
  const issueCache = createIssueCache(config);
  // MJML loads on another core while the issues are read, in case an email must be rendered, unless
  // the cache has the shells that emails are made from (see email/shell.ts): then it likely needs none.
  const mjml = ShellCache.any(config.build.cache) ? undefined : prestartMjml(config.runtime.workers);
  let emails: Map<Issue, RenderedEmail>;
  let loaded: Awaited<ReturnType<typeof loadIssues>>;
  let files: Map<string, OutputFile>;
  try {
    // A new issue's email will need the renderer: its modules load while the issues are read.
    let preloading = false;
    const parsing = () => {
      if (!preloading) preloadEmailRenderer();
      preloading = true;
    };
    loaded = await loadIssues(config, { ...options, cache: issueCache, parsing });
    // Only the newest issues can still be sent: the older ones' emails are rendered when asked for.
    // They are rendered (on MJML's core) while the other files are written; theirs come last.
    let dispatched!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      dispatched = resolve;
    });
    const newest = loaded.issues.slice(0, config.email.previewLimit);
    let keys: Map<Issue, string> | undefined;
    const rendering = renderEmails(config, newest, {
      validationLevel: options.emailValidation,
      warn: (w) => loaded.warnings.push(w),
      mjml,
      dispatched,
      keyed: (k) => {
        keys = k;
      },
    });
    rendering.catch(() => undefined);
    // Writing the output keeps this thread busy: first let the emails reach MJML.
    await Promise.race([handedOver, rendering]);
    files = await planOutput(config, loaded.issues, { issues: newest, rendered: rendering, ...(keys ? { keys } : {}) }, loaded.warnings);
    await retireOutboxInOutput(config.build.out, OUTBOX, config.subscribers.outbox);
    await writeOutput(config.build.out, files, { manifests: path.join(config.build.cache, 'output') });
    emails = await rendering;
  } finally {
    await mjml?.close();
  }
  const { issues, skipped, warnings } = loaded;
  issueCache.save();
  if (issues.length === 0) warnings.push('no published issues: the feeds are empty');
  warnings.push(...placeholderProblems(config.placeholders.filter((key) => key === 'site.base_url')).map((p) => `${config.file}: ${p}`));
  for (const [issue, email] of emails) {
    const size = Buffer.byteLength(email.html);
    if (size > EMAIL_SIZE_WARNING) {
      warnings.push(`${issue.file}: the email is ${Math.round(size / 1024)} KB; Gmail clips messages over 102 KB (shorten the issue or the template)`);
    }
  }
  if (emails.size > 0 && !config.email.postalAddress) {
    warnings.push('email.postal_address is empty: anti-spam laws (CAN-SPAM) require a postal address in every newsletter');
  }
  return { issues, skipped, files: files.size, emails, warnings };
}
