import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/index.js';
import { deliveries, gazetteAt, gazetteWith, sendSite } from '../../helpers/send.js';
import { gazette, gazetteProcess } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/**
 * A new author's first hour, as issue 20 walked it: mistakes that must not
 * pass quietly while sending, and finding the config from a subfolder.
 * Each runs against a real SMTP server in this process.
 */

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `gazette init` in a new folder, then the keys a user sets to send (all but the ones a test leaves). */
async function initSite(settings: string): Promise<{ dir: string; config: string }> {
  const parent = await mkdtemp(path.join(tmpdir(), 'gazette-first-hour-'));
  folders.push(parent);
  const dir = path.join(parent, 'my-digest');
  const init = await gazette('init', dir, '--timezone', 'UTC');
  expect(init.code, init.stderr).toBe(0);
  const config = path.join(dir, 'gazette.toml');
  const text = await readFile(config, 'utf8');
  await writeFile(config, text.replace('[email]\n', `[email]\nfrom = "My Digest <news@digest.example.org>"\npostal_address = "1 Main St"\n${settings}`));
  return { dir, config };
}

const issueFile = (title: string, date: string, draft = false) =>
  `+++\ntitle = ${JSON.stringify(title)}\ndate = ${date}\n${draft ? 'draft = true\n' : ''}+++\n\nBody of ${title}.\n`;

describe('sending: mistakes that must not pass quietly', () => {
  it('a typo in the SMTP section ([smpt], hots) stops send, naming it; nothing is written or mailed', async () => {
    smtp = await startSmtp();
    for (const typo of ['[smpt]\nhost = "127.0.0.1"\n', '[smtp]\nhots = "127.0.0.1"\n']) {
      const site = await sendSite(2, { extraConfig: typo });
      const run = await gazetteWith({}, 'send', '--yes', '--config', site.config);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        typo.startsWith('[smpt]') ? /\[smpt\]: unknown section \(did you mean \[smtp\]\?\)/ : /smtp\.hots: unknown key \(did you mean smtp\.host\?\)/,
      );
      expect(run.stdout).toBe('');
      await expect(readdir(path.join(site.dir, 'data', 'outbox'))).rejects.toThrow();
      expect(await deliveries(site.database)).toEqual([]);
    }
    expect(smtp.received).toEqual([]);
  });

  it('a host that does not resolve: one line naming the server and what to check, exit 1', async () => {
    const site = await sendSite(3);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: 'smtp://no-such-host.invalid:2525' }, 'send', '--yes', '--config', site.config);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^error: cannot send through smtp:\/\/no-such-host\.invalid:2525: the host name does not resolve \([^\n]*\); check smtp\.host and smtp\.port in gazette\.toml, or GAZETTE_SMTP_URL[^\n]*$/,
    );
    expect((await deliveries(site.database)).filter((d) => d.state === 'sent')).toEqual([]);
  });

  it("init's placeholders: send and send --to refuse, naming each key; a dry run only warns", async () => {
    smtp = await startSmtp();
    const { dir, config } = await initSite('');
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace('# public_url = "https://example.com/newsletter/"', 'public_url = "https://example.com/newsletter/"'),
    );
    await writeFile(path.join(dir, 'content', '2026-01-02-first.md'), issueFile('First', '2026-01-02T08:00:00Z'));
    expect((await gazette('subscribers', 'add', 'reader@example.org', '--config', config)).code).toBe(0);
    for (const args of [
      ['send', '--yes'],
      ['send', '--to', 'me@example.org'],
    ]) {
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, ...args, '--config', config);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('site.base_url is still a placeholder on example.com (as gazette init writes it)');
      expect(run.stderr).toContain('server.public_url is still a placeholder on example.com (as gazette init writes it)');
    }
    expect(smtp.received).toEqual([]);
    const dry = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--dry-run', '--config', config);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('warning: ');
    expect(dry.stderr).toContain('site.base_url is still a placeholder on example.com');
    // Set to the author's own: sent.
    const own = (await readFile(config, 'utf8'))
      .replace('base_url = "https://example.com/"', 'base_url = "https://digest.example.org/"')
      .replace('public_url = "https://example.com/newsletter/"', 'public_url = "https://digest.example.org/n/"');
    await writeFile(config, own);
    const sent = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', config);
    expect(sent.code, sent.stderr).toBe(0);
    expect(smtp.received.map((r) => r.to)).toEqual(['reader@example.org']);
  });

  it("init's sample issue is a draft: a fast first send mails nothing, and says why", async () => {
    smtp = await startSmtp();
    const { config } = await initSite('');
    await writeFile(
      config,
      (await readFile(config, 'utf8'))
        .replace('base_url = "https://example.com/"', 'base_url = "https://digest.example.org/"')
        .replace('# public_url = "https://example.com/newsletter/"', 'public_url = "https://digest.example.org/n/"'),
    );
    expect((await gazette('subscribers', 'add', 'reader@example.org', '--config', config)).code).toBe(0);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('there is no published issue to send');
    expect(smtp.received).toEqual([]);
  });

  it("an issue's audience is fixed when its send begins; readers who join later start with the next issue", async () => {
    smtp = await startSmtp();
    const site = await sendSite(2);
    const first = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(first.code, first.stderr).toBe(0);
    expect(smtp.received).toHaveLength(2);
    // Three readers imported days later; the next issue is still a draft.
    const csv = path.join(site.dir, 'later.csv');
    await writeFile(csv, 'email\nlate1@example.org\nlate2@example.org\nlate3@example.org\n');
    expect((await gazette('subscribers', 'import', csv, '--config', site.config)).code).toBe(0);
    await writeFile(path.join(site.dir, 'content', 'issue-two.md'), issueFile('Issue two', '2026-02-08T08:00:00+08:00', true));
    const again = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nobody is owed “Issue one”');
    expect(again.stderr).toContain('“Issue two” is newer than “Issue one” but a draft (remove its draft line to publish it), so it is not the one sent');
    expect(smtp.received).toHaveLength(2);
    // Asked for by slug, the draft is named as one.
    const draft = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--issue', 'issue-two', '--config', site.config);
    expect(draft.code).toBe(1);
    expect(draft.stderr).toContain('“Issue two” is a draft: remove its draft line to publish it, then send it');
    // Published: the next issue goes to all five.
    await writeFile(path.join(site.dir, 'content', 'issue-two.md'), issueFile('Issue two', '2026-02-08T08:00:00+08:00'));
    const next = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(next.code, next.stderr).toBe(0);
    expect(smtp.received).toHaveLength(7);
    expect(
      smtp.received
        .slice(2)
        .map((r) => r.to)
        .sort(),
    ).toEqual(['late1@example.org', 'late2@example.org', 'late3@example.org', 'sub0@example.org', 'sub1@example.org']);
  });

  it('a resumed send keeps its audience: owed readers are still mailed, a reader who joined meanwhile is not', async () => {
    smtp = await startSmtp({ rcpt: (to) => (to === 'sub1@example.org' ? { code: 451, message: '4.2.1 try later' } : undefined) });
    const site = await sendSite(3);
    const first = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(first.code).toBe(3);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(['sub0@example.org', 'sub2@example.org']);
    expect((await gazette('subscribers', 'add', 'joined@example.org', '--config', site.config)).code).toBe(0);
    await smtp.close();
    smtp = await startSmtp();
    const retry = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config);
    expect(retry.code, retry.stderr).toBe(0);
    expect(smtp.received.map((r) => r.to)).toEqual(['sub1@example.org']);
  });

  it('invite asks first (or takes --yes), says the list moved, and its text part has no button to press', async () => {
    smtp = await startSmtp();
    const site = await sendSite(0);
    const csv = path.join(site.dir, 'export.csv');
    await writeFile(csv, 'email,name,status\nann@example.org,Ann,subscribed\nbob@example.org,Bob,\ngone@example.org,,unsubscribed\n');
    // An export from another service, asked to opt in here: --status pending for every row but the opt-out.
    const imported = await gazette('subscribers', 'import', csv, '--status', 'pending', '--config', site.config);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('subscribers invite');
    expect((await gazette('subscribers', 'list', '--config', site.config)).stdout.split('\n').map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      'ann@example.org pending',
      'bob@example.org pending',
      'gone@example.org unsubscribed',
    ]);
    expect((await gazette('subscribers', 'import', csv, '--status', 'maybe', '--config', site.config)).stderr).toContain(
      '--status: "maybe" is not pending or subscribed',
    );
    // No terminal and no --yes: refused, nobody mailed.
    const refused = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--config', site.config);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to mail 2 pending subscribers a confirmation without --yes');
    // Asked on a terminal, and declined: nobody mailed, nobody marked.
    const terminal = { answer: 'n', questions: [] as string[] };
    const declined = await gazetteAt(terminal, { GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--config', site.config);
    expect(declined.code).toBe(1);
    expect(terminal.questions).toEqual([`Ask 2 pending subscribers to confirm, via ${smtp.url.replace(/\/$/, '')}? [y/N] `]);
    expect(smtp.received).toEqual([]);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--yes', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(['ann@example.org', 'bob@example.org']);
    const mail = smtp.received[0]!.mail;
    // The test site writes Chinese (site.language = "zh-CN").
    expect(mail.subject).toBe('请确认：你还想接收「Test Digest」吗？');
    expect(mail.text).toContain('「Test Digest」搬了新家');
    expect(mail.text).toContain('请打开下面的链接');
    expect(mail.text).not.toContain('按钮');
    expect(String(mail.html)).toContain('「Test Digest」搬了新家');
    // Each once: a second run asks nobody.
    const twice = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--yes', '--config', site.config);
    expect(twice.stdout).toContain('Nobody to ask');
    expect(smtp.received).toHaveLength(2);
  });

  it("invite in the author's own words (email.invite_message), and a dry run that marks nobody asked", async () => {
    smtp = await startSmtp();
    const site = await sendSite(0, { extraConfig: '' });
    await writeFile(
      site.config,
      (await readFile(site.config, 'utf8')).replace(
        '[email]\n',
        () => '[email]\ninvite_message = "You were on {site} at Substack. $& $1 <b>Confirm</b> to stay."\n',
      ),
    );
    const csv = path.join(site.dir, 'export.csv');
    await writeFile(csv, 'email\ncara@example.org\n');
    const imported = await gazette('subscribers', 'import', csv, '--status', 'pending', '--config', site.config);
    expect(imported.code, imported.stderr).toBe(0);
    const dry = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--dry-run', '--config', site.config);
    expect(dry.code, dry.stderr + dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/Dry run: wrote 1 confirmation to .*invitations\/; nobody was mailed or marked asked/);
    expect(smtp.received).toEqual([]);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'subscribers', 'invite', '--yes', '--config', site.config);
    expect(run.code, run.stderr).toBe(0);
    const mail = smtp.received[0]!.mail;
    // Inserted verbatim ($& stays), escaped in the HTML.
    expect(mail.text).toContain('You were on Test Digest at Substack. $& $1 <b>Confirm</b> to stay.');
    expect(String(mail.html)).toContain('$&amp; $1 &lt;b&gt;Confirm&lt;/b&gt; to stay.');
  });

  it('a confirmation from the form: its text part says to open the link, not to press a button', async () => {
    const { renderConfirmation } = await import('../../../src/email/index.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const site = await sendSite(0);
    const { config } = await loadConfig(site.config);
    const email = await renderConfirmation(config);
    expect(email.text).toContain('请打开下面的链接确认');
    expect(email.text).not.toContain('按钮');
    expect(email.html).toContain('请按下按钮确认');
    // And in English.
    const english = await renderConfirmation({ ...config, site: { ...config.site, language: 'en' } });
    expect(english.text).toContain('Open this link to confirm');
    expect(english.text).not.toMatch(/press|button/i);
    expect(english.html).toContain('Press the button to confirm');
  });
});

describe('reading status', () => {
  it('status: columns that line up on a terminal (a Chinese title too), TSV when piped, JSON when asked; the health last', async () => {
    smtp = await startSmtp();
    const site = await sendSite(3, { title: '技术日报 第一期' });
    expect((await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', site.config)).code).toBe(0);
    const out: string[] = [];
    const code = await main(['node', 'gazette', 'status', '--config', site.config], { out: (l) => out.push(l), err: () => undefined, terminal: true });
    expect(code).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toMatch(/^issue +sent +delivered +hard +soft +complaints +hard rate +complaint rate +deferred +failed +in flight +owed +title$/);
    expect(lines[1]).toMatch(/^issue-one +3 +3 +0 +0 +0 +0\.00% +0\.00% +0 +0 +0 +0 +技术日报 第一期$/);
    // Every column of numbers ends where its heading ends.
    for (const heading of ['sent', 'delivered', 'complaints', 'owed']) {
      const end = lines[0]!.indexOf(heading) + heading.length;
      expect(lines[1]![end - 1]).toMatch(/\d|%/);
      expect(lines[1]![end]).toBe(' ');
    }
    expect(lines.at(-1)).toMatch(/^List: 3 subscribed, 0 pending/);
    // Piped: tab-separated, as before.
    const piped = await gazetteWith({}, 'status', '--config', site.config);
    expect(piped.stdout.split('\n')[1]).toBe('issue-one\t3\t3\t0\t0\t0\t0.00%\t0.00%\t0\t0\t0\t0\t技术日报 第一期');
    const json = await gazetteWith({}, 'status', '--json', '--config', site.config);
    const parsed = JSON.parse(json.stdout) as { issues: Array<{ slug: string; sent: number; title: string }>; list: { subscribed: number } };
    expect(parsed.issues[0]).toMatchObject({ slug: 'issue-one', sent: 3, title: '技术日报 第一期' });
    expect(parsed.list.subscribed).toBe(3);
  });
});

describe('finding things', () => {
  it('every command finds gazette.toml in a parent folder; none found names the folder the search began in', async () => {
    const site = await sendSite(1);
    const sub = path.join(site.dir, 'content', 'deeper');
    await mkdir(sub, { recursive: true });
    const count = await gazetteProcess(['subscribers', 'count'], sub);
    expect(count.code, count.stderr).toBe(0);
    expect(count.stdout).toContain('1 subscribed');
    const built = await gazetteProcess(['build'], sub);
    expect(built.code, built.stderr).toBe(0);
    expect(await readdir(path.join(site.dir, 'out'))).toContain('rss.xml');
    const lonely = await mkdtemp(path.join(tmpdir(), 'gazette-no-config-'));
    folders.push(lonely);
    const none = await gazetteProcess(['status'], lonely);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(
      `error: no gazette.toml in ${lonely} or any folder above it: run it in your site's folder (gazette init makes one), or use --config PATH`,
    );
    // One in a folder above that belongs to another user (a shared /tmp) is not taken unasked.
    if (process.getuid?.() === 0) {
      const { chown } = await import('node:fs/promises');
      const shared = await mkdtemp(path.join(tmpdir(), 'gazette-shared-'));
      folders.push(shared);
      await writeFile(path.join(shared, 'gazette.toml'), '[site]\ntitle = "Planted"\nbase_url = "https://evil.example/"\n');
      await chown(path.join(shared, 'gazette.toml'), 65534, 65534);
      await mkdir(path.join(shared, 'mine'));
      const planted = await gazetteProcess(['status'], path.join(shared, 'mine'));
      expect(planted.code).toBe(1);
      expect(planted.stderr).toContain('gazette.toml belongs to another user, so it is not read unasked');
    }
    // --config is still read relative to where the command runs.
    const named = await gazetteProcess(['subscribers', 'count', '--config', '../../gazette.toml'], sub);
    expect(named.stdout).toContain('1 subscribed');
  });
});
