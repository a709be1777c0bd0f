import { createInterface } from 'node:readline/promises';
import { GazetteError } from '../errors.js';
import { printable } from '../util/text.js';

/**
 * Before mailing many people: yes with `--yes`; else asked on the terminal
 * (`question`, answered y or yes); with no terminal to ask on, refused with
 * one line saying what was not done (`refusal`, e.g. "send … to 3 subscribers").
 */
export async function agreed(sendEnv: SendEnv, yes: boolean | undefined, question: string, refusal: string): Promise<boolean> {
  if (yes) return true;
  if (!sendEnv.stdinIsTty) throw new GazetteError('DECLINED', `refusing to ${refusal} without --yes (standard input is not a terminal to ask on)`);
  // The question goes to the terminal past the CLI's output: values from outside in it are escaped here.
  const answer = await sendEnv.ask(printable(`${question} [y/N] `));
  return /^y(es)?$/i.test(answer.trim());
}

/** What `send` needs from the environment; tests replace it. */
export interface SendEnv {
  env: NodeJS.ProcessEnv;
  stdinIsTty: boolean;
  stderr: NodeJS.WriteStream;
  ask(question: string): Promise<string>;
  /** Registers a handler for Ctrl-C / SIGTERM; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

export const processSendEnv: SendEnv = {
  env: process.env,
  stdinIsTty: Boolean(process.stdin.isTTY),
  stderr: process.stderr,
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
};
