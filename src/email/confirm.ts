import type { Config } from '../config/index.js';
import { readerWords } from '../i18n/index.js';
import { fillIn, plainLine } from '../util/text.js';
import { compileInProcess } from './mjml.js';
import { markersFor, newNonce } from './personalize.js';
import type { RenderedEmail } from './render.js';
import { loadTemplate, templatePath } from './template.js';

/**
 * The confirmation email (double opt-in), rendered once with a marker for
 * the link and filled in per reader like an issue (`personalizeHtml`).
 * Template: `email-templates/confirm.mjml`, the site's or Gazette's.
 * `invite`: the one `subscribers invite` mails to an imported list, which
 * did not ask here: it says the list moved (or what `email.invite_message`
 * says) rather than "someone asked".
 */
export async function renderConfirmation(config: Config, kind: 'subscribe' | 'invite' = 'subscribe'): Promise<RenderedEmail> {
  const base = readerWords(config.site.language, config.site.title);
  const lead = config.email.inviteMessage ? fillIn(config.email.inviteMessage, { '{site}': config.site.title }) : undefined;
  const words =
    kind === 'invite'
      ? {
          ...base,
          confirm_subject: base.invite_subject,
          confirm_mail_lead: lead ?? base.invite_mail_lead,
          confirm_text_lead: lead ?? base.invite_text_lead,
          confirm_mail_ignore: base.invite_mail_ignore,
        }
      : base;
  const template = await loadTemplate(await templatePath(config, 'confirm.mjml'), 'email template', config.neverPublished);
  const nonce = newNonce();
  const markers = markersFor(nonce);
  const mjml = template.fill({
    site: { title: config.site.title, description: config.site.description, url: config.site.baseUrl, language: config.site.language },
    words,
    confirm_url: markers.confirmUrl,
    email: { postal_address: config.email.postalAddress },
  });
  const html = await compileInProcess(mjml, template.file);
  const text = `${[words.confirm_subject, words.confirm_text_lead, markers.confirmUrl, words.confirm_mail_ignore, '--', [config.site.title, config.email.postalAddress].filter(Boolean).join('\n')].join('\n\n')}\n`;
  return { subject: plainLine(words.confirm_subject), html, text, nonce };
}
