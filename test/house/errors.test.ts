import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/index.js';
import { safeJoin } from '../../src/build/output.js';
import { reportError } from '../../src/cli/report.js';
import { loadConfig } from '../../src/config/index.js';
import { loadIssues } from '../../src/content/index.js';
import { compileTemplate } from '../../src/email/template.js';
import { ERROR_CODES, type ErrorCode, EXIT, exitCodeOf, fileError, GazetteError, isGazetteError } from '../../src/errors.js';
import { prepareSend, sendTestCopy } from '../../src/send/index.js';
import { openDatabase } from '../../src/store/db.js';
import { acquireSendLock, addSubscriber, importFile, removeSubscriber, withDatabase } from '../../src/store/index.js';
import { loadSecret } from '../../src/tokens/index.js';
import { holdLock, SECRET, sendConfig } from '../helpers/send.js';
import { gazette, makeSite } from '../helpers/site.js';

/** The code of the GazetteError that `work` throws (or rejects with). */
async function codeOf(work: () => unknown): Promise<ErrorCode | string> {
  try {
    await work();
  } catch (err) {
    return isGazetteError(err) ? err.code : `not a GazetteError: ${String(err)}`;
  }
  return 'nothing thrown';
}

const config = async (files: Record<string, string> = {}, text = sendConfig()) => {
  const dir = await makeSite(files, text);
  return { dir, ...(await loadConfig(path.join(dir, 'gazette.toml'))) };
};

describe('error codes', () => {
  it('every user mistake throws a GazetteError with its code', async () => {
    const site = await config({ 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n' });
    const db = site.config.subscribers.database;
    await writeFile(path.join(site.dir, 'h.csv'), 'address\nx@example.org\n');
    expect(await codeOf(() => loadConfig('/nonexistent/gazette.toml'))).toBe('CONFIG');
    expect(await codeOf(async () => loadConfig(path.join(await makeSite({}, 'title = \n'), 'gazette.toml')))).toBe('CONFIG');
    expect(await codeOf(async () => loadIssues((await config({ 'content/b.md': '+++\ntitle = \n+++\n' })).config))).toBe('CONTENT');
    expect(await codeOf(() => compileTemplate('{{#if}}', 'issue.mjml'))).toBe('TEMPLATE');
    expect(await codeOf(() => safeJoin('/tmp/out', '../escape'))).toBe('OUTPUT');
    expect(await codeOf(() => withDatabase(db, (d) => importFile(d, path.join(site.dir, 'h.csv'), { onProblem: () => {}, onDuplicate: () => {} })))).toBe(
      'INPUT',
    );
    expect(await codeOf(() => withDatabase(db, (d) => addSubscriber(d, { email: 'not an address' })))).toBe('ADDRESS');
    expect(await codeOf(() => withDatabase(db, (d) => removeSubscriber(d, 'nobody@example.org')))).toBe('SUBSCRIBER');
    const file = path.join(site.dir, 'gazette.toml');
    expect(await codeOf(() => loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'http://x' } }))).toBe('SMTP_CONFIG');
    expect(await codeOf(() => loadConfig(file, 'send', { env: { GAZETTE_SMTP_URL: 'smtp://127.0.0.1:9', GAZETTE_SECRET: 'short' } }))).toBe('SECRET');
    expect(await codeOf(() => loadSecret(site.config))).toBe('nothing thrown');
    expect(await codeOf(() => prepareSend({ ...site.config, tokenSecret: SECRET }, { issue: 'no-such-issue' }))).toBe('NO_ISSUE');
    const notDb = path.join(site.dir, 'not.db');
    await writeFile(notDb, 'not sqlite '.repeat(200));
    expect(await codeOf(() => openDatabase(notDb))).toBe('DB');
    // A lock held by a running process (this one's parent).
    holdLock(db, process.ppid);
    expect(await codeOf(() => withDatabase(db, (d) => acquireSendLock(d, 'the database')))).toBe('LOCKED');
  });

  it('an output folder that cannot be written is OUTPUT, and the CLI exits 1 without a stack', async () => {
    const dir = await makeSite(
      { 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n', blocker: 'a file where a folder should be' },
      '[site]\ntitle = "T"\nbase_url = "https://t.example/"\n[build]\nout = "blocker/out"\n',
    );
    const { config } = await loadConfig(path.join(dir, 'gazette.toml'));
    expect(await codeOf(() => build(config))).toBe('OUTPUT');
    const run = await gazette('build', '--config', path.join(dir, 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: \S*blocker\S*: cannot (read|write) the output folder: ENOTDIR/);
    expect(run.stderr.split('\n')).toHaveLength(1);
  });

  it('an unreachable SMTP server is SMTP_CONNECT, naming the server', async () => {
    const site = await config({ 'content/a.md': '+++\ntitle = "A"\ndate = 2026-01-01\n+++\nA\n' });
    const env = { GAZETTE_SMTP_URL: 'smtp://127.0.0.1:9', GAZETTE_SECRET: SECRET };
    const { config: loaded } = await loadConfig(path.join(site.dir, 'gazette.toml'), 'send', { env });
    let error: unknown;
    await sendTestCopy(loaded, { to: 'you@example.org' }).catch((err) => (error = err));
    expect(error).toBeInstanceOf(GazetteError);
    expect((error as GazetteError).code).toBe('SMTP_CONNECT');
    expect((error as GazetteError).message).toContain('smtp://127.0.0.1:9');
  });

  it("a full disk or a read-only folder is the user's to fix: OUTPUT, naming the file, not a bug", () => {
    for (const code of ['ENOSPC', 'EROFS', 'EACCES', 'EPERM']) {
      const err = Object.assign(new Error(`${code}: something, open '/site/out/x'`), { code, path: '/site/out/x' });
      const mapped = fileError(err, 'OUTPUT', 'write the output folder', '/site/out');
      expect(mapped).toBeInstanceOf(GazetteError);
      expect((mapped as GazetteError).code).toBe('OUTPUT');
      expect((mapped as GazetteError).format()).toBe(`/site/out/x: cannot write the output folder: ${code}: something`);
      expect(exitCodeOf(mapped)).toBe(1);
    }
    const bug = new TypeError('x is undefined');
    expect(fileError(bug, 'OUTPUT', 'write', '/site/out')).toBe(bug);
  });

  it('maps every GazetteError to exit 1 and anything else to exit 2, in one table', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) expect(exitCodeOf(new GazetteError(code, 'x'))).toBe(EXIT.error);
    expect(exitCodeOf(new TypeError('a bug'))).toBe(EXIT.bug);
    const lines: string[] = [];
    expect(
      reportError(new GazetteError('CONFIG', 'bad', { file: path.join(process.cwd(), 'gazette.toml'), line: 3 }), { out: () => {}, err: (l) => lines.push(l) }),
    ).toBe(1);
    expect(lines).toEqual(['error: gazette.toml:3: bad']);
  });

  it('the CLI prints paths inside the working folder relative to it, and exits 1', async () => {
    const run = await gazette('build', '--config', path.join(process.cwd(), 'no-such-folder', 'gazette.toml'));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: no-such-folder/gazette.toml: config file not found (use --config PATH)');
  });
});
