import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Config, need, placeholderProblems } from '../config/index.js';
import { createIssueCache, type Issue, loadIssues, topicsOfIssue } from '../content/index.js';
import { previewLinks, type RenderedEmail, renderEmails } from '../email/index.js';
import { GazetteError } from '../errors.js';
import { type Carrier, composeMessage, describeRelays, openRelays, outboxDir, type Relay, sendOne } from '../mail/index.js';
import {
  type Audience,
  acquireSendLock,
  checkEmail,
  countByStatus,
  ledger,
  lookalikeIssue,
  openStore,
  owedByTopic,
  type SentIssue,
  type Store,
} from '../store/index.js';
import { loadSecret } from '../tokens/index.js';
import { rfc3339 } from '../util/time.js';
import { type Progress, type SendResult, sendIssue } from './pipeline.js';
import { readOnlyStore, type SendStore } from './store.js';

/**
 * One run of `gazette send`, prepared: the issue and its email, the
 * carrier, the database and the send lock. `run` sends; `close` releases
 * everything (call it whatever happens).
 */
export interface Campaign {
  issue: Issue;
  /** `smtp`: delivering and keeping the ledger; `dry-run`: writing the outbox, ledger untouched. */
  mode: 'smtp' | 'dry-run';
  /** Where messages go: `smtps://host:465` (each relay, named, when there are several), or the outbox folder (absolute). */
  via: string;
  /** Subscribers owed the issue now. */
  owed: number;
  /** With `[topics]`: of those, how many by each topic the issue covers (`''`: readers of everything). */
  byTopic?: Record<string, number>;
  /** Subscribed addresses in the list. */
  subscribed: number;
  /**
   * An issue already sent under another key that looks like this one (same
   * slug or title): its `id` or slug changed, and sending would mail it again.
   */
  lookalike?: SentIssue;
  /** Problems worth a look that did not stop anything (MJML's soft validation). */
  warnings: string[];
  run(options: { stop: { requested: boolean }; onProgress?: (p: Progress) => void }): Promise<SendResult>;
  /** Record the issue as begun though nobody is owed it (`send --pending` then counts it sent). */
  record?(): Promise<void>;
  close(): Promise<void>;
}

export interface SendOptions {
  /** The issue's slug; default the newest published issue. */
  issue?: string | undefined;
  /** Write the outbox instead of sending, even with SMTP configured. */
  dryRun?: boolean | undefined;
}

/** Whether an issue may be mailed now: published (not a draft, its date passed) and not held back by `send_at`. */
export const sendable = (issue: Issue, now: Date): boolean => !issue.draft && issue.date <= now && !(issue.sendAt && issue.sendAt > now);

function pickIssue(issues: Issue[], slug: string | undefined): Issue {
  if (issues.length === 0) throw new GazetteError('NO_ISSUE', 'there is no published issue to send');
  if (!slug) return issues[0]!;
  const issue = issues.find((i) => i.slug === slug);
  if (!issue) {
    const known = issues
      .slice(0, 5)
      .map((i) => i.slug)
      .join(', ');
    throw new GazetteError('NO_ISSUE', `no published issue has the slug ${JSON.stringify(slug)} (newest: ${known})`);
  }
  return issue;
}

/** The issue to send and its email, rendered (or taken from the build cache). */
async function issueAndEmail(
  config: Config,
  slug: string | undefined,
  dryRun: boolean | undefined,
): Promise<{ issue: Issue; email: RenderedEmail; warnings: string[] }> {
  const warnings: string[] = [];
  // Checked as the config is read (config/uses.ts, NEEDS); again here for callers that load it otherwise.
  need(config, 'email.from');
  need(config, 'server.public_url');
  // A dry run mails nobody: a placeholder is only worth a warning there.
  if (dryRun) warnings.push(...placeholderProblems(config.placeholders).map((p) => `${config.file}: ${p}`));
  else need(config, 'no placeholders');
  // Drafts and future issues are read too, to say why one of them cannot be sent.
  const all = (await loadIssues(config, { cache: createIssueCache(config), drafts: true, future: true })).issues;
  const now = new Date();
  const unpublished = slug ? all.find((i) => i.slug === slug && (i.draft || i.date > now)) : undefined;
  const held = slug ? all.find((i) => i.slug === slug && !i.draft && i.date <= now && i.sendAt && i.sendAt > now) : undefined;
  if (held) {
    throw new GazetteError(
      'NO_ISSUE',
      `“${held.title}” is held until ${rfc3339(held.sendAt!, config.site.timezone)} (send_at): \`gazette send --pending\` sends it then; remove send_at to send it now`,
      { file: held.file },
    );
  }
  if (unpublished) {
    throw new GazetteError(
      'NO_ISSUE',
      unpublished.draft
        ? `“${unpublished.title}” is a draft: remove its draft line to publish it, then send it`
        : `“${unpublished.title}” is dated ${rfc3339(unpublished.date, config.site.timezone)}, in the future: it is not published until then (send it then, or change its date)`,
      { file: unpublished.file },
    );
  }
  const issue = pickIssue(
    all.filter((i) => sendable(i, now)),
    slug,
  );
  // A plain send takes the newest published issue: say so when a newer one is waiting, unpublished.
  if (!slug) {
    for (const newer of all.filter((i) => !sendable(i, now) && i.date > issue.date).slice(0, 3)) {
      const why = newer.draft
        ? 'a draft (remove its draft line to publish it)'
        : newer.date > now
          ? `dated in the future (${rfc3339(newer.date, config.site.timezone)})`
          : `held until ${rfc3339(newer.sendAt!, config.site.timezone)} (send_at)`;
      warnings.push(`${newer.file}: “${newer.title}” is newer than “${issue.title}” but ${why}, so it is not the one sent`);
    }
  }
  const email = (await renderEmails(config, [issue], { warn: (w) => warnings.push(w), prune: false })).get(issue)!;
  return { issue, email, warnings };
}

/** Who an issue is for: every reader of each issue whose topics meet the issue's (or who chose none). */
export function audienceOf(issue: Issue, config: Pick<Config, 'topics'>): Audience {
  return { edition: 'daily', topics: config.topics.length ? topicsOfIssue(issue, config.topics) : undefined };
}

/** What every campaign opens (an issue's, a roll-up's), and closes whatever happens. */
export interface CampaignBase {
  relays: Relay[];
  store: Store;
  /** Delivering and keeping the ledger (SMTP), or writing the outbox (a dry run, the ledger untouched). */
  record: boolean;
  /** The ledger of this worker for an audience (read-only on a dry run). */
  ledgerFor(audience: Audience): SendStore;
  close(): Promise<void>;
}

/**
 * Open a campaign's relays (or the outbox `outboxName` on a dry run) and
 * its list, taking the send lock on SQLite (on PostgreSQL every send of an
 * issue joins the campaign as a worker), then `use` them; everything is
 * closed if `use` throws.
 */
export async function withCampaignBase<T>(
  config: Config,
  dryRun: boolean | undefined,
  outboxName: string,
  use: (base: CampaignBase) => Promise<T>,
): Promise<T> {
  const relays: Relay[] = await openRelays(config, { dryRun, outboxDir: outboxDir(config, outboxName) });
  let store: Store | undefined;
  let release: (() => Promise<void>) | undefined;
  const close = async () => {
    for (const relay of relays) relay.carrier.close();
    await release?.();
    await store?.close();
  };
  try {
    store = await openStore(config.subscribers.database);
    if (store.dialect === 'sqlite') release = await acquireSendLock(store.db, store.where);
    const db = store.db;
    const record = relays[0]!.carrier.kind === 'smtp';
    const worker = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const ledgerFor = (audience: Audience): SendStore => (record ? ledger(db, worker, audience) : readOnlyStore(ledger(db, worker, audience)));
    return await use({ relays, store, record, ledgerFor, close });
  } catch (err) {
    await close();
    throw err;
  }
}

/** Get everything ready for a send; nothing is mailed until `run`. */
export async function prepareSend(config: Config, options: SendOptions): Promise<Campaign> {
  const { issue, email, warnings } = await issueAndEmail(config, options.issue, options.dryRun);
  const secret = loadSecret(config);
  return withCampaignBase(config, options.dryRun, issue.slug, async ({ relays, store, record, ledgerFor, close }) => {
    const audience = audienceOf(issue, config);
    const ledgerOf = ledgerFor(audience);
    const owed = await ledgerOf.owedCount(issue.key);
    return {
      issue,
      mode: record ? 'smtp' : 'dry-run',
      via: describeRelays(relays),
      owed,
      ...(audience.topics ? { byTopic: await owedByTopic(store.db, issue.key, audience) } : {}),
      subscribed: (await countByStatus(store.db)).subscribed,
      ...(record ? { lookalike: await lookalikeIssue(store.db, issue) } : {}),
      warnings,
      run: ({ stop, onProgress }) => sendIssue({ config, store: ledgerOf, issue, email, relays, secret, stop, owed, ...(onProgress ? { onProgress } : {}) }),
      record: () => ledgerOf.recordIssue(issue),
      close,
    };
  });
}

/** `send --to`: one copy of the issue to one address, the ledger untouched. */
export async function sendTestCopy(
  config: Config,
  options: SendOptions & { to: string },
): Promise<{ issue: Issue; to: string; via: string; kind: Carrier['kind']; warnings: string[] }> {
  const checked = checkEmail(options.to);
  if ('reason' in checked) throw new GazetteError('ADDRESS', `--to: ${checked.reason}`);
  const { issue, email, warnings } = await issueAndEmail(config, options.issue, options.dryRun);
  const message = composeMessage({ config, email, to: { email: checked.email, name: '' }, ...previewLinks(config) });
  const sent = await sendOne(config, { dryRun: options.dryRun, outboxDir: outboxDir(config, issue.slug) }, message);
  return { issue, to: checked.email, via: sent.via, kind: sent.kind, warnings };
}
