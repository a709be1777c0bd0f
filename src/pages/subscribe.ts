import type { ReaderWords } from '../i18n/index.js';
import { escapeHtml as e } from '../util/html.js';

/** Topics a reader may choose on the form (`[topics]`): key and label. */
export type TopicChoice = { key: string; label: string };

/** The form's choices when the list has topics: the topics to tick (none: everything), and how often. */
function choiceFields(words: ReaderWords, topics: readonly TopicChoice[]): string {
  if (topics.length === 0) return '';
  const boxes = topics.map((t) => `<label class="choice"><input type="checkbox" name="topic" value="${e(t.key)}"> ${e(t.label)}</label>`).join('\n');
  return `<fieldset><legend>${e(words.topics_label)}</legend>
${boxes}
<p class="hint">${e(words.topics_hint)}</p>
</fieldset>
<fieldset><legend>${e(words.frequency_label)}</legend>
<label class="choice"><input type="radio" name="frequency" value="daily" checked> ${e(words.frequency_daily)}</label>
<label class="choice"><input type="radio" name="frequency" value="weekly"> ${e(words.frequency_weekly)}</label>
</fieldset>
`;
}

/** The subscribe form's fields (also used on the site's own pages): email, optional name, the topics and how often (with `[topics]`), a honeypot. */
export function subscribeFields(words: ReaderWords, withName: boolean, topics: readonly TopicChoice[] = []): string {
  return `<label for="gz-email">${e(words.email_label)}</label>
<input id="gz-email" type="email" name="email" required autocomplete="email" inputmode="email" maxlength="254">
${withName ? `<label for="gz-name">${e(words.name_label)}</label>\n<input id="gz-name" type="text" name="name" autocomplete="name" maxlength="200">\n` : ''}${choiceFields(words, topics)}<div class="hp" aria-hidden="true"><label for="gz-website">Website</label><input id="gz-website" type="text" name="website" tabindex="-1" autocomplete="off"></div>
<button type="submit">${e(words.subscribe_button)}</button>`;
}

/** The subscribe form for the site's own pages: posts to `gazette serve` at `server.public_url`. */
export function subscribeForm(words: ReaderWords, publicUrl: string, topics: readonly TopicChoice[] = []): string {
  return `<form class="subscribe" method="post" action="${e(new URL('subscribe', publicUrl).href)}">
<p><strong>${e(words.subscribe_title)}</strong></p>
${subscribeFields(words, false, topics)}
</form>`;
}
