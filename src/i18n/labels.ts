/**
 * Words Gazette writes for readers, in the site's language: footnote
 * headings in pages and feeds, and the labels of the email. A language is
 * looked up by its primary subtag, except that Chinese written in
 * Traditional script (zh-TW, zh-HK, zh-Hant) has its own words.
 */

/** The table key for a BCP 47 tag: `zh-Hant` for Traditional Chinese, else the primary language. */
export function languageKey(language: string): string {
  const locale = new Intl.Locale(language).maximize();
  return locale.language === 'zh' && locale.script === 'Hant' ? 'zh-Hant' : locale.language;
}

/** Footnote section labels in the site's language (by primary subtag). */
const FOOTNOTE_LABELS: Record<string, { label: string; back: string }> = {
  en: { label: 'Footnotes', back: 'Back to content' },
  zh: { label: '脚注', back: '返回正文' },
  'zh-Hant': { label: '註腳', back: '返回正文' },
  ja: { label: '脚注', back: '本文に戻る' },
  ko: { label: '각주', back: '본문으로 돌아가기' },
  fr: { label: 'Notes', back: 'Retour au texte' },
  de: { label: 'Fußnoten', back: 'Zurück zum Text' },
  es: { label: 'Notas', back: 'Volver al texto' },
  pt: { label: 'Notas', back: 'Voltar ao texto' },
  ru: { label: 'Сноски', back: 'Назад к тексту' },
};

export function footnoteLabels(language: string): { label: string; back: string } {
  return FOOTNOTE_LABELS[languageKey(language)] ?? FOOTNOTE_LABELS.en!;
}

/** Words the email template and the text part use, in the site's language. Override them in the template. */
export interface Labels {
  view_in_browser: string;
  unsubscribe: string;
  /** Why the reader gets this email; `{site}` is the newsletter's title. */
  reason: string;
  links: string;
  footnotes: string;
}

const LABELS: Record<string, Omit<Labels, 'footnotes'>> = {
  en: {
    view_in_browser: 'View in browser',
    unsubscribe: 'Unsubscribe',
    reason: 'You are receiving this email because you subscribed to {site}.',
    links: 'Links',
  },
  zh: {
    view_in_browser: '在浏览器中查看',
    unsubscribe: '退订',
    reason: '你收到这封邮件，是因为你订阅了「{site}」。',
    links: '链接',
  },
  'zh-Hant': {
    view_in_browser: '在瀏覽器中查看',
    unsubscribe: '取消訂閱',
    reason: '你收到這封郵件，是因為你訂閱了「{site}」。',
    links: '連結',
  },
  ja: {
    view_in_browser: 'ブラウザで表示',
    unsubscribe: '配信停止',
    reason: '「{site}」を購読しているため、このメールをお送りしています。',
    links: 'リンク',
  },
};

/** The email's labels for `language`; `siteTitle` fills in the reason. */
export function emailLabels(language: string, siteTitle: string): Labels {
  const base = LABELS[languageKey(language)] ?? LABELS.en!;
  return { ...base, reason: base.reason.replace('{site}', siteTitle), footnotes: footnoteLabels(language).label };
}
