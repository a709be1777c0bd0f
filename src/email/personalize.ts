import { escapeHtml } from '../util/html.js';

/**
 * Per-subscriber values are rendered into the email as these markers, once
 * per issue, and swapped for the real values per message: sending to
 * 100,000 people renders MJML once, not 100,000 times. The markers are
 * plain letters and underscores, so no template engine, MJML or CSS
 * inliner changes them.
 */
export const MARKERS = {
  unsubscribeUrl: 'GAZETTE_SUBSCRIBER_UNSUBSCRIBE_URL_',
  name: 'GAZETTE_SUBSCRIBER_NAME_',
  email: 'GAZETTE_SUBSCRIBER_EMAIL_',
} as const;

/** The values filled in for one reader. */
export interface Personal {
  unsubscribeUrl: string;
  name?: string;
  email: string;
}

const PATTERN = new RegExp(Object.values(MARKERS).join('|'), 'g');

function fill(text: string, personal: Personal, encode: (s: string) => string): string {
  const values: Record<string, string> = {
    [MARKERS.unsubscribeUrl]: encode(personal.unsubscribeUrl),
    [MARKERS.name]: encode(personal.name ?? ''),
    [MARKERS.email]: encode(personal.email),
  };
  return text.replace(PATTERN, (marker) => values[marker]!);
}

/** The email's HTML for one recipient: every value HTML-escaped. */
export function personalizeHtml(html: string, personal: Personal): string {
  return fill(html, personal, escapeHtml);
}

/** The text part for one recipient: values as they are, control characters and line breaks removed. */
export function personalizeText(text: string, personal: Personal): string {
  return fill(text, personal, (s) => s.replace(/[\u0000-\u001F\u007F]/g, ''));
}
