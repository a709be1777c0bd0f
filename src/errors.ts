/**
 * Errors a user can act on. Each carries where it happened (file, line,
 * column) and prints as one line: `file:line:column: message`.
 */
export interface Place {
  file?: string;
  line?: number;
  column?: number;
}

export class GazetteError extends Error {
  readonly place: Place;
  constructor(message: string, place: Place = {}) {
    super(message);
    this.name = 'GazetteError';
    this.place = place;
  }

  /** `file:line:column: message`, always on one line. */
  format(): string {
    return formatProblem(this.message, this.place);
  }
}

/** Several problems reported together (every broken file in one run). */
export class GazetteErrors extends Error {
  readonly problems: GazetteError[];
  constructor(problems: GazetteError[], summary: string) {
    super(summary);
    this.name = 'GazetteErrors';
    this.problems = problems;
  }
}

export function formatProblem(message: string, place: Place = {}): string {
  let where = place.file ?? '';
  if (where && place.line !== undefined) {
    where += `:${place.line}`;
    if (place.column !== undefined) where += `:${place.column}`;
  }
  const text = oneLine(message);
  return where ? `${where}: ${text}` : text;
}

/** Collapse any run of whitespace (line breaks included) into one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
