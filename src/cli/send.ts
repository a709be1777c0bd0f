import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { OUTBOX } from '../build/index.js';
import { type Config, displayPath, loadConfig } from '../config/index.js';
import { createIssueCache, type Issue, loadIssues } from '../content/index.js';
import { previewUnsubscribeUrl, renderEmails } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { type Carrier, composeMessage, loadSecret, outboxCarrier, sendIssue, smtpCarrier, smtpSettings } from '../send/index.js';
import { acquireSendLock } from '../send/lock.js';
import { checkEmail, deliveryStatus, openDatabase, owedCount } from '../store/index.js';
import { progressLine, progressReporter } from './progress.js';
import { type Io, plural } from './report.js';

export interface SendFlags {
  config: string;
  issue?: string;
  latest?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  to?: string;
}

/** What `send` needs from the environment; tests replace it. */
export interface SendEnv {
  env: NodeJS.ProcessEnv;
  stdinIsTty: boolean;
  stderr: NodeJS.WriteStream;
  ask(question: string): Promise<string>;
  /** Registers a handler for Ctrl-C / SIGTERM; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

export const processSendEnv: SendEnv = {
  env: process.env,
  stdinIsTty: Boolean(process.stdin.isTTY),
  stderr: process.stderr,
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
};

/** Exit codes of `gazette send`. */
export const SEND_EXIT = { done: 0, input: 1, owed: 3, interrupted: 130 } as const;

function pickIssue(issues: Issue[], slug: string | undefined): Issue {
  if (issues.length === 0) throw new GazetteError('there is no published issue to send');
  if (!slug) return issues[0]!;
  const issue = issues.find((i) => i.slug === slug);
  if (!issue) {
    const known = issues
      .slice(0, 5)
      .map((i) => i.slug)
      .join(', ');
    throw new GazetteError(`no published issue has the slug ${JSON.stringify(slug)} (newest: ${known})`);
  }
  return issue;
}

function requireSendConfig(config: Config): void {
  const missing: GazetteError[] = [];
  if (!config.email.from) missing.push(new GazetteError('email.from is not set: the sender address, e.g. "News <news@example.com>"'));
  if (!config.server.publicUrl) missing.push(new GazetteError('server.public_url is not set: one-click unsubscribe links point there'));
  if (missing.length) throw new GazetteError(missing.map((m) => m.message).join('; '), { file: displayPath(config.file) });
}

export async function sendCommand(flags: SendFlags, io: Io, senv: SendEnv = processSendEnv): Promise<number> {
  if (flags.issue && flags.latest) throw new GazetteError('use --issue SLUG or --latest, not both');
  const { config, warnings } = await loadConfig(flags.config);
  for (const w of warnings) io.err(`warning: ${w}`);
  requireSendConfig(config);
  const { issues } = await loadIssues(config, { cache: createIssueCache(config) });
  const issue = pickIssue(issues, flags.issue);
  const renderWarnings: string[] = [];
  const email = (await renderEmails(config, [issue], { warn: (w) => renderWarnings.push(w), prune: false })).get(issue)!;
  for (const w of renderWarnings) io.err(`warning: ${w}`);

  const smtp = smtpSettings(config, senv.env);
  const outboxDir = path.join(config.build.out, OUTBOX, issue.slug);
  const carrier: Carrier = flags.dryRun || !smtp ? await outboxCarrier(config, outboxDir) : await smtpCarrier(config, smtp);
  const secret = loadSecret(config, senv.env);

  if (flags.to) {
    const checked = checkEmail(flags.to);
    if ('reason' in checked) throw new GazetteError(`--to: ${checked.reason}`);
    try {
      await carrier.send(composeMessage({ config, issue, email, subscriber: { email: checked.email }, unsubscribeUrl: previewUnsubscribeUrl(config) }));
    } finally {
      carrier.close();
    }
    io.out(`Sent a test copy of “${issue.title}” to ${checked.email} via ${carrier.description} (the ledger is unchanged).`);
    return SEND_EXIT.done;
  }

  const release = acquireSendLock(config.subscribers.database);
  const db = openDatabase(config.subscribers.database);
  try {
    const owed = owedCount(db, issue.id);
    const record = carrier.kind === 'smtp';
    if (!record) {
      io.err(
        flags.dryRun
          ? `Dry run: writing ${plural(owed, 'message')} to ${carrier.description}/ instead of sending (the ledger is unchanged).`
          : `No SMTP server is configured (set GAZETTE_SMTP_URL or [smtp] in gazette.toml): writing ${plural(owed, 'message')} to ${carrier.description}/ instead (the ledger is unchanged).`,
      );
    }
    if (owed === 0) {
      carrier.close();
      io.out(`Nobody is owed “${issue.title}”: every subscribed address has it (or has permanently failed).`);
      return SEND_EXIT.done;
    }
    if (record && !flags.yes) {
      if (!senv.stdinIsTty) {
        carrier.close();
        throw new GazetteError(`refusing to send “${issue.title}” to ${plural(owed, 'subscriber')} without --yes (standard input is not a terminal to ask on)`);
      }
      const answer = await senv.ask(`Send “${issue.title}” to ${plural(owed, 'subscriber')} via ${carrier.description}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) {
        carrier.close();
        io.err('Not sent.');
        return SEND_EXIT.input;
      }
    }

    const stop = { requested: false };
    const reporter = progressReporter(senv.stderr, Boolean(senv.stderr.isTTY));
    const removeHandler = senv.onInterrupt(() => {
      if (stop.requested) {
        io.err('\nStopped at once; messages in flight will be sent again by the next run.');
        process.exit(SEND_EXIT.interrupted);
      }
      stop.requested = true;
      io.err('\nStopping: finishing the messages in flight (Ctrl-C again to quit at once)…');
    });
    let result: Awaited<ReturnType<typeof sendIssue>>;
    try {
      result = await sendIssue({ config, db, issue, email, carrier, secret, record, stop, onProgress: (p) => reporter.update(p) });
    } finally {
      removeHandler();
      reporter.end();
    }
    if (!senv.stderr.isTTY) io.err(progressLine(result));

    const what = record ? `Sent “${issue.title}” via ${carrier.description}` : `Wrote “${issue.title}” to ${carrier.description}/`;
    io.out(
      `${what}: ${result.sent} ${record ? 'delivered' : 'written'}, ${result.failed} failed${result.bounced ? ` (${result.bounced} bounced)` : ''}, ${result.skipped} skipped, ${result.owed} still owed.`,
    );
    if (result.abort) io.err(`error: stopped early: ${result.abort}`);
    if (result.stopped) {
      io.err(`Interrupted: ${plural(result.owed, 'subscriber')} still owed; run the same command again to continue.`);
      return SEND_EXIT.interrupted;
    }
    if (result.owed > 0) {
      io.err(`${plural(result.owed, 'message')} deferred or not yet sent; run the same command again to retry them.`);
      return SEND_EXIT.owed;
    }
    return SEND_EXIT.done;
  } finally {
    db.close();
    release();
  }
}

export async function statusCommand(flags: { config: string; issue?: string }, io: Io): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config);
  for (const w of warnings) io.err(`warning: ${w}`);
  const db = openDatabase(config.subscribers.database);
  try {
    // The ledger records each issue it sent with its slug: no content needs reading.
    const rows = deliveryStatus(db, flags.issue);
    if (rows.length === 0) {
      io.out(flags.issue ? `“${flags.issue}” has not been sent.` : 'No issue has been sent yet.');
      return 0;
    }
    io.out('issue\tsent\tdeferred\tfailed\tin flight\towed\ttitle');
    for (const r of rows) io.out(`${r.slug}\t${r.sent}\t${r.deferred}\t${r.failed}\t${r.sending}\t${r.owed}\t${r.title}`);
    return 0;
  } finally {
    db.close();
  }
}
