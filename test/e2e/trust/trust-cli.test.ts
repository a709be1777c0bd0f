import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gazetteWith, openDb, sendSite } from '../../helpers/send.js';
import { ROOT } from '../../helpers/site.js';

/** Run the compiled CLI, read its first line of output, then close the pipe as `| head -1` does. */
function firstLineThenClose(args: string[]): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gazette.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let line = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      line = d.toString().split('\n')[0]!;
      child.stdout.destroy();
    });
    child.on('close', (code) => resolve({ line, code, stderr }));
  });
}

describe('the terminal', () => {
  it('subscribers list | head stops quietly: no stack trace, exit 0', async () => {
    const site = await sendSite(20_000);
    for (const command of [
      ['subscribers', 'list'],
      ['subscribers', 'export'],
    ]) {
      const run = await firstLineThenClose([...command, '--config', site.config]);
      expect(run.line, command.join(' ')).toMatch(/sub0@example\.org|^email/);
      expect(run.stderr, command.join(' ')).toBe('');
      expect(run.code, command.join(' ')).toBe(0);
    }
  });

  it("a subscriber's name or address reaches the terminal escaped, whatever the database holds", async () => {
    const site = await sendSite(0);
    const db = openDb(site.dbFile);
    // Written past the checks (an older Gazette, another tool): what list prints must still be safe.
    db.prepare(
      "INSERT INTO subscribers (email, email_key, name, status, source, created_at, updated_at) VALUES ('a@example.org', 'a@example.org', ?, 'subscribed', 'x', 'now', 'now')",
    ).run('Ann\u001b[31m red\u001b[0m\r\u202eevil\u009b2J');
    db.close();
    const run = await gazetteWith({}, 'subscribers', 'list', '--config', site.config);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Ann\\x1B[31m red\\x1B[0m\\x0D\\u202Eevil\\x9B2J');
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});
