import type { MjmlError, MjmlResult } from 'mjml';
import rehypeStringify from 'rehype-stringify';
import { unified } from 'unified';
import type { Config } from '../config/index.js';
import type { Issue, ParsedBody } from '../content/index.js';
import { GazetteError } from '../errors.js';
import { emailLabels, type Labels } from '../i18n/index.js';
import { cacheKey } from '../util/disk-cache.js';
import { fillIn, plainLine } from '../util/text.js';
import { calendarDay, longDate } from '../util/time.js';
import { inProcessMjml, type MjmlCompiler, mjmlVersion } from './mjml.js';
import { type Markers, markersFor, newNonce } from './personalize.js';
import { fillShell, plainError, type Shell, shapeOf, usableShell } from './shell.js';
import { styleForEmail } from './styles.js';
import type { EmailTemplate } from './template.js';
import { markdownToText } from './text.js';

/** One issue's email, rendered once; per-subscriber values are still markers (see personalize.ts). */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** The nonce in this rendering's per-subscriber markers (see personalize.ts). */
  nonce: string;
  /** The key of the MJML shell it was made from (see shell.ts), if any. */
  shell?: string;
}

/** Where rendered MJML shells are kept (see shell.ts); by default, for the renderer's life only. */
export interface ShellStore {
  get(key: string): Promise<Shell | undefined>;
  put(key: string, shell: Shell): Promise<void>;
}

export interface EmailRenderOptions {
  /** MJML validation: `strict` fails on any template problem (tests), `soft` reports them (default). */
  validationLevel?: 'strict' | 'soft';
  /** Receives MJML's validation messages in `soft` mode, once each. */
  warn?: (message: string) => void;
  /** Where MJML runs (default: in this thread, loaded on first use). */
  mjml?: MjmlCompiler;
  /** Where MJML shells are kept between renderers (default: nowhere); `false` renders every email whole with MJML. */
  shells?: ShellStore | false;
}

const toHtml = unified().use(rehypeStringify).freeze();

/** The subject line from `email.subject`: one line, whatever the title holds. */
export function subjectOf(issue: Issue, config: Pick<Config, 'email' | 'site'>): string {
  return plainLine(
    fillIn(config.email.subject, {
      '{title}': issue.title,
      '{site}': config.site.title,
      '{date}': longDate(issue.date, config.site.language, config.site.timezone),
    }),
  );
}

/** Everything the template can use. Documented in README ("Email template"). */
export function templateContext(issue: Issue, config: Pick<Config, 'email' | 'site'>, body: string, labels: Labels, markers: Markers) {
  const day = calendarDay(issue.date, config.site.timezone);
  return {
    site: {
      title: config.site.title,
      description: config.site.description,
      url: config.site.baseUrl,
      language: config.site.language,
    },
    issue: {
      title: issue.title,
      date: longDate(issue.date, config.site.language, config.site.timezone),
      date_iso: `${day.year}-${day.month}-${day.day}`,
      url: issue.url,
      summary: issue.summary,
      tags: [...issue.tags, ...issue.categories],
    },
    body,
    email: { postal_address: config.email.postalAddress },
    labels,
    unsubscribe_url: markers.unsubscribeUrl,
    preferences_url: markers.preferencesUrl,
    subscriber: { name: markers.name, email: markers.email },
  };
}

function textPart(issue: Issue, tree: ParsedBody['tree'], config: Pick<Config, 'email' | 'site'>, labels: Labels, markers: Markers): string {
  const body = markdownToText(tree, { base: issue.url, linksLabel: labels.links, footnotesLabel: labels.footnotes });
  const footer = [
    `${labels.view_in_browser}: ${issue.url}`,
    `${labels.preferences}: ${markers.preferencesUrl}`,
    `${labels.unsubscribe}: ${markers.unsubscribeUrl}`,
    labels.reason,
    config.email.postalAddress,
  ].filter(Boolean);
  return `${[`${config.site.title} · ${longDate(issue.date, config.site.language, config.site.timezone)}`, issue.title, body.trimEnd(), '--', footer.join('\n')].join('\n\n')}\n`;
}

/** MJML's line is in the filled-in template: near the template's own line, not always on it. */
function describeMjmlError(error: MjmlError): string {
  return `<${error.tagName}> ${error.message} (near line ${error.line})`;
}

/** An email whose template is filled in: what is left is MJML's part. */
export interface PreparedEmail {
  /**
   * What MJML still has to render for it: the key of a shell not rendered
   * yet (emails of one template share it), `whole` for an email that
   * cannot use a shell, or undefined when its shell is known.
   */
  job: string | undefined;
  /** Complete the email, with MJML running in `mjml` (default: the renderer's `mjml` option). */
  finish(mjml?: MjmlCompiler): Promise<RenderedEmail>;
}

export interface EmailRenderer {
  render(issue: Issue): Promise<RenderedEmail>;
  /** The part of `render` done in this thread: the body restyled, the template filled, its shell looked up. */
  prepare(issue: Issue): Promise<PreparedEmail>;
}

type Compiled = Pick<MjmlResult, 'html' | 'errors'>;

export function createEmailRenderer(config: Config, template: EmailTemplate, options: EmailRenderOptions = {}): EmailRenderer {
  const labels = emailLabels(config.site.language, config.site.title);
  const seen = new Set<string>();
  const mjmlOptions = {
    validationLevel: options.validationLevel ?? 'soft',
    filePath: template.file,
    keepComments: false,
    fonts: {},
  } as const;
  const compile = async (mjml: string, compiler: MjmlCompiler): Promise<Compiled> => {
    try {
      return await compiler.compile(mjml, mjmlOptions);
    } catch (err) {
      const e = err as Error & { errors?: MjmlError[] };
      const detail = e.errors?.length ? e.errors.map(describeMjmlError).join('; ') : e.message.split('\n')[0];
      throw new GazetteError('TEMPLATE', `email template: MJML: ${detail}`, { file: template.file });
    }
  };
  const store = options.shells || undefined;
  /** Shells known to this renderer, and those being rendered, by key. */
  const ready = new Map<string, Shell>();
  const rendering = new Map<string, Promise<Shell>>();
  const shellFor = (key: string, source: string, holes: number, compiler: MjmlCompiler): Shell | Promise<Shell> => {
    const known = ready.get(key);
    if (known) return known;
    let shell = rendering.get(key);
    if (!shell) {
      shell = compile(source, compiler).then(async ({ html, errors }) => {
        const made: Shell = { html, usable: usableShell(html, holes), errors: errors.map(plainError) };
        ready.set(key, made);
        await store?.put(key, made);
        return made;
      });
      rendering.set(key, shell);
    }
    return shell;
  };
  const prepare = async (issue: Issue): Promise<PreparedEmail> => {
    const parsed = await issue.body();
    const body = toHtml.stringify(styleForEmail(parsed.hast, config.site.language));
    const nonce = newNonce();
    const markers = markersFor(nonce);
    const mjml = template.fill(templateContext(issue, config, body, labels, markers));
    const text = textPart(issue, parsed.tree, config, labels, markers);
    const shape = options.shells === false ? undefined : shapeOf(mjml, nonce);
    const key = shape && cacheKey(mjmlVersion(), JSON.stringify(mjmlOptions), shape.source);
    if (key && !ready.has(key)) {
      const stored = await store?.get(key);
      if (stored) ready.set(key, stored);
    }
    const usable = key === undefined ? undefined : ready.get(key)?.usable;
    return {
      job: !key || usable === false ? 'whole' : usable ? undefined : key,
      finish: async (compiler = options.mjml ?? inProcessMjml): Promise<RenderedEmail> => {
        let result: Compiled | undefined;
        let from: string | undefined;
        if (shape && key) {
          const shell = await shellFor(key, shape.source, shape.values.length, compiler);
          if (shell.usable) {
            result = { html: fillShell(shell.html, shape, nonce), errors: shell.errors };
            from = key;
          }
        }
        result ??= await compile(mjml, compiler);
        for (const error of result.errors) {
          const message = `${template.file}: MJML: ${describeMjmlError(error)}`;
          if (!seen.has(message)) {
            seen.add(message);
            options.warn?.(message);
          }
        }
        return { subject: subjectOf(issue, config), html: result.html, text, nonce, ...(from ? { shell: from } : {}) };
      },
    };
  };
  return {
    prepare,
    render: async (issue) => (await prepare(issue)).finish(),
  };
}
