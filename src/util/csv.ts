/**
 * CSV as spreadsheets and mailing tools write it (RFC 4180, leniently): a
 * UTF-8 BOM, CRLF or LF, `,` `;` or tab separators, Excel's `sep=` line,
 * quoted fields with commas, doubled quotes and line breaks, spaces around
 * fields. Each record keeps the line it starts on, and a malformed record
 * is reported with its line while the rest of the file is still read.
 *
 * Hand-made on purpose: csv-parse (csv.js.org), tried first, stops emitting
 * records after the first malformed one even with `skip_records_with_error`
 * (its maintainers: "there is no way to know when is the next record"), and
 * miscounts lines after a quoted field holding CRLF. An import must report
 * every bad row by its line and still import the good ones after it.
 * Export, where nothing is malformed, uses csv-stringify.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed (an unclosed quote, text after a closing quote). */
  error?: string;
}

/** The separator a spreadsheet used: the most frequent of , ; and tab on the first line, outside quotes. */
export function detectDelimiter(firstLine: string): string {
  const first = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, first.split(d).length - 1] as const);
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  return best[1] > 0 ? best[0] : ',';
}

/** Parse complete records from `src`, numbering lines from `line`. */
function parseRecords(src: string, sep: string, firstLine: number): { records: CsvRecord[]; line: number } {
  const records: CsvRecord[] = [];
  let line = firstLine;
  let i = 0;
  const space = () => {
    while (src[i] === ' ' || (src[i] === '\t' && sep !== '\t')) i++;
  };
  const endOfField = () => i >= src.length || src[i] === sep || src[i] === '\n' || src[i] === '\r';
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      space();
      let value = '';
      if (src[i] === '"') {
        i++;
        let closed = false;
        while (i < src.length) {
          const c = src[i]!;
          if (c === '"') {
            if (src[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (!closed) error ??= 'a quoted field is never closed';
        space();
        if (!endOfField()) {
          error ??= 'text after a closing quote (write "" for a quote inside a quoted field)';
          while (!endOfField()) value += src[i++];
        }
      } else {
        const from = i;
        while (!endOfField()) i++;
        value = src.slice(from, i).trim();
      }
      fields.push(value);
      if (src[i] === sep) {
        i++;
        continue;
      }
      break;
    }
    if (src[i] === '\r') i++;
    if (src[i] === '\n') i++;
    line++;
    const blank = fields.length === 1 && fields[0] === '' && !error;
    if (!blank) records.push({ line: start, fields, ...(error ? { error } : {}) });
  }
  return { records, line };
}

/**
 * The end (just after its `\n`) of the last complete record in `text`, or
 * -1. Quotes are read as parseRecords reads them: one opens a field only at
 * its start, and `""` inside a quoted field is a quote.
 */
function lastRecordEnd(text: string, sep: string): number {
  let quoted = false;
  let fieldStart = true;
  let end = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
    } else if (c === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (c === sep) {
      fieldStart = true;
    } else if (c === '\n') {
      end = i + 1;
      fieldStart = true;
    } else if (c !== ' ' && c !== '\r' && !(c === '\t' && sep !== '\t')) {
      fieldStart = false;
    }
  }
  return end;
}

/** A BOM and Excel's `sep=;` line removed; the separator, declared or detected from the first line. */
function preamble(text: string): { rest: string; sep: string; line: number } {
  const src = text.replace(/^\uFEFF/, '');
  const declared = /^sep=(.)\r?\n/i.exec(src);
  const rest = declared ? src.slice(declared[0].length) : src;
  return { rest, sep: declared?.[1] ?? detectDelimiter(rest.split(/\r?\n/, 1)[0] ?? ''), line: declared ? 2 : 1 };
}

/** Whether the header line (after a `sep=` line, if any) has arrived whole. */
function headerWhole(text: string): boolean {
  const first = text.indexOf('\n');
  if (first === -1) return false;
  return !/^\uFEFF?sep=/i.test(text) || text.indexOf('\n', first + 1) !== -1;
}

/**
 * Read CSV text as it arrives, chunk by chunk, yielding each record once
 * it is complete: memory holds a chunk and a record, whatever the file's
 * length.
 */
export async function* readCsv(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<CsvRecord> {
  let pending = '';
  let sep = ',';
  let line = 1;
  let started = false;
  for await (const chunk of chunks) {
    pending += chunk;
    if (!started) {
      // The separator is known once the first line is whole.
      if (!headerWhole(pending)) continue;
      ({ rest: pending, sep, line } = preamble(pending));
      started = true;
    }
    const end = lastRecordEnd(pending, sep);
    if (end === -1) continue;
    const parsed = parseRecords(pending.slice(0, end), sep, line);
    pending = pending.slice(end);
    line = parsed.line;
    yield* parsed.records;
  }
  if (!started) ({ rest: pending, sep, line } = preamble(pending));
  if (pending) yield* parseRecords(pending, sep, line).records;
}

/** Every record of CSV text held in memory. */
export function parseCsv(text: string): CsvRecord[] {
  const { rest, sep, line } = preamble(text);
  return parseRecords(rest, sep, line).records;
}
