import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, need } from '../../../src/config/index.js';
import { gazette, makeSite } from '../../helpers/site.js';

const issue = '+++\ntitle = "x"\ndate = 2026-01-01\n+++\nbody\n';

describe('gazette.toml', () => {
  it('reports every missing or mistyped key in one run, with its path and the file', async () => {
    const dir = await makeSite(
      { 'content/a.md': issue },
      '[site]\ndescription = 3\nlanguage = "not a language!"\ntimezone = "Mars/Base"\n[feeds]\nlimit = "ten"\n',
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n');
    for (const key of [
      'site.title: required',
      'site.base_url: required',
      'site.description: expected a string',
      'site.language:',
      'site.timezone:',
      'feeds.limit: expected a whole number',
    ]) {
      expect(
        lines.some((l) => l.startsWith('error: ') && l.includes('gazette.toml: ') && l.includes(key)),
        key,
      ).toBe(true);
    }
  });

  it('an unknown key stops the commands that read its section, and is a warning for the others', async () => {
    const extra = '[extra]\nx = 1\n[smtp]\nhots = "mail.example.org"\n';
    const dir = await makeSite({ 'content/a.md': issue }, `[site]\ntitle = "T"\nbase_url = "https://e.example/"\n${extra}`);
    const config = path.join(dir, 'gazette.toml');
    // build reads no [smtp]: warned of, and built.
    let run = await gazette('build', '--config', config);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: ');
    expect(run.stderr).toContain('smtp.hots: unknown key, ignored (did you mean host?)');
    expect(run.stderr).toContain('extra: unknown key');
    // send reads [smtp]: stopped, naming the key.
    run = await gazette('send', '--yes', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('smtp.hots: unknown key (did you mean smtp.host?); `gazette send` reads [smtp], so it stops rather than ignore it');
    expect(run.stderr).not.toContain('extra');
    // A key unknown in [site], which build reads: stopped too.
    await writeFile(config, `[site]\ntitle = "T"\nbase_url = "https://e.example/"\ncolour = "blue"\n`);
    run = await gazette('build', '--config', config);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('site.colour: unknown key; `gazette build` reads [site]');
  });

  it('rejects a relative base_url and a permalink without {slug}', async () => {
    const dir = await makeSite({}, '[site]\ntitle = "T"\nbase_url = "/blog/"\npermalink = "/posts/{name}/"\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('site.base_url: expected an absolute URL');
    expect(run.stderr).toContain('site.permalink: must contain {slug}');
  });

  it('names the line of a TOML syntax error', async () => {
    const dir = await makeSite({}, '[site]\ntitle = "T"\nbase_url = https://x\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*gazette\.toml:3:\d+: invalid TOML: /);
  });

  it('says when the config file does not exist', async () => {
    const run = await gazette('build', '--config', '/nonexistent/gazette.toml');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: /nonexistent/gazette.toml: config file not found (use --config PATH)');
  });

  it('refuses an output folder that would swallow the site', async () => {
    const dir = await makeSite({ 'content/a.md': issue }, '[site]\ntitle = "T"\nbase_url = "https://e.example/"\n[build]\nout = "."\n');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('build.out');
  });

  it('resolves paths relative to the config file, not the working folder', async () => {
    const dir = await makeSite(
      { 'digests/a.md': issue },
      '[site]\ntitle = "T"\nbase_url = "https://e.example/"\n[content]\ndir = "digests"\n[build]\nout = "public"\n',
    );
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Built 1 issue .*public/);
  });
});

describe('what each command needs (NEEDS), checked as the config is read', () => {
  const STRONG = 'a-strong-secret-of-32-characters';
  /** A config with email.from, public_url and SMTP in the file; `extra` appended. */
  const site = async (extra = '') =>
    path.join(
      await makeSite(
        {},
        `[site]\ntitle = "T"\nbase_url = "https://digest.example.org/"\n[email]\nfrom = "T <t@digest.example.org>"\npostal_address = "1 Street"\n[server]\npublic_url = "https://digest.example.org/news/"\n[smtp]\nhost = "smtp.digest.example.org"\n${extra}`,
      ),
      'gazette.toml',
    );
  const failure = async (work: Promise<unknown>) =>
    work.then(
      () => 'nothing thrown',
      (err: { code?: string; message: string }) => `${err.code}: ${err.message}`,
    );

  it('the environment is read for the sections a command reads, and only then', async () => {
    const file = await site();
    const env = { GAZETTE_SMTP_URL: 'smtps://u:p%40ss@relay.example.net', GAZETTE_SMTP_PASSWORD: 'unused', GAZETTE_SECRET: STRONG };
    const { config } = await loadConfig(file, 'send', { env });
    expect(config.smtp).toEqual([
      {
        name: 'relay.example.net',
        host: 'relay.example.net',
        port: 465,
        secure: true,
        user: 'u',
        password: 'p@ss',
        tlsVerify: true,
        allowPlainAuth: false,
        weight: 1,
        rateLimit: 0,
        dailyLimit: 0,
      },
    ]);
    expect(config.tokenSecret).toBe(STRONG);
    // build reads neither [smtp] nor any secret: a broken SMTP URL or a weak secret is not its business.
    const built = await loadConfig(file, 'build', { env: { GAZETTE_SMTP_URL: 'http://x', GAZETTE_SECRET: 'weak' } });
    expect(built.config.smtp).toEqual([]);
    expect(built.config.tokenSecret).toBeUndefined();
    expect(await failure(loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'http://x' } }))).toMatch(/^SMTP_CONFIG: GAZETTE_SMTP_URL must start with smtp/);
    expect(await failure(loadConfig(file, 'status', { env: { GAZETTE_SECRET: 'weak' } }))).toBe('nothing thrown');
    // A dry run mails nobody, and only bounces fetch reads the mailbox: neither trips on what it does not use.
    expect(await failure(loadConfig(file, 'send --dry-run', { env: { GAZETTE_SMTP_URL: 'http://x', GAZETTE_BOUNCES_IMAP_URL: 'http://x' } }))).toBe(
      'nothing thrown',
    );
    expect(await failure(loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'smtp://127.0.0.1:9', GAZETTE_BOUNCES_IMAP_URL: 'http://x' } }))).toBe(
      'nothing thrown',
    );
    expect(await failure(loadConfig(file, 'bounces fetch', { env: { GAZETTE_BOUNCES_IMAP_URL: 'http://x' } }))).toMatch(
      /^CONFIG: GAZETTE_BOUNCES_IMAP_URL must start with imaps/,
    );
    for (const use of ['send', 'serve', 'invite', 'bounces import'] as const)
      expect(await failure(loadConfig(file, use, { env: { GAZETTE_SECRET: 'weak' } })), use).toMatch(/^SECRET: GAZETTE_SECRET is too weak/);
    // [smtp] in the file, its password from the environment.
    expect((await loadConfig(file, 'send', { env: { GAZETTE_SMTP_PASSWORD: 'pw' } })).config.smtp).toMatchObject([
      {
        name: 'smtp.digest.example.org',
        host: 'smtp.digest.example.org',
        port: 587,
        password: 'pw',
      },
    ]);
  });

  it('[[smtp]] lists several relays, each named, with its own password, weight and limits', async () => {
    const relays = (text: string) =>
      makeSite(
        {},
        `[site]\ntitle = "T"\nbase_url = "https://digest.example.org/"\n[email]\nfrom = "T <t@digest.example.org>"\n[server]\npublic_url = "https://digest.example.org/news/"\n${text}`,
      ).then((dir) => path.join(dir, 'gazette.toml'));
    const file = await relays(
      '[[smtp]]\nname = "main-relay"\nhost = "a.example.net"\nuser = "u"\nweight = 3\nrate_limit = 20\ndaily_limit = 50000\n' +
        '[[smtp]]\nname = "spare"\nurl = "smtps://v@b.example.net"\n',
    );
    const env = { GAZETTE_SMTP_PASSWORD_MAIN_RELAY: 'pa', GAZETTE_SMTP_PASSWORD_SPARE: 'pb', GAZETTE_SECRET: STRONG };
    const { config } = await loadConfig(file, 'send', { env });
    expect(config.smtp).toEqual([
      {
        name: 'main-relay',
        host: 'a.example.net',
        port: 587,
        secure: false,
        user: 'u',
        password: 'pa',
        tlsVerify: true,
        allowPlainAuth: false,
        weight: 3,
        rateLimit: 20,
        dailyLimit: 50000,
      },
      {
        name: 'spare',
        host: 'b.example.net',
        port: 465,
        secure: true,
        user: 'v',
        password: 'pb',
        tlsVerify: true,
        allowPlainAuth: false,
        weight: 1,
        rateLimit: 0,
        dailyLimit: 0,
      },
    ]);
    // One password for several relays is refused rather than sent to each; so is one URL for the whole list.
    expect(await failure(loadConfig(file, 'send', { env: { GAZETTE_SMTP_PASSWORD: 'p', GAZETTE_SECRET: STRONG } }))).toMatch(
      /^SMTP_CONFIG: GAZETTE_SMTP_PASSWORD is set, but gazette.toml lists 2 relays: give each its own, GAZETTE_SMTP_PASSWORD_MAIN_RELAY, GAZETTE_SMTP_PASSWORD_SPARE$/,
    );
    expect(await failure(loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'smtp://c.example.net', GAZETTE_SECRET: STRONG } }))).toMatch(
      /^SMTP_CONFIG: GAZETTE_SMTP_URL names one relay, but gazette.toml lists 2/,
    );
    // Every problem of the list at once, each naming its table.
    const bad = await relays(
      '[[smtp]]\nhost = "a.example.net"\nweight = 0\n[[smtp]]\nname = "b"\nurl = "smtp://u:secret@b.example.net"\n[[smtp]]\nname = "B"\nhost = "c.example.net"\n[[smtp]]\nname = "d"\n',
    );
    const problemsOf = (file: string) =>
      loadConfig(file, 'send', { env: {} }).then(
        () => 'nothing thrown',
        (err: { problems: Array<{ message: string }> }) => err.problems.map((p) => p.message).join('\n'),
      );
    const problems = await problemsOf(bad);
    expect(problems).toContain('smtp[1].weight: must be more than 0, got 0');
    expect(problems).toContain('smtp[2].url: must not hold a password');
    expect(problems).not.toContain('secret@');
    const named = await relays(
      '[[smtp]]\nhost = "a.example.net"\n[[smtp]]\nname = "b"\nhost = "b.example.net"\n[[smtp]]\nname = "B"\nhost = "c.example.net"\n[[smtp]]\nname = "d"\n',
    );
    expect(await failure(loadConfig(named, 'send', { env: {} }))).toBe(
      `CONFIG: smtp[1]: several relays each need a name (their passwords and the ledger go by it); smtp[3]: the name "B" is taken by smtp[2] (names differing only in case, or "-" and "_", share a password variable); smtp[4]: set host (or url)`,
    );
    expect(await problemsOf(path.join(await makeSite({}, 'smtp = 3\n[site]\ntitle = "T"\nbase_url = "https://digest.example.org/"\n'), 'gazette.toml'))).toBe(
      'smtp: expected a table ([smtp]) or a list of them ([[smtp]]), got number 3',
    );
  });

  it('send and invite need SMTP unless they only write files; all settings missing are named in one line', async () => {
    const bare = path.join(await makeSite({}, '[site]\ntitle = "T"\nbase_url = "https://digest.example.org/"\n'), 'gazette.toml');
    expect(await failure(loadConfig(bare, 'send', { env: {} }))).toBe(
      'CONFIG: email.from is not set: the sender address, e.g. "News <news@example.com>"; server.public_url is not set: where readers reach gazette serve; the unsubscribe and confirmation links point there',
    );
    const file = await site();
    const { readFile } = await import('node:fs/promises');
    await writeFile(file, (await readFile(file, 'utf8')).replace('[smtp]\nhost = "smtp.digest.example.org"\n', ''));
    for (const use of ['send', 'invite'] as const)
      expect(await failure(loadConfig(file, use, { env: {} })), use).toMatch(/^SMTP_CONFIG: no SMTP server is configured/);
    for (const use of ['send --dry-run', 'invite --dry-run', 'build', 'status'] as const)
      expect(await failure(loadConfig(file, use, { env: {} })), use).toBe('nothing thrown');
    // A placeholder stops send, not a dry run.
    await writeFile(file, (await readFile(file, 'utf8')).replace('https://digest.example.org/news/', 'https://example.com/news/'));
    expect(await failure(loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'smtp://127.0.0.1:9' } }))).toMatch(
      /^CONFIG: server\.public_url is still a placeholder/,
    );
    expect(await failure(loadConfig(file, 'send --dry-run', { env: {} }))).toBe('nothing thrown');
  });

  it('bounces fetch needs a mailbox with its password; serve needs the secret of each webhook it turns on', async () => {
    const file = await site('[bounces]\nimap_url = "imaps://bounces@mail.digest.example.org/INBOX"\n[webhooks]\npostmark = true\nmailgun = true\n');
    expect(await failure(loadConfig(file, 'bounces fetch', { env: {} }))).toBe(
      'CONFIG: no password for bounces@mail.digest.example.org: set GAZETTE_BOUNCES_IMAP_PASSWORD',
    );
    expect(await failure(loadConfig(file, 'bounces import', { env: {} }))).toBe('nothing thrown');
    const { config } = await loadConfig(file, 'bounces fetch', { env: { GAZETTE_BOUNCES_IMAP_PASSWORD: 'pw' } });
    expect(config.bounces.imap).toEqual({
      host: 'mail.digest.example.org',
      port: 993,
      secure: true,
      user: 'bounces',
      password: 'pw',
      mailbox: 'INBOX',
      tlsVerify: true,
    });
    const none = await site();
    expect(await failure(loadConfig(none, 'bounces fetch', { env: {} }))).toMatch(/^CONFIG: no mailbox to read: set \[bounces\] imap_url/);

    const postmark = 'hooks:a-password-of-24-chars-xyz';
    const mailgun = 'key-0123456789abcdef';
    expect(await failure(loadConfig(file, 'serve', { env: { GAZETTE_MAILGUN_SIGNING_KEY: mailgun } }))).toMatch(/^SECRET: webhooks\.postmark is on/);
    expect(
      await failure(loadConfig(file, 'serve', { env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: 'hooks:aaaaaaaaaaaaaaaaaaaa', GAZETTE_MAILGUN_SIGNING_KEY: mailgun } })),
    ).toMatch(/^SECRET: webhooks\.postmark is on/);
    expect(await failure(loadConfig(file, 'serve', { env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: postmark } }))).toMatch(/^SECRET: webhooks\.mailgun is on/);
    const served = await loadConfig(file, 'serve', { env: { GAZETTE_POSTMARK_WEBHOOK_AUTH: postmark, GAZETTE_MAILGUN_SIGNING_KEY: ` ${mailgun} ` } });
    expect(need(served.config, 'webhook secrets')).toEqual({ postmark, mailgun });
    // Commands that do not serve webhooks do not need their secrets.
    expect(await failure(loadConfig(file, 'send', { env: {} }))).toBe('nothing thrown');
  });
});
