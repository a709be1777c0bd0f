import { footnoteLabels } from '../content/index.js';

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

export function labelsFor(language: string, siteTitle: string): Labels {
  const locale = new Intl.Locale(language).maximize();
  const key = locale.language === 'zh' && locale.script === 'Hant' ? 'zh-Hant' : locale.language;
  const base = LABELS[key] ?? LABELS.en!;
  return { ...base, reason: base.reason.replace('{site}', siteTitle), footnotes: footnoteLabels(language).label };
}
