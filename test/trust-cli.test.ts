import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sendSite } from './helpers/send.js';
import { ROOT } from './helpers/site.js';

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
});
