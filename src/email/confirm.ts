import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { readerWords } from '../i18n/index.js';
import { plainLine } from '../util/text.js';
import { inProcessMjml } from './mjml.js';
import { markersFor, newNonce } from './personalize.js';
import type { RenderedEmail } from './render.js';
import { loadTemplate, templatePath } from './template.js';

/**
 * The confirmation email (double opt-in), rendered once with a marker for
 * the link and filled in per reader like an issue (`personalizeHtml`).
 * Template: `email-templates/confirm.mjml`, the site's or Gazette's.
 */
export async function renderConfirmation(config: Config): Promise<RenderedEmail> {
  const words = readerWords(config.site.language, config.site.title);
  const template = await loadTemplate(await templatePath(config, 'confirm.mjml'), 'email template', config.neverPublished);
  const nonce = newNonce();
  const markers = markersFor(nonce);
  const mjml = template.fill({
    site: { title: config.site.title, description: config.site.description, url: config.site.baseUrl, language: config.site.language },
    words,
    confirm_url: markers.confirmUrl,
    email: { postal_address: config.email.postalAddress },
  });
  let html: string;
  try {
    html = (await inProcessMjml.compile(mjml, { validationLevel: 'soft', filePath: template.file, keepComments: false, fonts: {} })).html;
  } catch (err) {
    throw new GazetteError('TEMPLATE', `email template: MJML: ${(err as Error).message.split('\n')[0]}`, { file: template.file });
  }
  const text = `${[words.confirm_subject, words.confirm_mail_lead, markers.confirmUrl, words.confirm_mail_ignore, '--', [config.site.title, config.email.postalAddress].filter(Boolean).join('\n')].join('\n\n')}\n`;
  return { subject: plainLine(words.confirm_subject), html, text, nonce };
}
