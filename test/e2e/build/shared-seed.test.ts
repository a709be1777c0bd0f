import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { rawMessage, renderSite } from '../../helpers/email.js';
import { SHARED_SEED } from '../../helpers/site.js';
import { hasProgram } from '../../helpers/system.js';

// The real digest in ../shared, when it is there: an extra case on top of the project's own fixtures.
const present = existsSync(SHARED_SEED);
if (!present) console.warn(`skipping the shared seed digest: ${SHARED_SEED} is not here (the suite does not need it)`);

describe.skipIf(!present)('the shared seed digest (an extra case)', () => {
  it('renders as an email with strict MJML validation, under Gmail clipping, and SpamAssassin scores it at most 1.0', async () => {
    const site = await renderSite({ 'content/seed-digest.md': await readFile(SHARED_SEED) });
    const issue = site.issues[0]!;
    const email = site.emails.get(issue)!;
    expect(site.warnings).toEqual([]);
    expect(Buffer.byteLength(email.html)).toBeLessThan(60 * 1024);
    expect(email.html).not.toMatch(/\*\*/);
    expect(email.text).not.toMatch(/<[a-z]|\*\*/);
    if (hasProgram('spamassassin')) {
      const { spawnSync } = await import('node:child_process');
      const out = spawnSync('spamassassin', ['-L', '-t'], { input: await rawMessage(site, issue), encoding: 'utf8' }).stdout;
      const score = Number(/^X-Spam-Status: \w+, score=(-?[\d.]+)/m.exec(out)?.[1]);
      expect(score, out.split('Content analysis details:')[1]).toBeLessThanOrEqual(1.0);
    }
  }, 60_000);
});
