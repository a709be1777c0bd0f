import { fillIn } from '../util/text.js';

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
  /** The footer's link to the reader's preferences page (topics, how often). */
  preferences: string;
  /** Why the reader gets this email; `{site}` is the newsletter's title. */
  reason: string;
  links: string;
  footnotes: string;
}

const LABELS: Record<string, Omit<Labels, 'footnotes'>> = {
  en: {
    view_in_browser: 'View in browser',
    unsubscribe: 'Unsubscribe',
    preferences: 'Preferences',
    reason: 'You are receiving this email because you subscribed to {site}.',
    links: 'Links',
  },
  zh: {
    view_in_browser: '在浏览器中查看',
    unsubscribe: '退订',
    preferences: '订阅设置',
    reason: '你收到这封邮件，是因为你订阅了「{site}」。',
    links: '链接',
  },
  'zh-Hant': {
    view_in_browser: '在瀏覽器中查看',
    unsubscribe: '取消訂閱',
    preferences: '訂閱設定',
    reason: '你收到這封郵件，是因為你訂閱了「{site}」。',
    links: '連結',
  },
  ja: {
    view_in_browser: 'ブラウザで表示',
    unsubscribe: '配信停止',
    preferences: '配信設定',
    reason: '「{site}」を購読しているため、このメールをお送りしています。',
    links: 'リンク',
  },
};

/** The email's labels for `language`; `siteTitle` fills in the reason. */
export function emailLabels(language: string, siteTitle: string): Labels {
  const base = LABELS[languageKey(language)] ?? LABELS.en!;
  return { ...base, reason: fillIn(base.reason, { '{site}': siteTitle }), footnotes: footnoteLabels(language).label };
}

/** Words of `gazette serve`'s pages and of the confirmation email, in the site's language. */
export interface ReaderWords {
  subscribe_title: string;
  subscribe_lead: string;
  email_label: string;
  name_label: string;
  subscribe_button: string;
  check_inbox_title: string;
  check_inbox: string;
  confirm_title: string;
  confirm_lead: string;
  confirm_button: string;
  confirmed_title: string;
  confirmed: string;
  unsubscribe_title: string;
  unsubscribe_lead: string;
  unsubscribe_button: string;
  unsubscribed_title: string;
  unsubscribed: string;
  /** Asked beside the undo button, only when there is one. */
  undo_lead: string;
  undo_button: string;
  resubscribed: string;
  bad_link_title: string;
  bad_link: string;
  expired_link: string;
  bad_address: string;
  not_found_title: string;
  not_found: string;
  wrong_method: string;
  bad_request: string;
  too_many: string;
  /** The hour's confirmation emails are all spent (to everyone, or to the address's domain). */
  busy: string;
  /** An undo link used after its window, or for another unsubscribe than the one just made. */
  undo_expired: string;
  too_large: string;
  failed: string;
  /** The confirmation email. */
  confirm_subject: string;
  confirm_mail_lead: string;
  confirm_mail_button: string;
  confirm_mail_ignore: string;
  /** The confirmation's text part, which has a link rather than a button. */
  confirm_text_lead: string;
  /** The confirmation `subscribers invite` mails to an imported list (unless `email.invite_message` replaces its lead). */
  invite_subject: string;
  invite_mail_lead: string;
  invite_text_lead: string;
  invite_mail_ignore: string;
  /** The preferences page (a reader's topics and how often). */
  preferences_title: string;
  preferences_lead: string;
  topics_label: string;
  topics_hint: string;
  frequency_label: string;
  frequency_daily: string;
  frequency_weekly: string;
  preferences_button: string;
  preferences_saved: string;
  leave_button: string;
}

const READER_WORDS: Record<string, ReaderWords> = {
  en: {
    subscribe_title: 'Subscribe to {site}',
    subscribe_lead: 'Get each issue by email. We will send you a link to confirm your address first.',
    email_label: 'Email address',
    name_label: 'Name (optional)',
    subscribe_button: 'Subscribe',
    check_inbox_title: 'Check your inbox',
    check_inbox: 'If the address can receive mail, a message with a link to confirm your subscription is on its way. Nothing is sent until you confirm.',
    confirm_title: 'Confirm your subscription',
    confirm_lead: 'Press the button to start receiving {site} at {email}.',
    confirm_button: 'Confirm my subscription',
    confirmed_title: 'You are subscribed',
    confirmed: 'Thank you: {email} will receive every new issue of {site}. Each email has a link to unsubscribe.',
    unsubscribe_title: 'Unsubscribe',
    unsubscribe_lead: 'Press the button to stop receiving {site} at {email}.',
    unsubscribe_button: 'Unsubscribe',
    unsubscribed_title: 'You are unsubscribed',
    unsubscribed: '{email} will receive no more issues of {site}.',
    undo_lead: 'Pressed it by mistake?',
    undo_button: 'Subscribe again',
    resubscribed: 'Welcome back: {email} is subscribed to {site} again.',
    bad_link_title: 'This link does not work',
    bad_link: 'The link is incomplete or was changed. Copy the whole link from the email, or subscribe again.',
    expired_link: 'This confirmation link has expired. Subscribe again to get a new one.',
    bad_address: 'That is not an email address we can send to: {reason}.',
    not_found_title: 'Not found',
    not_found: 'There is no page here.',
    wrong_method: 'This page cannot be used that way.',
    bad_request: 'The request could not be understood.',
    too_many: 'Too many requests. Please wait a minute and try again.',
    busy: 'We cannot send more confirmation emails right now. Please try again in an hour.',
    undo_expired:
      'This link can only undo an unsubscribe right after it was made. To receive {site} again, subscribe below: we will send you a link to confirm.',
    too_large: 'The request is too large.',
    failed: 'Something went wrong on our side. Please try again later.',
    confirm_subject: 'Confirm your subscription to {site}',
    confirm_mail_lead: 'Someone, probably you, asked to receive {site} at this address. Press the button to confirm.',
    confirm_mail_button: 'Confirm my subscription',
    confirm_mail_ignore: 'If it was not you, ignore this email: you will not be subscribed. The link works for 7 days.',
    confirm_text_lead: 'Someone, probably you, asked to receive {site} at this address. Open this link to confirm:',
    invite_subject: 'Please confirm: do you still want {site}?',
    invite_mail_lead: '{site} has moved to a new home, and your address came with its list. To keep receiving it, confirm below.',
    invite_text_lead: '{site} has moved to a new home, and your address came with its list. To keep receiving it, open this link:',
    invite_mail_ignore: 'If you do nothing, you will not hear from us again. The link works for 7 days.',
    preferences_title: 'Your {site} preferences',
    preferences_lead: 'What {email} receives. Change it any time; the next issue follows your choice.',
    topics_label: 'Topics',
    topics_hint: 'Choose none to receive everything.',
    frequency_label: 'How often',
    frequency_daily: 'Every issue',
    frequency_weekly: 'One weekly roll-up',
    preferences_button: 'Save my choice',
    preferences_saved: 'Saved: {email} will receive what you chose from the next issue on.',
    leave_button: 'Unsubscribe from everything',
  },
  zh: {
    subscribe_title: '订阅「{site}」',
    subscribe_lead: '每期通过邮件送达。我们会先发一封邮件，请你确认邮箱地址。',
    email_label: '邮箱地址',
    name_label: '称呼（可不填）',
    subscribe_button: '订阅',
    check_inbox_title: '请查收邮件',
    check_inbox: '如果这个地址能收信，一封带有确认链接的邮件正在路上。确认之前，我们不会发送任何内容。',
    confirm_title: '确认订阅',
    confirm_lead: '按下按钮，用 {email} 开始接收「{site}」。',
    confirm_button: '确认订阅',
    confirmed_title: '订阅成功',
    confirmed: '谢谢！{email} 将收到「{site}」的每一期。每封邮件里都有退订链接。',
    unsubscribe_title: '退订',
    unsubscribe_lead: '按下按钮，{email} 将不再收到「{site}」。',
    unsubscribe_button: '退订',
    unsubscribed_title: '已退订',
    unsubscribed: '{email} 不会再收到「{site}」。',
    undo_lead: '点错了？',
    undo_button: '重新订阅',
    resubscribed: '欢迎回来：{email} 已重新订阅「{site}」。',
    bad_link_title: '链接无效',
    bad_link: '链接不完整或被改动过。请从邮件中复制完整的链接，或重新订阅。',
    expired_link: '确认链接已过期。请重新订阅以获取新的链接。',
    bad_address: '这不是可以收信的邮箱地址：{reason}。',
    not_found_title: '页面不存在',
    not_found: '这里没有页面。',
    wrong_method: '不能这样使用这个页面。',
    bad_request: '无法理解这个请求。',
    too_many: '请求太频繁，请稍等一分钟再试。',
    busy: '现在无法再发送确认邮件，请一小时后再试。',
    undo_expired: '这个链接只能在退订之后立即撤销退订。如需重新接收「{site}」，请在下方订阅：我们会发一封邮件请你确认。',
    too_large: '请求内容太大。',
    failed: '我们这边出了问题，请稍后再试。',
    confirm_subject: '确认订阅「{site}」',
    confirm_mail_lead: '有人（多半是你）希望用这个地址接收「{site}」。请按下按钮确认。',
    confirm_mail_button: '确认订阅',
    confirm_mail_ignore: '如果不是你本人，请忽略这封邮件，你不会被订阅。链接 7 天内有效。',
    confirm_text_lead: '有人（多半是你）希望用这个地址接收「{site}」。请打开下面的链接确认：',
    invite_subject: '请确认：你还想接收「{site}」吗？',
    invite_mail_lead: '「{site}」搬了新家，你的地址随订阅名单一起迁了过来。如果还想继续接收，请在下面确认。',
    invite_text_lead: '「{site}」搬了新家，你的地址随订阅名单一起迁了过来。如果还想继续接收，请打开下面的链接：',
    invite_mail_ignore: '如果你什么都不做，我们不会再给你发信。链接 7 天内有效。',
    preferences_title: '「{site}」订阅设置',
    preferences_lead: '{email} 接收的内容。随时可以修改，下一期起按你的选择发送。',
    topics_label: '主题',
    topics_hint: '一个都不选，就接收全部内容。',
    frequency_label: '接收频率',
    frequency_daily: '每期都收',
    frequency_weekly: '每周一封合集',
    preferences_button: '保存设置',
    preferences_saved: '已保存：从下一期起，{email} 将按你的选择接收。',
    leave_button: '全部退订',
  },
  'zh-Hant': {
    subscribe_title: '訂閱「{site}」',
    subscribe_lead: '每期透過電子郵件送達。我們會先寄一封信，請你確認信箱地址。',
    email_label: '電子郵件地址',
    name_label: '稱呼（可不填）',
    subscribe_button: '訂閱',
    check_inbox_title: '請查收郵件',
    check_inbox: '如果這個地址能收信，一封附有確認連結的郵件正在路上。確認之前，我們不會寄出任何內容。',
    confirm_title: '確認訂閱',
    confirm_lead: '按下按鈕，以 {email} 開始接收「{site}」。',
    confirm_button: '確認訂閱',
    confirmed_title: '訂閱成功',
    confirmed: '謝謝！{email} 將收到「{site}」的每一期。每封郵件裡都有取消訂閱的連結。',
    unsubscribe_title: '取消訂閱',
    unsubscribe_lead: '按下按鈕，{email} 將不再收到「{site}」。',
    unsubscribe_button: '取消訂閱',
    unsubscribed_title: '已取消訂閱',
    unsubscribed: '{email} 不會再收到「{site}」。',
    undo_lead: '按錯了？',
    undo_button: '重新訂閱',
    resubscribed: '歡迎回來：{email} 已重新訂閱「{site}」。',
    bad_link_title: '連結無效',
    bad_link: '連結不完整或被改動過。請從郵件中複製完整的連結，或重新訂閱。',
    expired_link: '確認連結已過期。請重新訂閱以取得新的連結。',
    bad_address: '這不是可以收信的電子郵件地址：{reason}。',
    not_found_title: '找不到頁面',
    not_found: '這裡沒有頁面。',
    wrong_method: '不能這樣使用這個頁面。',
    bad_request: '無法理解這個請求。',
    too_many: '請求太頻繁，請稍候一分鐘再試。',
    busy: '現在無法再寄出確認郵件，請一小時後再試。',
    undo_expired: '這個連結只能在取消訂閱之後立即復原。如需重新接收「{site}」，請在下方訂閱：我們會寄一封信請你確認。',
    too_large: '請求內容太大。',
    failed: '我們這邊出了問題，請稍後再試。',
    confirm_subject: '確認訂閱「{site}」',
    confirm_mail_lead: '有人（多半是你）希望以這個地址接收「{site}」。請按下按鈕確認。',
    confirm_mail_button: '確認訂閱',
    confirm_mail_ignore: '如果不是你本人，請忽略這封郵件，你不會被訂閱。連結 7 天內有效。',
    confirm_text_lead: '有人（多半是你）希望以這個地址接收「{site}」。請打開下面的連結確認：',
    invite_subject: '請確認：你還想接收「{site}」嗎？',
    invite_mail_lead: '「{site}」搬了新家，你的地址隨訂閱名單一起遷了過來。如果還想繼續接收，請在下面確認。',
    invite_text_lead: '「{site}」搬了新家，你的地址隨訂閱名單一起遷了過來。如果還想繼續接收，請打開下面的連結：',
    invite_mail_ignore: '如果你什麼都不做，我們不會再寄信給你。連結 7 天內有效。',
    preferences_title: '「{site}」訂閱設定',
    preferences_lead: '{email} 接收的內容。隨時可以修改，下一期起依你的選擇寄送。',
    topics_label: '主題',
    topics_hint: '一個都不選，就接收全部內容。',
    frequency_label: '接收頻率',
    frequency_daily: '每期都收',
    frequency_weekly: '每週一封合輯',
    preferences_button: '儲存設定',
    preferences_saved: '已儲存：從下一期起，{email} 將依你的選擇接收。',
    leave_button: '全部取消訂閱',
  },
  ja: {
    subscribe_title: '「{site}」を購読する',
    subscribe_lead: '毎号をメールでお届けします。まずアドレス確認のメールをお送りします。',
    email_label: 'メールアドレス',
    name_label: 'お名前（任意）',
    subscribe_button: '購読する',
    check_inbox_title: 'メールをご確認ください',
    check_inbox: 'このアドレスでメールを受け取れる場合、購読を確認するリンク付きのメールをお送りしました。確認されるまで何もお送りしません。',
    confirm_title: '購読の確認',
    confirm_lead: 'ボタンを押すと、{email} で「{site}」の受信を始めます。',
    confirm_button: '購読を確認する',
    confirmed_title: '購読が完了しました',
    confirmed: 'ありがとうございます。{email} に「{site}」の新しい号をお届けします。各メールに配信停止のリンクがあります。',
    unsubscribe_title: '配信停止',
    unsubscribe_lead: 'ボタンを押すと、{email} への「{site}」の配信を停止します。',
    unsubscribe_button: '配信を停止する',
    unsubscribed_title: '配信を停止しました',
    unsubscribed: '{email} には「{site}」をお送りしません。',
    undo_lead: '間違えて押しましたか？',
    undo_button: 'もう一度購読する',
    resubscribed: 'おかえりなさい。{email} で「{site}」の購読を再開しました。',
    bad_link_title: 'このリンクは使えません',
    bad_link: 'リンクが不完全か、変更されています。メールからリンク全体をコピーするか、もう一度購読してください。',
    expired_link: 'この確認リンクは期限切れです。もう一度購読して新しいリンクを受け取ってください。',
    bad_address: '送信できるメールアドレスではありません：{reason}。',
    not_found_title: 'ページが見つかりません',
    not_found: 'ここにはページがありません。',
    wrong_method: 'このページはその方法では使えません。',
    bad_request: 'リクエストを理解できませんでした。',
    too_many: 'リクエストが多すぎます。1 分ほど待ってからお試しください。',
    busy: '現在、確認メールをこれ以上お送りできません。1 時間後にお試しください。',
    undo_expired:
      'このリンクで取り消せるのは、配信停止の直後だけです。もう一度「{site}」を受け取るには、下のフォームから購読してください。確認のリンクをお送りします。',
    too_large: 'リクエストが大きすぎます。',
    failed: 'こちら側で問題が起きました。しばらくしてからお試しください。',
    confirm_subject: '「{site}」の購読確認',
    confirm_mail_lead: 'どなたか（おそらくあなた）が、このアドレスで「{site}」の受信を希望しました。ボタンを押して確認してください。',
    confirm_mail_button: '購読を確認する',
    confirm_mail_ignore: 'お心当たりがなければ、このメールは無視してください。購読されることはありません。リンクの有効期限は 7 日です。',
    confirm_text_lead: 'どなたか（おそらくあなた）が、このアドレスで「{site}」の受信を希望しました。下のリンクを開いて確認してください：',
    invite_subject: 'ご確認ください：「{site}」の受信を続けますか？',
    invite_mail_lead: '「{site}」は新しい場所に移りました。あなたのアドレスも購読者リストと一緒に移されています。受信を続ける場合は、下で確認してください。',
    invite_text_lead:
      '「{site}」は新しい場所に移りました。あなたのアドレスも購読者リストと一緒に移されています。受信を続ける場合は、下のリンクを開いてください：',
    invite_mail_ignore: '何もしなければ、今後メールをお送りすることはありません。リンクの有効期限は 7 日です。',
    preferences_title: '「{site}」の配信設定',
    preferences_lead: '{email} が受け取る内容です。いつでも変更でき、次の号からあなたの選択どおりに届きます。',
    topics_label: 'トピック',
    topics_hint: '何も選ばなければ、すべてを受け取ります。',
    frequency_label: '頻度',
    frequency_daily: '毎号',
    frequency_weekly: '週に一度のまとめ',
    preferences_button: '設定を保存',
    preferences_saved: '保存しました：次の号から、{email} にはあなたの選択どおりに届きます。',
    leave_button: 'すべての配信を停止',
  },
};

/** The reader-facing words for `language` (English where Gazette has none), `{site}` filled in. */
export function readerWords(language: string, siteTitle: string): ReaderWords {
  const base = READER_WORDS[languageKey(language)] ?? READER_WORDS.en!;
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, fillIn(v, { '{site}': siteTitle })])) as unknown as ReaderWords;
}

/** Words of the archive's pages (home, issue, tag and 404 pages). */
export interface PageWords {
  newer: string;
  older: string;
  previous_issue: string;
  next_issue: string;
  tagged: string;
  page: string;
  not_found_title: string;
  not_found: string;
}

const PAGE_WORDS: Record<string, PageWords> = {
  en: {
    newer: 'Newer issues',
    older: 'Older issues',
    previous_issue: 'Previous issue',
    next_issue: 'Next issue',
    tagged: 'Issues tagged “{tag}”',
    page: 'page {n}',
    not_found_title: 'Page not found',
    not_found: 'There is no page at this address. The home page lists every issue.',
  },
  zh: {
    newer: '较新的几期',
    older: '更早的几期',
    previous_issue: '上一期',
    next_issue: '下一期',
    tagged: '标签「{tag}」下的各期',
    page: '第 {n} 页',
    not_found_title: '页面不存在',
    not_found: '这个地址没有页面。首页列出了每一期。',
  },
  'zh-Hant': {
    newer: '較新的幾期',
    older: '更早的幾期',
    previous_issue: '上一期',
    next_issue: '下一期',
    tagged: '標籤「{tag}」下的各期',
    page: '第 {n} 頁',
    not_found_title: '找不到頁面',
    not_found: '這個地址沒有頁面。首頁列出了每一期。',
  },
  ja: {
    newer: '新しい号',
    older: '以前の号',
    previous_issue: '前の号',
    next_issue: '次の号',
    tagged: 'タグ「{tag}」の号',
    page: '{n} ページ目',
    not_found_title: 'ページが見つかりません',
    not_found: 'このアドレスにはページがありません。トップページにすべての号があります。',
  },
};

export function pageWords(language: string): PageWords {
  return PAGE_WORDS[languageKey(language)] ?? PAGE_WORDS.en!;
}

/** Words of the weekly roll-up (its email, page and feed). */
export interface RollupWords {
  /** The default title pattern (`[rollup] title` replaces it). */
  title: string;
  /** Above the list of issues: `{from}` and `{to}` filled in. */
  lead: string;
  /** The link to each issue. */
  more: string;
  /** The roll-ups' feed title. */
  feed: string;
}

const ROLLUP_WORDS: Record<string, RollupWords> = {
  en: { title: '{site}: the week of {from}', lead: 'The issues of the week, {from} to {to}:', more: 'Read the issue', feed: 'Weekly roll-up' },
  zh: { title: '{site} · {from}–{to} 一周合集', lead: '本周各期（{from}–{to}）：', more: '阅读全文', feed: '每周合集' },
  'zh-Hant': { title: '{site} · {from}–{to} 一週合輯', lead: '本週各期（{from}–{to}）：', more: '閱讀全文', feed: '每週合輯' },
  ja: { title: '{site}：{from}からの一週間', lead: '今週の号（{from}〜{to}）：', more: '本文を読む', feed: '週刊まとめ' },
};

export function rollupWords(language: string): RollupWords {
  return ROLLUP_WORDS[languageKey(language)] ?? ROLLUP_WORDS.en!;
}
