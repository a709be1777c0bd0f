import { spawnSync } from 'node:child_process';
import { describe } from 'vitest';

/** Whether a program is on this machine. */
export function hasProgram(path: string, args = ['--version']): boolean {
  const r = spawnSync(path, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/**
 * A suite that needs a Debian program (spamassassin, chromium). On a
 * developer's machine without it the suite is skipped, saying so; in CI
 * (`CI` set, as `.ci/run` runs) a missing program fails the run.
 */
export function describeWith(program: string, installHint: string, name: string, body: () => void): void {
  const present = hasProgram(program);
  if (!present && !process.env.CI) {
    console.warn(`skipping "${name}": ${program} is not installed (${installHint})`);
    describe.skip(name, body);
    return;
  }
  if (!present) throw new Error(`${program} is required in CI (${installHint})`);
  describe(name, body);
}
