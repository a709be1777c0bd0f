import { stringify } from 'smol-toml';

/**
 * A TOML basic string (quotes included) holding `value` exactly: every
 * character TOML forbids in one (control characters, DEL, a lone
 * surrogate) is escaped by smol-toml, the library that reads it back.
 */
export function tomlString(value: string): string {
  return stringify({ v: value }).trim().slice('v = '.length);
}

/** What goes between a TOML basic string's quotes, for a value inside a longer one. */
export const tomlStringBody = (value: string): string => tomlString(value).slice(1, -1);
