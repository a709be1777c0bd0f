/**
 * Which sections of `gazette.toml` each command reads. A key the schema does
 * not know, in a section a command reads (`[smtp] hots = …`), or a section
 * that is a typo of one it reads (`[smpt]`), stops that command: ignoring it
 * would quietly do something else than the author asked (send nothing, mail
 * through the wrong server). Elsewhere it is a warning.
 */
const SEND_SECTIONS = ['site', 'content', 'build', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces', 'topics', 'rollup'] as const;
const INVITE_SECTIONS = ['site', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces'] as const;
const BOUNCES_SECTIONS = ['site', 'subscribers', 'bounces'] as const;

export const SECTIONS_USED = {
  /** Commands that read no more than the config's paths. */
  init: [],
  new: ['site', 'content'],
  build: ['site', 'content', 'build', 'feeds', 'email', 'topics', 'rollup'],
  preview: ['site', 'content', 'build', 'feeds', 'email', 'topics', 'rollup'],
  send: SEND_SECTIONS,
  'send --dry-run': SEND_SECTIONS,
  serve: ['site', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces', 'webhooks', 'topics'],
  invite: INVITE_SECTIONS,
  'invite --dry-run': INVITE_SECTIONS,
  subscribers: ['site', 'subscribers', 'topics'],
  'bounces import': BOUNCES_SECTIONS,
  'bounces fetch': BOUNCES_SECTIONS,
  status: ['site', 'content', 'build', 'subscribers', 'topics', 'rollup'],
  rollup: ['site', 'content', 'build', 'email', 'subscribers', 'topics', 'rollup'],
  'db copy': ['site', 'subscribers'],
} as const satisfies Record<string, readonly string[]>;

/**
 * What each command cannot run without, checked once the config is read
 * (`needs.ts` says what each key means and the line that asks for it). A
 * command that signs or checks reader tokens, VERP addresses or
 * Message-IDs also reads `GAZETTE_SECRET` (`secret`).
 */
export const NEEDS = {
  send: ['email.from', 'server.public_url', 'no placeholders', 'smtp', 'secret'],
  'send --dry-run': ['email.from', 'server.public_url', 'secret'],
  serve: ['server.public_url', 'email.from', 'webhook secrets', 'secret'],
  invite: ['email.from', 'server.public_url', 'smtp', 'secret'],
  'invite --dry-run': ['email.from', 'server.public_url', 'secret'],
  'bounces import': ['secret'],
  'bounces fetch': ['mailbox', 'secret'],
} as const satisfies { [U in keyof typeof SECTIONS_USED]?: readonly Need[] };

/** A key (or a condition) a command needs; `needs.ts` checks each. */
export type Need = 'email.from' | 'server.public_url' | 'no placeholders' | 'smtp' | 'mailbox' | 'webhook secrets' | 'secret';

export type ConfigUse = keyof typeof SECTIONS_USED;

/**
 * The values `gazette init` writes for the site's own addresses, on the
 * reserved domain example.com (RFC 2606): never a real site, so mail that
 * links there is a mistake. Any URL on that host counts.
 */
export function isPlaceholderUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return ['example.com', 'www.example.com'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Why a placeholder key matters, for the line that names it. */
const PLACEHOLDER_USE: Record<string, string> = {
  'site.base_url': "where out/ is served: the email's images and its view-in-browser link point there",
  'server.public_url': 'where gazette serve is reached: the unsubscribe and confirmation links point there',
};

/** One sentence per placeholder key: which, what it holds, what to put there. */
export function placeholderProblems(keys: readonly string[]): string[] {
  return keys.map((key) => `${key} is still a placeholder on example.com (as gazette init writes it); set it to ${PLACEHOLDER_USE[key] ?? 'your own address'}`);
}
