import type { Config } from '../config/index.js';
import type { Issue, Rollup } from '../content/index.js';
import { emailLabels, rollupWords } from '../i18n/index.js';
import { fillIn, plainLine } from '../util/text.js';
import { longDate } from '../util/time.js';
import { compileInProcess } from './mjml.js';
import { markersFor, newNonce } from './personalize.js';
import type { RenderedEmail } from './render.js';
import { loadTemplate, templatePath } from './template.js';

/** The roll-up template's text (the site's `email-templates/rollup.mjml`, or Gazette's). */
export async function rollupTemplateSource(config: Config): Promise<string> {
  return (await loadTemplate(await templatePath(config, 'rollup.mjml'), 'email template', config.neverPublished)).source;
}

/**
 * A weekly roll-up's email for readers of these issues (the week's, or
 * those of a reader's topics): each issue's title, summary and link, in
 * `email-templates/rollup.mjml` (the site's or Gazette's), with the same
 * per-reader markers as an issue's email; the text part lists the same.
 */
export async function renderRollupEmail(config: Config, rollup: Rollup, issues: Issue[]): Promise<RenderedEmail> {
  const { site } = config;
  const words = rollupWords(site.language);
  const labels = emailLabels(site.language, site.title);
  const from = longDate(rollup.start, site.language, site.timezone);
  const to = longDate(new Date(rollup.end.getTime() - 1), site.language, site.timezone);
  const lead = fillIn(words.lead, { '{from}': from, '{to}': to });
  const entries = issues.map((i) => ({ title: i.title, summary: i.summary, url: i.url, date: longDate(i.date, site.language, site.timezone) }));
  const template = await loadTemplate(await templatePath(config, 'rollup.mjml'), 'email template', config.neverPublished);
  const nonce = newNonce();
  const markers = markersFor(nonce);
  const mjml = template.fill({
    site: { title: site.title, description: site.description, url: site.baseUrl, language: site.language },
    rollup: { title: rollup.title, week: rollup.week, from, to, url: rollup.url, lead },
    issues: entries,
    words,
    labels,
    unsubscribe_url: markers.unsubscribeUrl,
    preferences_url: markers.preferencesUrl,
    email: { postal_address: config.email.postalAddress },
  });
  const html = await compileInProcess(mjml, template.file);
  const list = entries.map((e) => [e.title, e.date, e.summary, e.url].filter(Boolean).join('\n'));
  const footer = [
    `${labels.view_in_browser}: ${rollup.url}`,
    `${labels.preferences}: ${markers.preferencesUrl}`,
    `${labels.unsubscribe}: ${markers.unsubscribeUrl}`,
    labels.reason,
    config.email.postalAddress,
  ].filter(Boolean);
  const text = `${[`${site.title} · ${rollup.week}`, rollup.title, lead, ...list, '--', footer.join('\n')].join('\n\n')}\n`;
  return { subject: plainLine(rollup.title), html, text, nonce };
}
