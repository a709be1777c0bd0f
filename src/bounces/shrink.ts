import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter } from '@zone-eu/mailsplit';

/**
 * What of a message a report is read from: every MIME part's headers, the
 * report parts whole (RFC 3464's delivery status, RFC 5965's feedback
 * report, the original's headers), and the first bytes of each text part
 * and of an attached original; nothing of attachments. Whatever arrives
 * (24 MB of text, a thousand parts, an attachment), what mailparser then
 * reads is a few hundred kilobytes, so reading a report takes the same
 * memory and time as a small one.
 */

/** Bytes kept of a report part (a DSN with a hundred recipients is 20 KB). */
const REPORT_PART = 256 * 1024;
/** Bytes kept of a text part or an attached original (its headers, a bounce's explanation). */
const TEXT_PART = 64 * 1024;
/** Bytes of bodies kept in all. */
const TOTAL = 2 * 1024 * 1024;
/** MIME parts read at most; a message with more is no report. */
const MAX_PARTS = 500;
/** Largest header block of one part; a bigger one is no report. */
const MAX_HEAD = 256 * 1024;

const REPORT_TYPES = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
]);

function budgetOf(contentType: string | false): number {
  const type = (contentType || 'text/plain').toLowerCase();
  if (REPORT_TYPES.has(type)) return REPORT_PART;
  if (type.startsWith('text/') || type === 'message/rfc822' || type === 'message/global') return TEXT_PART;
  return 0;
}

/** Lines of multipart structure: boundaries are kept, a preamble or epilogue past a few kilobytes is not. */
function structureOnly(value: Buffer): Buffer {
  if (value.length <= 4096) return value;
  const kept = value
    .toString('latin1')
    .split(/(?<=\n)/)
    .filter((line) => line.startsWith('--'));
  return Buffer.from(kept.join(''), 'latin1');
}

/** The part of `raw` a report is read from (see above), or undefined when it is no message a report could be. */
export async function reportPrefix(raw: Buffer): Promise<Buffer | undefined> {
  const splitter = new Splitter({ maxHeadSize: MAX_HEAD, maxChildNodes: MAX_PARTS });
  let left = 0;
  let total = TOTAL;
  const trim = new Transform({
    objectMode: true,
    transform(chunk: { type: string; value?: Buffer; contentType?: string | false }, _encoding, done: TransformCallback) {
      if (chunk.type === 'node') {
        left = budgetOf(chunk.contentType ?? false);
        done(null, chunk);
        return;
      }
      if (chunk.type === 'data') {
        done(null, { ...chunk, value: structureOnly(chunk.value!) });
        return;
      }
      const take = Math.min(left, total, chunk.value!.length);
      left -= take;
      total -= take;
      done(null, take === chunk.value!.length ? chunk : { ...chunk, value: chunk.value!.subarray(0, take) });
    },
  });
  const parts: Buffer[] = [];
  const collect = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      parts.push(chunk);
      done();
    },
  });
  try {
    await pipeline(Readable.from([raw]), splitter, trim, new Joiner(), collect);
  } catch {
    // Too many parts, a header block too big, a malformed structure: no report.
    return undefined;
  }
  return Buffer.concat(parts);
}
