import { spawnSync } from 'node:child_process';
import { describe } from 'vitest';

/** Whether a program is on this machine. */
export function hasProgram(path: string, args = ['--version']): boolean {
  const r = spawnSync(path, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/**
 * What to do with a suite whose program is present or not: run it; skip it,
 * saying so, on a developer's machine; fail the run where every program is
 * required — `.ci/run` says so with `GAZETTE_REQUIRE_PROGRAMS=1` (and any
 * CI that sets `CI`).
 */
export function programPolicy(present: boolean, env: NodeJS.ProcessEnv = process.env): 'run' | 'skip' | 'fail' {
  if (present) return 'run';
  return env.GAZETTE_REQUIRE_PROGRAMS === '1' || env.CI ? 'fail' : 'skip';
}

/** A suite that needs a Debian program (spamassassin, chromium): see `programPolicy`. */
export function describeWith(program: string, installHint: string, name: string, body: () => void): void {
  // `openssl version`: a program whose version flag is not --version is named with it.
  const [file, ...args] = program.split(' ');
  const policy = programPolicy(hasProgram(file!, args.length ? args : undefined));
  if (policy === 'skip') {
    console.warn(`skipping "${name}": ${program} is not installed (${installHint})`);
    describe.skip(name, body);
    return;
  }
  if (policy === 'fail') throw new Error(`${program} is required here (GAZETTE_REQUIRE_PROGRAMS=1 or CI): ${installHint}`);
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
