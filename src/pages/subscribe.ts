import type { ReaderWords } from '../i18n/index.js';
import { escapeHtml as e } from '../util/html.js';

/** The subscribe form's fields (also used on the site's own pages): email, optional name, a honeypot. */
export function subscribeFields(words: ReaderWords, withName: boolean): string {
  return `<label for="gz-email">${e(words.email_label)}</label>
<input id="gz-email" type="email" name="email" required autocomplete="email" inputmode="email" maxlength="254">
${withName ? `<label for="gz-name">${e(words.name_label)}</label>\n<input id="gz-name" type="text" name="name" autocomplete="name" maxlength="200">\n` : ''}<div class="hp" aria-hidden="true"><label for="gz-website">Website</label><input id="gz-website" type="text" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">${e(words.subscribe_button)}</button>`;
}

/** The subscribe form for the site's own pages: posts to `gazette serve` at `server.public_url`. */
export function subscribeForm(words: ReaderWords, publicUrl: string): string {
  return `<form class="subscribe" method="post" action="${e(new URL('subscribe', publicUrl).href)}">
<p><strong>${e(words.subscribe_title)}</strong></p>
${subscribeFields(words, false)}
</form>`;
}
