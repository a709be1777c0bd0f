/**
 * Which sections of `gazette.toml` each command reads. A key the schema does
 * not know, in a section a command reads (`[smtp] hots = …`), or a section
 * that is a typo of one it reads (`[smpt]`), stops that command: ignoring it
 * would quietly do something else than the author asked (send nothing, mail
 * through the wrong server). Elsewhere it is a warning.
 */
export const SECTIONS_USED = {
  /** Commands that read no more than the config's paths. */
  init: [],
  new: ['site', 'content'],
  build: ['site', 'content', 'build', 'feeds', 'email'],
  preview: ['site', 'content', 'build', 'feeds', 'email'],
  send: ['site', 'content', 'build', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces'],
  serve: ['site', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces', 'webhooks'],
  invite: ['site', 'email', 'subscribers', 'server', 'smtp', 'send', 'dkim', 'bounces'],
  subscribers: ['site', 'subscribers'],
  bounces: ['site', 'subscribers', 'bounces'],
  status: ['site', 'subscribers'],
} as const satisfies Record<string, readonly string[]>;

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
