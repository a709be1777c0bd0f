/**
 * The `Name: value` blocks of delivery reports: a message's header, the
 * per-message and per-recipient blocks of `message/delivery-status`
 * (RFC 3464) and the fields of `message/feedback-report` (RFC 5965).
 * Folded lines are unfolded; names are lower-cased; blocks are separated
 * by blank lines.
 */
export type Fields = Map<string, string>;

/** Every block of `text`, in order. A field given twice keeps its first value. */
export function fieldBlocks(text: string): Fields[] {
  const blocks: Fields[] = [];
  let block: Fields | undefined;
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (block?.size) blocks.push(block);
      block = undefined;
      last = undefined;
      continue;
    }
    block ??= new Map();
    if (/^[ \t]/.test(line) && last !== undefined) {
      block.set(last, `${block.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) {
      last = undefined;
      continue;
    }
    last = m[1]!.toLowerCase();
    if (!block.has(last)) block.set(last, m[2]!.trim());
    else last = undefined;
  }
  if (block?.size) blocks.push(block);
  return blocks;
}

/** The header block at the top of a message (or of a `text/rfc822-headers` part). */
export function headerBlock(text: string): Fields {
  const end = text.search(/\r?\n\r?\n/);
  return fieldBlocks(end === -1 ? text : text.slice(0, end))[0] ?? new Map();
}

/** The address in a typed field such as `rfc822; alice@example.org` or `<alice@example.org>`. */
export function typedAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bare = value.replace(/^\s*rfc822\s*;/i, '').trim();
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(bare) ?? /([^\s<>;,"]+@[^\s<>;,"]+)/.exec(bare);
  return m?.[1]?.replace(/[.]+$/, '').toLowerCase();
}

/** `<id@host>` from a Message-ID field, angle brackets kept (as the ledger stores it). */
export function messageIdOf(value: string | undefined): string | undefined {
  const m = value ? /<[^<>\s]+>/.exec(value) : null;
  return m?.[0];
}
