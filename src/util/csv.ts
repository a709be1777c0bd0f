/**
 * CSV as spreadsheets write it (RFC 4180, leniently): a UTF-8 BOM, CRLF or
 * LF, quoted fields with commas, doubled quotes and line breaks, spaces
 * around fields. Each record keeps the line it starts on, for error messages.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when the record is malformed (an unclosed quote, text after a closing quote). */
  error?: string;
}

/** The separator a spreadsheet used: the most frequent of , ; and tab on the first line, outside quotes. */
export function detectDelimiter(text: string): string {
  const first = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((d) => [d, first.split(d).length - 1] as const);
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  return best[1] > 0 ? best[0] : ',';
}

export function parseCsv(text: string, delimiter?: string): CsvRecord[] {
  let src = text.replace(/^\uFEFF/, '');
  // Excel may start a file with `sep=;` to name its separator.
  const declared = /^sep=(.)\r?\n/i.exec(src);
  let line = 1;
  if (declared) {
    src = src.slice(declared[0].length);
    line = 2;
  }
  const sep = delimiter ?? declared?.[1] ?? detectDelimiter(src);
  const records: CsvRecord[] = [];
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      // One field.
      while (src[i] === ' ' || (src[i] === '\t' && sep !== '\t')) i++;
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
        while (src[i] === ' ' || (src[i] === '\t' && sep !== '\t')) i++;
        if (i < src.length && src[i] !== sep && src[i] !== '\n' && src[i] !== '\r') {
          error ??= 'text after a closing quote (write "" for a quote inside a quoted field)';
          while (i < src.length && src[i] !== sep && src[i] !== '\n' && src[i] !== '\r') value += src[i++];
        }
      } else {
        while (i < src.length && src[i] !== sep && src[i] !== '\n' && src[i] !== '\r') value += src[i++];
        value = value.trim();
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
  return records;
}

function quote(field: string): string {
  return /[",\r\n]|^\s|\s$/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function csvLine(fields: string[]): string {
  return `${fields.map(quote).join(',')}\r\n`;
}
