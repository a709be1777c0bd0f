/**
 * Errors a user can act on. Each has a code from the table below (as
 * nodemailer's `lib/errors.js`), an absolute file path where it has one,
 * and prints as one line: `file:line:column: message`. Paths are made
 * readable (relative to the working folder) only where errors are shown,
 * by the CLI's reporter.
 */
export const ERROR_CODES = {
  USAGE: 'A command-line flag or argument is wrong.',
  CONFIG: 'gazette.toml is missing, unreadable or invalid, or lacks a key a command needs.',
  CONTENT: 'A content file cannot be read or is invalid (front matter, encoding, slug).',
  TEMPLATE: 'The email template is missing or invalid (Handlebars or MJML).',
  OUTPUT: 'The output folder cannot be written, or a path would leave it.',
  INPUT: 'A file the user named (a CSV, a DKIM key) is missing or unreadable.',
  ADDRESS: 'Text that should be an email address is not one.',
  SUBSCRIBER: 'The subscriber is not in the list, or their status forbids the change.',
  DB: 'The subscriber database cannot be opened, migrated or used.',
  LOCKED: 'Another `gazette send` is running on the same database.',
  SECRET: 'The unsubscribe secret (GAZETTE_SECRET or gazette.secret) is unusable.',
  SMTP_CONFIG: 'GAZETTE_SMTP_URL or the [smtp] section is not usable.',
  SMTP_CONNECT: 'The SMTP server cannot be reached (refused, timed out, TLS failed).',
  SMTP_AUTH: 'The SMTP server refused the login.',
  SMTP_REFUSED: 'The SMTP server refused the sender, the session or the message.',
  NO_ISSUE: 'There is no published issue to send, or none with that slug.',
  IMAP: 'The bounce mailbox cannot be reached, logged into or read.',
  DECLINED: 'A send was refused: no terminal to ask on, or the answer was no.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Exit codes of every command, in one place. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A user's mistake or an unusable input: fix it and run again. */
  error: 1,
  /** A bug in Gazette. */
  bug: 2,
  /** `send`: some subscribers are still owed the issue (deferred); run again. */
  owed: 3,
  /** `bounces import`: the database is busy or unusable; an MTA piping reports in keeps the message and tries again (EX_TEMPFAIL). */
  tempfail: 75,
  /** Interrupted by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const;

export interface Place {
  /** Absolute path of the file. */
  file?: string;
  line?: number;
  column?: number;
}

export class GazetteError extends Error {
  readonly code: ErrorCode;
  readonly place: Place;
  constructor(code: ErrorCode, message: string, place: Place = {}) {
    super(message);
    this.name = 'GazetteError';
    this.code = code;
    this.place = place;
  }

  /** `file:line:column: message`, always on one line; `showPath` makes the file readable. */
  format(showPath: (file: string) => string = (f) => f): string {
    return formatProblem(this.message, this.place, showPath);
  }
}

/** Several problems reported together (every broken file in one run). */
export class GazetteErrors extends Error {
  readonly code: ErrorCode;
  readonly problems: GazetteError[];
  constructor(problems: GazetteError[], summary: string) {
    super(summary);
    this.name = 'GazetteErrors';
    this.problems = problems;
    this.code = problems[0]?.code ?? 'CONTENT';
  }
}

export function isGazetteError(err: unknown): err is GazetteError | GazetteErrors {
  return err instanceof GazetteError || err instanceof GazetteErrors;
}

/** The exit code an error ends a command with: 1 for a user's mistake, 2 for a bug. */
export function exitCodeOf(err: unknown): number {
  return isGazetteError(err) ? EXIT.error : EXIT.bug;
}

export function formatProblem(message: string, place: Place = {}, showPath: (file: string) => string = (f) => f): string {
  let where = place.file ? showPath(place.file) : '';
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

/**
 * A file-system failure (EACCES, ENOSPC, EROFS…) as a GazetteError with
 * `code` naming the file: a full disk or a read-only folder is the user's
 * to fix, not a bug. Anything else is returned as it is.
 */
export function fileError(err: unknown, code: ErrorCode, what: string, file: string): unknown {
  if (isGazetteError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return err;
  return new GazetteError(code, `cannot ${what}: ${e.code}: ${e.message.replace(/^E[A-Z]+: /, '').split(',')[0]}`, { file: e.path ?? file });
}
