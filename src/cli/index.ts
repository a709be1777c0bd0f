import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { printable } from '../util/text.js';
import { type Io, processIo, reportError } from './report.js';
import type { SendEnv } from './send.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const CONFIG_HELP = 'site config file (default: gazette.toml in this folder or the nearest one above); paths in it are relative to its folder';

// Commands are loaded when they run (each a chunk of the bundle): `gazette subscribers count` need not load MJML or Markdown.
const build = () => import('./build.js');
const subscribers = () => import('./subscribers.js');
const send = () => import('./send.js');
const status = () => import('./status.js');
const rollup = () => import('./rollup.js');
const serve = () => import('./serve.js');
const author = () => import('./author.js');
const preview = () => import('./preview.js');
const bounces = () => import('./bounces.js');
const db = () => import('./db.js');

function program(io: Io, setCode: (code: number) => void, sendEnv: SendEnv | undefined): Command {
  /** The environment every command reads its config with (tests give their own). */
  const env = sendEnv?.env ?? process.env;
  const root = new Command('gazette')
    .description('Publish a Markdown digest as RSS, Atom and JSON feeds, and as email.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const withConfig = (cmd: Command) => cmd.addOption(new Option('-c, --config <path>', CONFIG_HELP)).exitOverride();

  root
    .command('init')
    .argument('[dir]', 'folder of the new site (made if missing; default: this one)')
    .description('start a newsletter of your own: gazette.toml, an example issue, the email templates, .gitignore (never overwrites)')
    .option('--title <title>', "the newsletter's name (default: the folder's name)")
    .option('--language <tag>', 'language of the issues, e.g. en, zh-CN, zh-TW, ja', 'en')
    .option('--timezone <zone>', "IANA time zone for dates (default: this machine's)")
    .exitOverride()
    .action(async (dir, flags) => setCode(await (await author()).initCommand(dir, flags, io)));

  withConfig(root.command('new').argument('<title>', "the issue's title"))
    .description('start an issue: content/<date>-<slug>.md with front matter, as a draft (never overwrites)')
    .option('--slug <slug>', 'the URL segment (default: from a Latin title; the date for a CJK one)')
    .option('--date <date>', 'its date, e.g. 2026-11-20 or 2026-11-20T08:00 (default: now), in site.timezone')
    .action(async (title, flags) => setCode(await (await author()).newCommand(title, flags, io)));

  withConfig(root.command('build'))
    .description('read content/, write the feeds, pages and emails to out/ (replaced whole, or left untouched on error)')
    .option('--drafts', 'include issues marked draft = true', false)
    .option('--future', 'include issues dated in the future', false)
    .action(async (flags) => setCode(await (await build()).buildCommand(flags, io)));

  const subs = root.command('subscribers').description('manage the subscriber list (SQLite, subscribers.database)');
  withConfig(subs.command('add').argument('<email>'))
    .description('subscribe an address')
    .option('--name <name>', "the subscriber's name")
    .option('--force', 'subscribe again an address that unsubscribed or bounced (only with their consent)', false)
    .option('--topic <key>', 'a topic of [topics] the reader chose (repeat it for several; none: everything)', (key: string, keys: string[] = []) => [
      ...keys,
      key,
    ])
    .option('--frequency <how>', 'daily (every issue, the default) or weekly (the roll-up only)')
    .action(async (email, flags) => setCode(await (await subscribers()).addCommand(email, flags, io, env)));
  withConfig(subs.command('remove').argument('<email>'))
    .description('unsubscribe an address (the record is kept, so no import subscribes it again)')
    .action(async (email, flags) => setCode(await (await subscribers()).removeCommand(email, flags, io, env)));
  withConfig(subs.command('list'))
    .description('list subscribers: email, status, name, date added, topics, frequency (tab-separated)')
    .option('--status <status>', 'only this status: pending, subscribed, unsubscribed or bounced')
    .action(async (flags) => setCode(await (await subscribers()).listCommand(flags, io, env)));
  withConfig(subs.command('count'))
    .description('count subscribers by status')
    .action(async (flags) => setCode(await (await subscribers()).countCommand(flags, io, env)));
  withConfig(subs.command('import').argument('<file.csv>'))
    .description('import a CSV with a header row: email, and optionally name and status')
    .option(
      '--status <status>',
      "pending (then ask them with `subscribers invite`) or subscribed: the state of every row that is not an opt-out (default: the row's status column, else subscribed)",
    )
    .action(async (file, flags) => setCode(await (await subscribers()).importCommand(file, flags, io, env)));
  withConfig(subs.command('invite'))
    .description('mail a confirmation to every pending subscriber never asked (an imported list asked to opt in); each once, resumable')
    .option('-y, --yes', 'do not ask for confirmation (required when standard input is not a terminal)', false)
    .option('--dry-run', 'write the confirmations to data/outbox/invitations/ instead of mailing them; nobody is marked asked', false)
    .action(async (flags) => setCode(await (await subscribers()).inviteCommand(flags, io, sendEnv ?? (await send()).processSendEnv)));
  withConfig(subs.command('restore'))
    .description('undo bounces recorded since a time (a server refusal mistaken for dead addresses): subscribe them again')
    .requiredOption('--bounced-since <time>', 'restore subscribers marked bounced at or after this time (2026-11-20 or 2026-11-20T08:00, site time zone)')
    .action(async (flags) => setCode(await (await subscribers()).restoreCommand(flags, io, env)));
  withConfig(subs.command('export'))
    .description('write every subscriber as CSV to standard output')
    .action(async (flags) => setCode(await (await subscribers()).exportCommand(flags, io, env)));

  withConfig(root.command('send'))
    .description('send an issue to every subscriber still owed it (once each, across crashes and retries)')
    .option('--issue <slug>', 'the issue to send (default: the newest published one)')
    .option('--latest', 'send the newest published issue (the default)', false)
    .option('-y, --yes', 'do not ask for confirmation (required when standard input is not a terminal)', false)
    .option('--dry-run', 'write the messages to the outbox (data/outbox/<slug>/, beside the database) instead of sending; the ledger is unchanged', false)
    .option('--to <address>', 'send one test copy to this address; the ledger is unchanged')
    .option('--new-issue', 'send even though an issue with the same slug or title was sent under another id', false)
    .option('--rollup <week>', 'send the weekly roll-up of this ISO week (2026-W48) to the weekly readers')
    .option('--pending', 'send every published issue newer than the last one sent, oldest first (on a new list, the newest only); safe to run from cron', false)
    .action(async (flags) => {
      const m = await send();
      setCode(await m.sendCommand(flags, io, sendEnv ?? m.processSendEnv));
    });

  withConfig(root.command('rollup'))
    .description("show a week's roll-up (the last complete week's by default): its issues, its page, who it goes to; nothing is sent")
    .option('--week <week>', 'the ISO week, e.g. 2026-W48')
    .action(async (flags) => setCode(await (await rollup()).rollupCommand(flags, io, env)));

  withConfig(root.command('preview'))
    .description('build for local viewing and serve it, rebuilt and reloaded on every change, with each email beside its page (out/ is not touched)')
    .option('--port <port>', 'port to listen on', '4000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--drafts', 'include issues marked draft = true', false)
    .option('--future', 'include issues dated in the future', false)
    .action(async (flags) => setCode(await (await preview()).previewCommand(flags, io)));

  withConfig(root.command('serve'))
    .description("the reader's side: subscribe with double opt-in, confirm, one-click unsubscribe, under server.public_url's path")
    .option('--port <port>', 'port to listen on', '8080')
    .option('--host <host>', 'address to listen on (behind a reverse proxy, keep 127.0.0.1)', '127.0.0.1')
    .action(async (flags) => setCode(await (await serve()).serveCommand(flags, io, env)));

  const reports = root.command('bounces').description('bounces and complaints that come back: delivery reports (DSN), spam complaints (ARF), failure notices');
  withConfig(reports.command('import').argument('[files...]', '.eml or mbox files; - or none: standard input (an MTA may pipe each report in)'))
    .description('apply the reports in these messages: hard bounces and complaints stop mail to the subscriber; other messages are ignored')
    .option('--recipient <address>', 'the envelope recipient the MTA delivered to (in Postfix, the original_recipient macro), naming the delivery')
    .action(async (files, flags) => setCode(await (await bounces()).importCommand(files, flags, io, sendEnv?.env ?? process.env)));
  withConfig(reports.command('fetch'))
    .description(
      'read the unseen messages of the bounce mailbox over IMAP ([bounces] imap_url), apply the reports and move them to processed_folder; others stay unread',
    )
    .action(async (flags) => setCode(await (await bounces()).fetchCommand(flags, io, sendEnv?.env ?? process.env)));

  withConfig(root.command('status'))
    .description('per issue sent: delivered, bounced (hard, soft), complaints, and their rates; then the list as a whole')
    .option('--issue <slug>', 'only this issue')
    .option('--json', 'print it as JSON, for programs', false)
    .option('--tsv', 'print tab-separated values (the default when standard output is not a terminal)', false)
    .action(async (flags) => setCode(await (await status()).statusCommand(flags, io, env)));

  const database = root.command('db').description('the subscriber list’s database');
  withConfig(database.command('copy'))
    .description('copy the SQLite list (subscribers.database) whole into a new, empty PostgreSQL database: subscribers, ledger, reports')
    .option('--to <url>', 'the PostgreSQL database, postgres://user@host:5432/name (default: GAZETTE_DATABASE_URL; a password may come from PGPASSWORD)')
    .action(async (flags) => setCode(await (await db()).copyCommand(flags, io, env)));

  return root;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[], given: Io = processIo, sendEnv?: SendEnv): Promise<number> {
  // Whatever a command prints may hold values from outside (a subscriber's name, a server's reply, a
  // report's text): nothing reaches the terminal or the log that it would obey rather than show.
  const io: Io = { ...given, out: (line) => given.out(printable(line)), err: (line) => given.err(printable(line)) };
  let code = 0;
  try {
    await program(io, (c) => (code = c), sendEnv).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    return reportError(err, io);
  }
}
