import { spawnSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { rawMessage, renderSeed } from '../../helpers/email.js';
import { describeWith } from '../../helpers/system.js';

interface Verdict {
  score: number;
  rules: string[];
  report: string;
}

/** SpamAssassin with local tests only (-L), as `spamassassin -L -t` reports it. */
function spamassassin(message: string): Verdict {
  const run = spawnSync('spamassassin', ['-L', '-t'], { input: message, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`spamassassin failed: ${run.stderr}`);
  const status = /^X-Spam-Status: (?:Yes|No), score=(-?[\d.]+)/m.exec(run.stdout);
  if (!status) throw new Error(`no X-Spam-Status in:\n${run.stdout.slice(0, 2000)}`);
  const report = run.stdout.slice(run.stdout.indexOf('Content analysis details'));
  const rules = [...report.matchAll(/^\s*-?[\d.]+ ([A-Z0-9_]+)\s/gm)].map((m) => m[1]!);
  return { score: Number(status[1]), rules, report };
}

describeWith('spamassassin', 'apt-get install spamassassin', 'SpamAssassin on the seed issue', () => {
  let message: string;
  let verdict: Verdict;
  beforeAll(async () => {
    const seed = await renderSeed();
    message = await rawMessage(seed, seed.issue);
    verdict = spamassassin(message);
  }, 60_000);

  it('is a complete multipart/alternative message with a text part and one-click unsubscribe', () => {
    expect(message).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(message).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(message).toMatch(/^Content-Type: text\/html; charset=utf-8/m);
    expect(message).toMatch(/^List-Unsubscribe: <https:\/\/news\.example\.com\/unsubscribe\?token=abc123>/m);
    expect(message).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(message).toMatch(/^Message-ID: <[0-9a-f]{32}@news\.example\.com>$/m);
  });

  it('scores at most 1.0', () => {
    expect(verdict.score, verdict.report).toBeLessThanOrEqual(1.0);
  });

  it('fires none of the rules a newsletter must avoid', () => {
    for (const rule of ['MPART_ALT_DIFF', 'MPART_ALT_DIFF_COUNT', 'MIME_HTML_ONLY', 'MIME_HTML_MOSTLY', 'HTML_FONT_LOW_CONTRAST']) {
      expect(verdict.rules, verdict.report).not.toContain(rule);
    }
  });

  it('would notice the problems it guards against (the check can fail)', async () => {
    // An HTML-only message with white-on-white text: the same check must flag it.
    const bad = message
      .replace(/Content-Type: multipart\/alternative;[\s\S]*$/, '')
      .concat(
        'Content-Type: text/html; charset=utf-8\n\n<html><body><p>hello there friend</p><div style="color:#ffffff;background-color:#ffffff">hidden words here for the filter to see</div></body></html>\n',
      );
    const badVerdict = spamassassin(bad);
    expect(badVerdict.rules).toContain('MIME_HTML_ONLY');
    expect(badVerdict.rules).toContain('HTML_FONT_LOW_CONTRAST');
  });
});
