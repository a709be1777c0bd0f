import { spawn } from 'node:child_process';

export interface SpamScore {
  score: number;
  /** The rules that fired, with their points: `SUBJ_ALL_CAPS 0.5`. */
  rules: string[];
}

/**
 * SpamAssassin's score for a complete message (`spamassassin -L -t`, local
 * tests only), or undefined where SpamAssassin is not installed or takes
 * too long.
 */
export function spamScore(message: Buffer, timeoutMs = 30_000): Promise<SpamScore | undefined> {
  return new Promise((resolve) => {
    let out = '';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('spamassassin', ['-L', '-t'], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => resolve(undefined));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('close', () => {
      clearTimeout(timer);
      const score = /^X-Spam-Status: \w+, score=(-?[\d.]+)/m.exec(out);
      if (!score) return resolve(undefined);
      const report = out.split('Content analysis details:')[1] ?? '';
      const rules = [...report.matchAll(/^\s*(-?[\d.]+)\s+([A-Z0-9_]+)\s/gm)].map((m) => `${m[2]} ${m[1]}`);
      resolve({ score: Number(score[1]), rules });
    });
    child.stdin!.end(message);
  });
}
