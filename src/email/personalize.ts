import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../util/html.js';

/**
 * Per-subscriber values are rendered into the email as markers, once per
 * issue, and swapped for the real values per message: sending to 100,000
 * people renders MJML once, not 100,000 times. Each rendering draws its own
 * random nonce into the markers, so no text in an issue can produce one
 * (a link in an issue written like a marker stays as written, and never
 * receives a reader's address or token). The markers are letters, digits
 * and underscores, which no template engine, MJML or CSS inliner changes.
 */
export interface Markers {
  unsubscribeUrl: string;
  preferencesUrl: string;
  confirmUrl: string;
  name: string;
  email: string;
}

/** A new nonce for one rendering (64 random bits). */
export function newNonce(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

export function markersFor(nonce: string): Markers {
  return {
    unsubscribeUrl: `GAZETTE_${nonce}_UNSUBSCRIBE_URL_`,
    preferencesUrl: `GAZETTE_${nonce}_PREFERENCES_URL_`,
    confirmUrl: `GAZETTE_${nonce}_CONFIRM_URL_`,
    name: `GAZETTE_${nonce}_NAME_`,
    email: `GAZETTE_${nonce}_EMAIL_`,
  };
}

/** The values filled in for one reader. */
export interface Personal {
  unsubscribeUrl: string;
  /** The reader's preferences page (an issue's footer). */
  preferencesUrl?: string;
  /** The confirmation link, in a confirmation email. */
  confirmUrl?: string;
  name?: string;
  email: string;
}

/** What personalizing needs of a rendered email: its text and the nonce its markers carry. */
export interface Marked {
  nonce: string;
}

/** Any marker; only those carrying the rendering's own nonce are filled in. One pattern, whatever the nonce. */
const MARKER = /GAZETTE_([0-9A-F]{16})_(UNSUBSCRIBE_URL|PREFERENCES_URL|CONFIRM_URL|NAME|EMAIL)_/g;

function fill(text: string, nonce: string, personal: Personal, encode: (s: string) => string): string {
  return text.replace(MARKER, (marker, markerNonce: string, field: string) => {
    if (markerNonce !== nonce) return marker;
    switch (field) {
      case 'UNSUBSCRIBE_URL':
        return encode(personal.unsubscribeUrl);
      case 'PREFERENCES_URL':
        return encode(personal.preferencesUrl ?? '');
      case 'CONFIRM_URL':
        return encode(personal.confirmUrl ?? '');
      case 'NAME':
        return encode(personal.name ?? '');
      default:
        return encode(personal.email);
    }
  });
}

/** The email's HTML for one recipient: every value HTML-escaped. */
export function personalizeHtml(email: Marked & { html: string }, personal: Personal): string {
  return fill(email.html, email.nonce, personal, escapeHtml);
}

/** The text part for one recipient: values as they are, control characters and line breaks removed. */
export function personalizeText(email: Marked & { text: string }, personal: Personal): string {
  return fill(email.text, email.nonce, personal, (s) => s.replace(/[\u0000-\u001F\u007F]/g, ''));
}
