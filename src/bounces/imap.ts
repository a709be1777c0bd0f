import { ImapFlow } from 'imapflow';
import { type Config, need } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { isLoopback } from '../util/mail.js';
import { type BounceTally, emptyTally, openReportContext, processMessage, tallyApplied } from './inbox.js';
import { MAX_REPORT_BYTES } from './parse.js';

/**
 * `gazette bounces fetch`: read every unseen message in the mailbox (the
 * body fetched with PEEK, so nothing is marked read), apply those that are
 * reports, and move them to `processed_folder`. A message that is not a
 * report is left where it is, unread. A report is moved only after its
 * effect is committed: a run that dies midway leaves it to the next, which
 * finds it already processed.
 */
export async function fetchReports(config: Config): Promise<BounceTally & { mailbox: string; movedTo: string }> {
  const settings = need(config, 'mailbox');
  const where = `imap${settings.secure ? 's' : ''}://${settings.host}:${settings.port}`;
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    // A password never crosses the network in clear: STARTTLS is required off loopback.
    doSTARTTLS: settings.secure ? undefined : !isLoopback(settings.host),
    auth: { user: settings.user, pass: settings.password },
    tls: { rejectUnauthorized: settings.tlsVerify && !isLoopback(settings.host) },
    logger: false,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
  });
  // An error event after connecting (the server hangs up) must not crash the process: the command in progress fails.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const e = err as { authenticationFailed?: boolean; code?: string; message?: string; responseText?: string };
    if (e.authenticationFailed) throw new GazetteError('IMAP', `${where} refused the login for ${settings.user}: ${e.responseText ?? e.message}`);
    throw new GazetteError('IMAP', `cannot reach ${where}: ${e.code ?? ''}${e.code ? ' ' : ''}${e.message ?? String(err)}`.trim());
  }
  const ctx = await openReportContext(config);
  const tally = emptyTally();
  try {
    const lock = await client.getMailboxLock(settings.mailbox).catch((err: Error & { responseText?: string }) => {
      throw new GazetteError('IMAP', `${where} has no folder ${JSON.stringify(settings.mailbox)}: ${err.responseText ?? err.message}`);
    });
    try {
      const unseen = (await client.search({ seen: false }, { uid: true })) || [];
      const handled: number[] = [];
      for (const uid of unseen) {
        // A message over the size cap is no report: left where it is, unread, never downloaded.
        const sized = await client.fetchOne(String(uid), { size: true }, { uid: true });
        if (sized !== false && (sized.size ?? 0) > MAX_REPORT_BYTES) {
          tally.messages++;
          tally.others++;
          continue;
        }
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (message === false || !message.source) continue;
        tally.messages++;
        const applied = await processMessage(ctx, message.source);
        if (!applied) {
          tally.others++;
          continue;
        }
        tallyApplied(tally, applied, 'mail');
        handled.push(uid);
      }
      if (handled.length) {
        const folder = await ensureFolder(client, config.bounces.processedFolder);
        await client.messageMove(handled.join(','), folder, { uid: true });
      }
    } finally {
      lock.release();
    }
  } finally {
    await ctx.close();
    await client.logout().catch(() => client.close());
  }
  return { ...tally, mailbox: `${where}/${settings.mailbox}`, movedTo: config.bounces.processedFolder };
}

/** The folder's path on this server (`Gazette/Processed` is `Gazette.Processed` where the separator is a dot), made if missing. */
async function ensureFolder(client: ImapFlow, folder: string): Promise<string> {
  const parts = folder.split('/').filter(Boolean);
  const existing = await client.list();
  const wanted = parts.join(existing[0]?.delimiter ?? '/');
  if (existing.some((m) => m.path === wanted)) return wanted;
  return (await client.mailboxCreate(parts)).path;
}
