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
  // `openssl version`: a program whose version flag is not --version is named with it.
  const [file, ...args] = program.split(' ');
  const present = hasProgram(file!, args.length ? args : undefined);
  if (!present && !process.env.CI) {
    console.warn(`skipping "${name}": ${program} is not installed (${installHint})`);
    describe.skip(name, body);
    return;
  }
  if (!present) throw new Error(`${program} is required in CI (${installHint})`);
  describe(name, body);
}

/** Debian's Chromium, as every browser test drives it (no downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Chromium headless, with the flags this closed network needs (no background connections). */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
