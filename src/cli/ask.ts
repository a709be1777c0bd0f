import { GazetteError } from '../errors.js';
import { printable } from '../util/text.js';
import type { SendEnv } from './send.js';

/**
 * Before mailing many people: yes with `--yes`; else asked on the terminal
 * (`question`, answered y or yes); with no terminal to ask on, refused with
 * one line saying what was not done (`refusal`, e.g. "send … to 3 subscribers").
 */
export async function agreed(senv: SendEnv, yes: boolean | undefined, question: string, refusal: string): Promise<boolean> {
  if (yes) return true;
  if (!senv.stdinIsTty) throw new GazetteError('DECLINED', `refusing to ${refusal} without --yes (standard input is not a terminal to ask on)`);
  // The question goes to the terminal past the CLI's output: values from outside in it are escaped here.
  const answer = await senv.ask(printable(`${question} [y/N] `));
  return /^y(es)?$/i.test(answer.trim());
}
