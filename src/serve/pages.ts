import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { ReaderWords } from '../i18n/index.js';
import { subscribeFields } from '../pages/index.js';
import type { Preferences } from '../store/index.js';
import { escapeHtml as e } from '../util/html.js';
import { fillIn } from '../util/text.js';

/**
 * The pages of `gazette serve`: small, server-rendered, usable without
 * JavaScript, no external assets, in the site's language. Pure: words and
 * values in, HTML out.
 */
const STYLE = `:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--accent:#1d4ed8}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--accent:#4493f8}}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.7 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main{max-width:32rem;margin:0 auto;padding:2rem 1.25rem}h1{line-height:1.3;font-size:1.6rem}p{overflow-wrap:anywhere}
a{color:var(--accent)}.site{color:var(--muted);font-weight:600;text-decoration:none}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=email],input[type=text]{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:var(--accent);border:0;border-radius:6px;cursor:pointer}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
fieldset{border:1px solid var(--line);border-radius:6px;margin:1rem 0;padding:.5rem 1rem}legend{font-weight:600}
label.choice{font-weight:400;margin:.35rem 0}.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0}
button.leave{background:transparent;color:var(--accent);border:1px solid var(--line)}`;

/** The Content-Security-Policy hash of the one inline style: no other style or script may run. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export interface PageContext {
  config: Config;
  words: ReaderWords;
}

function page(ctx: PageContext, title: string, main: string): string {
  const { site } = ctx.config;
  return `<!DOCTYPE html>
<html lang="${e(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${e(title)} · ${e(site.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<a class="site" href="${e(site.baseUrl)}">${e(site.title)}</a>
<h1>${e(title)}</h1>
${main}
</main>
</body>
</html>
`;
}

const fill = (text: string, email: string) => fillIn(e(text), { '{email}': `<strong>${e(email)}</strong>` });

export function landingPage(ctx: PageContext): string {
  const description = ctx.config.site.description ? `<p>${e(ctx.config.site.description)}</p>\n` : '';
  return page(
    ctx,
    ctx.words.subscribe_title,
    `${description}<p>${e(ctx.words.subscribe_lead)}</p>
<form method="post" action="subscribe">
${subscribeFields(ctx.words, true, ctx.config.topics)}
</form>`,
  );
}

export function messagePage(ctx: PageContext, title: string, message: string): string {
  return page(ctx, title, `<p>${e(message)}</p>`);
}

/** A page with one button that POSTs `action` (nothing changes until it is pressed). */
export function buttonPage(ctx: PageContext, title: string, lead: string, email: string, action: string, button: string, token: string): string {
  return page(
    ctx,
    title,
    `<p>${fill(lead, email)}</p>
<form method="post" action="${e(action)}">
<input type="hidden" name="token" value="${e(token)}">
<button type="submit">${e(button)}</button>
</form>`,
  );
}

/** After an unsubscribe: what happened, and a button to undo it (`undo`, a token that undoes this one unsubscribe, for a few minutes). */
export function unsubscribedPage(ctx: PageContext, email: string, undo: string | undefined): string {
  const button = undo
    ? `
<form method="post" action="resubscribe?token=${e(encodeURIComponent(undo))}">
<input type="hidden" name="token" value="${e(undo)}">
<button type="submit">${e(ctx.words.undo_button)}</button>
</form>`
    : '';
  const lead = undo ? ` ${e(ctx.words.undo_lead)}` : '';
  return page(ctx, ctx.words.unsubscribed_title, `<p>${fill(ctx.words.unsubscribed, email)}${lead}</p>${button}`);
}

/** A message, then the subscribe form: the way back in is a fresh double opt-in. */
export function subscribePage(ctx: PageContext, title: string, message: string): string {
  return page(
    ctx,
    title,
    `<p>${e(message)}</p>
<form method="post" action="subscribe">
${subscribeFields(ctx.words, true, ctx.config.topics)}
</form>`,
  );
}

/**
 * The preferences page: the topics (when the list has some) as boxes to
 * tick, how often as a choice of two, a button that saves; then a button
 * to leave everything (the unsubscribe form, its own token). `saved`: the
 * line said after a save.
 */
export function preferencesPage(
  ctx: PageContext,
  email: string,
  chosen: Preferences,
  tokens: { preferences: string; unsubscribe: string },
  saved = false,
): string {
  const { words, config } = ctx;
  const topics = config.topics.length
    ? `<fieldset><legend>${e(words.topics_label)}</legend>
${config.topics
  .map(
    (t) =>
      `<label class="choice"><input type="checkbox" name="topic" value="${e(t.key)}"${chosen.topics.includes(t.key) ? ' checked' : ''}> ${e(t.label)}</label>`,
  )
  .join('\n')}
<p class="hint">${e(words.topics_hint)}</p>
</fieldset>
`
    : '';
  const frequency = (['daily', 'weekly'] as const)
    .map(
      (f) =>
        `<label class="choice"><input type="radio" name="frequency" value="${f}"${chosen.frequency === f ? ' checked' : ''}> ${e(f === 'daily' ? words.frequency_daily : words.frequency_weekly)}</label>`,
    )
    .join('\n');
  return page(
    ctx,
    words.preferences_title,
    `<p>${fill(saved ? words.preferences_saved : words.preferences_lead, email)}</p>
<form method="post" action="preferences">
<input type="hidden" name="token" value="${e(tokens.preferences)}">
${topics}<fieldset><legend>${e(words.frequency_label)}</legend>
${frequency}
</fieldset>
<button type="submit">${e(words.preferences_button)}</button>
</form>
<form method="post" action="unsubscribe?token=${e(encodeURIComponent(tokens.unsubscribe))}">
<input type="hidden" name="token" value="${e(tokens.unsubscribe)}">
<button type="submit" class="leave">${e(words.leave_button)}</button>
</form>`,
  );
}

export function donePage(ctx: PageContext, title: string, message: string, email: string): string {
  return page(ctx, title, `<p>${fill(message, email)}</p>`);
}
