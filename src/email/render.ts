import type { MjmlError, MjmlResult } from 'mjml';
import rehypeStringify from 'rehype-stringify';
import { unified } from 'unified';
import type { Config } from '../config/index.js';
import type { Issue, ParsedBody } from '../content/index.js';
import { GazetteError } from '../errors.js';
import { emailLabels, type Labels } from '../i18n/index.js';
import { plainLine } from '../util/text.js';
import { calendarDay, longDate } from '../util/time.js';
import { inProcessMjml, type MjmlCompiler } from './mjml.js';
import { type Markers, markersFor, newNonce } from './personalize.js';
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
}

export interface EmailRenderOptions {
  /** MJML validation: `strict` fails on any template problem (tests), `soft` reports them (default). */
  validationLevel?: 'strict' | 'soft';
  /** Receives MJML's validation messages in `soft` mode, once each. */
  warn?: (message: string) => void;
  /** Where MJML runs (default: in this thread, loaded on first use). */
  mjml?: MjmlCompiler;
}

const toHtml = unified().use(rehypeStringify).freeze();

/** The subject line from `email.subject`: one line, whatever the title holds. */
export function subjectOf(issue: Issue, config: Config): string {
  const values: Record<string, string> = {
    '{title}': issue.title,
    '{site}': config.site.title,
    '{date}': longDate(issue.date, config.site.language, config.site.timezone),
  };
  return plainLine(config.email.subject.replace(/\{title\}|\{site\}|\{date\}/g, (k) => values[k]!));
}

/** Everything the template can use. Documented in README ("Email template"). */
export function templateContext(issue: Issue, config: Config, body: string, labels: Labels, markers: Markers) {
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
    subscriber: { name: markers.name, email: markers.email },
  };
}

function textPart(issue: Issue, tree: ParsedBody['tree'], config: Config, labels: Labels, markers: Markers): string {
  const body = markdownToText(tree, { base: issue.url, linksLabel: labels.links, footnotesLabel: labels.footnotes });
  const footer = [
    `${labels.view_in_browser}: ${issue.url}`,
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

export interface EmailRenderer {
  render(issue: Issue): Promise<RenderedEmail>;
  /**
   * The part of `render` done in this thread (the body restyled, the
   * template filled); the returned function hands the MJML to the compiler
   * and completes the email.
   */
  prepare(issue: Issue): Promise<() => Promise<RenderedEmail>>;
}

export function createEmailRenderer(config: Config, template: EmailTemplate, options: EmailRenderOptions = {}): EmailRenderer {
  const labels = emailLabels(config.site.language, config.site.title);
  const seen = new Set<string>();
  const prepare = async (issue: Issue) => {
    const parsed = await issue.body();
    const body = toHtml.stringify(styleForEmail(parsed.hast, config.site.language));
    const nonce = newNonce();
    const markers = markersFor(nonce);
    const mjml = template.fill(templateContext(issue, config, body, labels, markers));
    const text = textPart(issue, parsed.tree, config, labels, markers);
    return async (): Promise<RenderedEmail> => {
      let result: MjmlResult;
      try {
        result = await (options.mjml ?? inProcessMjml).compile(mjml, {
          validationLevel: options.validationLevel ?? 'soft',
          filePath: template.file,
          keepComments: false,
          fonts: {},
        });
      } catch (err) {
        const e = err as Error & { errors?: MjmlError[] };
        const detail = e.errors?.length ? e.errors.map(describeMjmlError).join('; ') : e.message.split('\n')[0];
        throw new GazetteError('TEMPLATE', `email template: MJML: ${detail}`, { file: template.file });
      }
      for (const error of result.errors) {
        const message = `${template.file}: MJML: ${describeMjmlError(error)}`;
        if (!seen.has(message)) {
          seen.add(message);
          options.warn?.(message);
        }
      }
      return { subject: subjectOf(issue, config), html: result.html, text, nonce };
    };
  };
  return {
    prepare,
    render: async (issue) => (await prepare(issue))(),
  };
}
