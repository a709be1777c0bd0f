import { loadConfig } from '../config/index.js';
import { EXIT, GazetteError } from '../errors.js';
import { cannotReach } from '../mail/index.js';
import { type Campaign, pendingSends, prepareRollupSend, prepareSend, type SendResult, sendTestCopy } from '../send/index.js';
import { printable } from '../util/text.js';
import { rfc3339 } from '../util/time.js';
import { agreed, processSendEnv, type SendEnv } from './terminal.js';

export { processSendEnv, type SendEnv } from './terminal.js';

import { progressLine, progressReporter } from './progress.js';
import { displayPath, type Io, plural, printWarnings } from './report.js';

export interface SendFlags {
  config?: string;
  issue?: string;
  latest?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  to?: string;
  newIssue?: boolean;
  pending?: boolean;
  /** An ISO week, `2026-W48`: its roll-up to the weekly readers. */
  rollup?: string;
}

/** `gazette send`: flags in, the campaign prepared and run by the send module, results out. */
export async function sendCommand(flags: SendFlags, io: Io, sendEnv: SendEnv = processSendEnv): Promise<number> {
  if (flags.issue && flags.latest) throw new GazetteError('USAGE', 'use --issue SLUG or --latest, not both');
  const { config, warnings } = await loadConfig(flags.config, flags.dryRun ? 'send --dry-run' : 'send', { env: sendEnv.env });
  printWarnings(io, warnings);
  const options = { issue: flags.issue, dryRun: flags.dryRun };

  if (flags.to) {
    const copy = await sendTestCopy(config, { ...options, to: flags.to });
    printWarnings(io, copy.warnings);
    const via = copy.kind === 'smtp' ? copy.via : `${displayPath(copy.via)}/`;
    io.out(`Sent a test copy of “${copy.issue.title}” to ${copy.to} via ${via} (the ledger is unchanged).`);
    return EXIT.ok;
  }

  if (flags.rollup && (flags.issue || flags.latest || flags.pending || flags.to))
    throw new GazetteError('USAGE', 'use --rollup WEEK alone, without --issue, --latest, --pending or --to');
  if (flags.rollup) return sendOneIssue(() => prepareRollupSend(config, { week: flags.rollup!, dryRun: flags.dryRun }), flags, io, sendEnv);
  if (flags.pending) {
    if (flags.issue || flags.latest) throw new GazetteError('USAGE', '--pending chooses the issues itself: use it without --issue or --latest');
    const plan = await pendingSends(config);
    if (plan.issues.length === 0 && plan.rollups.length === 0) {
      const last = plan.lastSent ? ` every published issue up to “${plan.lastSent.title}” has been sent` : ' there is no published issue';
      const next = plan.waiting[0] ? `; next: “${plan.waiting[0].issue.title}” at ${rfc3339(plan.waiting[0].at, config.site.timezone)}` : '';
      io.out(`Nothing to send:${last}${next}.`);
      return EXIT.ok;
    }
    let code: number = EXIT.ok;
    const sends = [
      ...plan.issues.map((issue) => () => prepareSend(config, { issue: issue.slug, dryRun: flags.dryRun })),
      ...plan.rollups.map((week) => () => prepareRollupSend(config, { week, dryRun: flags.dryRun })),
    ];
    for (const prepare of sends) {
      const one = await sendOneIssue(prepare, flags, io, sendEnv);
      // A run that left readers deferred is run again next time; anything worse stops the rest.
      if (one === EXIT.owed) code = EXIT.owed;
      else if (one !== EXIT.ok) return one;
    }
    return code;
  }
  return sendOneIssue(() => prepareSend(config, options), flags, io, sendEnv);
}

/** One issue (or roll-up), prepared, confirmed, sent and summed up. */
async function sendOneIssue(prepare: () => Promise<Campaign>, flags: SendFlags, io: Io, sendEnv: SendEnv): Promise<number> {
  const campaign = await prepare();
  try {
    printWarnings(io, campaign.warnings);
    const { issue, owed } = campaign;
    const via = campaign.mode === 'smtp' ? campaign.via : displayPath(campaign.via);
    // With topics: who the issue goes to, by the topic that brings it to them.
    const byTopic = campaign.byTopic
      ? ` (${Object.entries(campaign.byTopic)
          .map(([topic, n]) => `${n} ${topic ? `for ${topic}` : 'reading everything'}`)
          .join(', ')})`
      : '';
    if (campaign.mode === 'dry-run') io.err(`Dry run: writing ${plural(owed, 'message')}${byTopic} to ${via}/ instead of sending (the ledger is unchanged).`);
    if (campaign.subscribed === 0) {
      io.out('There are no subscribers yet: add some with `gazette subscribers add` or `gazette subscribers import`.');
      return EXIT.ok;
    }
    if (owed === 0) {
      // From cron, an issue nobody is owed (its readers all chose other topics, or weekly) still counts as sent.
      if (flags.pending && campaign.mode === 'smtp') await campaign.record?.();
      io.out(`Nobody is owed “${issue.title}”: every subscribed address has it (or has permanently failed, or chose otherwise).`);
      return EXIT.ok;
    }
    const lookalike = campaign.lookalike;
    if (lookalike && !flags.newIssue) {
      const what = `“${issue.title}” (${issue.key}) looks like “${lookalike.title}” (${lookalike.key}), sent on ${lookalike.first_sent_at.slice(0, 10)}; its slug or id changed, so everyone would get it again`;
      if (!sendEnv.stdinIsTty) throw new GazetteError('DECLINED', `${what}. Add --new-issue if it really is a new issue.`);
      const answer = await sendEnv.ask(printable(`${what}. Send it as a new issue? [y/N] `));
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.err('Not sent.');
        return EXIT.error;
      }
    }
    if (
      campaign.mode === 'smtp' &&
      !(await agreed(
        sendEnv,
        flags.yes,
        `Send “${issue.title}” to ${plural(owed, 'subscriber')}${byTopic} via ${via}?`,
        `send “${issue.title}” to ${plural(owed, 'subscriber')}`,
      ))
    ) {
      io.err('Not sent.');
      return EXIT.error;
    }

    const stop = { requested: false };
    const verb = campaign.mode === 'smtp' ? 'sent' : 'written';
    const reporter = progressReporter(sendEnv.stderr, Boolean(sendEnv.stderr.isTTY), verb);
    const removeHandler = sendEnv.onInterrupt(() => {
      if (stop.requested) {
        io.err('\nStopped at once; messages in flight will be sent again by the next run.');
        process.exit(EXIT.interrupted);
      }
      stop.requested = true;
      io.err('\nStopping: finishing the messages in flight (Ctrl-C again to quit at once)…');
    });
    let result: SendResult;
    try {
      result = await campaign.run({ stop, onProgress: (p) => reporter.update(p) });
    } finally {
      removeHandler();
      reporter.end();
    }
    // Nothing delivered and the server could not be used: one line saying why, no "sent" summary.
    if (result.abort && result.sent === 0) {
      const { kind, reason } = result.abort;
      throw new GazetteError(kind === 'connection' ? 'SMTP_CONNECT' : 'SMTP_REFUSED', kind === 'connection' ? cannotReach(via, reason) : `${via} ${reason}`);
    }
    if (!sendEnv.stderr.isTTY) io.err(progressLine(result, verb));
    return summarize(result, campaign.mode === 'smtp', issue.title, via, io);
  } finally {
    await campaign.close();
  }
}

function summarize(result: SendResult, delivered: boolean, title: string, via: string, io: Io): number {
  const what = delivered ? `Sent “${title}” via ${via}` : `Wrote “${title}” to ${via}/`;
  io.out(
    `${what}: ${result.sent} ${delivered ? 'delivered' : 'written'}, ${result.failed} failed${result.bounced ? ` (${result.bounced} bounced)` : ''}, ${result.skipped} skipped, ${result.owed} still owed.`,
  );
  for (const relay of result.relaysOut) io.err(`warning: relay ${relay.name} was taken out of the run (its messages went to the others): ${relay.reason}`);
  if (result.heldBack) {
    io.err(
      `${plural(result.heldBack, 'recipient')} refused in a row at the end of the run, with nothing delivered after: left deferred, not bounced; run again to check.`,
    );
  }
  if (result.abort) {
    const { kind, reason } = result.abort;
    io.err(`error: stopped: ${kind === 'connection' ? `cannot send through ${via}: ${reason}` : `${via} ${reason}`}`);
  }
  if (result.stopped) {
    io.err(`Interrupted: ${plural(result.owed, 'subscriber')} still owed; run the same command again to continue.`);
    return EXIT.interrupted;
  }
  if (result.paused && result.owed > 0) {
    io.err(
      `Every relay is at its daily limit: ${plural(result.owed, 'subscriber')} still owed; run the same command again after ${result.paused.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    );
    return EXIT.owed;
  }
  if (result.owed > 0) {
    io.err(`${plural(result.owed, 'message')} deferred or not yet sent; run the same command again to retry them.`);
    return EXIT.owed;
  }
  return EXIT.ok;
}
