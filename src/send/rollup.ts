import { type Config, need, placeholderProblems } from '../config/index.js';
import { completeRollups, createIssueCache, type Issue, loadIssues, type Rollup, rollupAsEntry, rollupOfWeek, topicsOfIssue } from '../content/index.js';
import { type RenderedEmail, renderRollupEmail } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { describeRelays } from '../mail/index.js';
import { type Audience, countByStatus, ledger, openStore, topicSets } from '../store/index.js';
import { loadSecret } from '../tokens/index.js';
import { rfc3339 } from '../util/time.js';
import { type Campaign, sendable, withCampaignBase } from './campaign.js';
import { type SendResult, sendIssue } from './pipeline.js';

/** The issues a roll-up may list: those that may be mailed now (published, not held back). */
async function sendableIssues(config: Config, now: Date): Promise<Issue[]> {
  return (await loadIssues(config, { cache: createIssueCache(config), drafts: false, future: false })).issues.filter((i) => sendable(i, now));
}

/** Every complete week's roll-up (newest first), for `send --pending`. */
export async function rollupsOf(config: Config, now = new Date()): Promise<Rollup[]> {
  return completeRollups(await sendableIssues(config, now), config, now);
}

/** Who a roll-up is for: the weekly readers who chose none of the topics, or one its issues cover. */
export const audienceOfRollup = (rollup: Rollup, config: Pick<Config, 'topics'>): Audience => ({
  edition: 'weekly',
  topics: config.topics.length ? [...new Set(rollup.issues.flatMap((i) => topicsOfIssue(i, config.topics)))] : undefined,
});

/**
 * `send --rollup 2026-W48`: the week's edition to the weekly readers, once
 * each, ledgered under `weekly-2026-W48` like an issue. A reader who chose
 * topics gets the week's issues of those topics only, and nothing in a week
 * with none: the readers are sent in groups by the topics they chose, each
 * group its own email. The week must be over.
 */
export async function prepareRollupSend(config: Config, options: { week: string; dryRun?: boolean | undefined }): Promise<Campaign> {
  need(config, 'email.from');
  need(config, 'server.public_url');
  const warnings: string[] = [];
  if (options.dryRun) warnings.push(...placeholderProblems(config.placeholders).map((p) => `${config.file}: ${p}`));
  else need(config, 'no placeholders');
  const now = new Date();
  const rollup = rollupOfWeek(options.week, await sendableIssues(config, now), config);
  if (rollup.end > now) {
    throw new GazetteError(
      'NO_ISSUE',
      `the week ${rollup.week} is not over until ${rfc3339(rollup.end, config.site.timezone)}: its roll-up goes when the week ends`,
    );
  }
  if (rollup.issues.length === 0) throw new GazetteError('NO_ISSUE', `no issue was published in the week ${rollup.week}: there is no roll-up to send`);
  const entry = rollupAsEntry(rollup, config);
  const audience = audienceOfRollup(rollup, config);
  const secret = loadSecret(config);
  return withCampaignBase(config, options.dryRun, `weekly-${rollup.slug}`, async ({ relays, store, record, ledgerFor, close }) => {
    const db = store.db;
    // One email per set of topics chosen (everything: the whole week), for the readers who chose exactly that.
    const groups: Array<{ exactly: string[]; email: RenderedEmail }> = [];
    for (const chosen of await topicSets(db, 'weekly')) {
      const theirs = chosen.length ? rollup.issues.filter((i) => topicsOfIssue(i, config.topics).some((t) => chosen.includes(t))) : rollup.issues;
      if (theirs.length) groups.push({ exactly: chosen, email: await renderRollupEmail(config, rollup, theirs) });
    }
    const owed = await ledgerFor(audience).owedCount(rollup.key);
    const run: Campaign['run'] = async ({ stop, onProgress }) => {
      let total: SendResult | undefined;
      for (const group of groups) {
        if (stop.requested) break;
        const result = await sendIssue({
          config,
          store: ledgerFor({ ...audience, exactly: group.exactly }),
          issue: entry,
          email: group.email,
          relays,
          secret,
          stop,
          ...(onProgress ? { onProgress: (p) => onProgress({ ...p, total: owed, sent: p.sent + (total?.sent ?? 0) }) } : {}),
        });
        total = total ? sumResults(total, result) : result;
        if (result.abort || result.paused) break;
      }
      const left = await ledgerFor(audience).owedCount(rollup.key);
      return { ...(total ?? emptyResult(owed)), owed: left, total: owed };
    };
    return {
      issue: entry,
      mode: record ? 'smtp' : 'dry-run',
      via: describeRelays(relays),
      owed,
      subscribed: (await countByStatus(db)).subscribed,
      warnings,
      run,
      record: () => ledgerFor(audience).recordIssue(entry),
      close,
    };
  });
}

function sumResults(a: SendResult, b: SendResult): SendResult {
  return {
    ...b,
    sent: a.sent + b.sent,
    deferred: a.deferred + b.deferred,
    failed: a.failed + b.failed,
    bounced: a.bounced + b.bounced,
    skipped: a.skipped + b.skipped,
    heldBack: a.heldBack + b.heldBack,
    stopped: a.stopped || b.stopped,
    relaysOut: [...a.relaysOut, ...b.relaysOut],
    startedAt: a.startedAt,
  };
}

const emptyResult = (owed: number): SendResult => ({
  sent: 0,
  deferred: 0,
  failed: 0,
  bounced: 0,
  skipped: 0,
  total: owed,
  workers: 1,
  pass: 0,
  startedAt: Date.now(),
  owed,
  stopped: false,
  heldBack: 0,
  relaysOut: [],
});

/** What `gazette rollup` shows: the week's roll-up, whether its week is over, and how many weekly readers it is owed to. */
export interface RollupView {
  rollup: Rollup;
  complete: boolean;
  /** Weekly readers owed it now (those whose topics meet its issues', or who chose none). */
  owed: number;
}

/**
 * The roll-up of `week` (an ISO week, `2026-W48`), or of the last complete
 * week with an issue when none is named. Nothing is sent or written.
 */
export async function viewRollup(config: Config, week: string | undefined, now = new Date()): Promise<RollupView> {
  const issues = await sendableIssues(config, now);
  const rollup = week ? rollupOfWeek(week, issues, config) : completeRollups(issues, config, now)[0];
  if (!rollup) throw new GazetteError('NO_ISSUE', 'no complete week has an issue yet: there is no roll-up (name one with --week 2026-W48)');
  const store = await openStore(config.subscribers.database);
  try {
    const owed = rollup.issues.length ? await ledger(store.db, '', audienceOfRollup(rollup, config)).owedCount(rollup.key) : 0;
    return { rollup, complete: rollup.end <= now, owed };
  } finally {
    await store.close();
  }
}
