import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFeed } from '../../helpers/feeds.js';
import { gazetteWith, sendSite } from '../../helpers/send.js';
import { read } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

/**
 * A week of daily issues as an author runs it: `send --pending` from cron
 * three times a day, then the Monday after, the roll-up. The clock is moved
 * (Date only: timers run as they do), in the site's zone, Asia/Shanghai.
 */
const TOPICS = '[topics.models]\nlabel = "Models"\ntags = ["models"]\n\n[topics.tools]\nlabel = "Tools"\ntags = ["tools"]\n';
const TAGS = [['models'], ['tools'], ['misc'], ['models', 'tools'], ['tools'], ['models'], ['misc']];
const READERS: Array<[string, string[], 'daily' | 'weekly']> = [
  ['daily-all@example.org', [], 'daily'],
  ['daily-models@example.org', ['models'], 'daily'],
  ['weekly-all@example.org', [], 'weekly'],
  ['weekly-tools@example.org', ['tools'], 'weekly'],
  ['weekly-models@example.org', ['models'], 'weekly'],
];
/** Day `d` (1 = Monday 2 March 2026) at `hour`, Shanghai time. */
const at = (d: number, hour: number) => new Date(`2026-03-${String(1 + d).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`);

describe('a week of daily issues, sent on publish, then the weekly roll-up', () => {
  let smtp: TestSmtp;
  let site: Awaited<ReturnType<typeof sendSite>>;
  const runs: Array<{ when: string; code: number; stdout: string; stderr: string }> = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    site = await sendSite(0, { extraConfig: TOPICS });
    await rm(path.join(site.dir, 'content', 'issue-one.md'));
    // The readers join the Sunday before.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at(0, 12));
    for (const [email, topics, frequency] of READERS) {
      const added = await gazetteWith(
        {},
        'subscribers',
        'add',
        email,
        ...topics.flatMap((t) => ['--topic', t]),
        '--frequency',
        frequency,
        '--config',
        site.config,
      );
      expect(added.code, added.stderr).toBe(0);
    }
    const pending = async (when: Date) => {
      vi.setSystemTime(when);
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--pending', '--yes', '--config', site.config);
      runs.push({ when: when.toISOString(), ...run });
    };
    for (let d = 1; d <= 7; d++) {
      await writeFile(
        path.join(site.dir, 'content', `day-${d}.md`),
        `+++\ntitle = "Day ${d}"\ndate = ${at(d, 9).toISOString()}\ntags = ${JSON.stringify(TAGS[d - 1])}\n+++\n\nThe news of day ${d}.\n`,
      );
      for (const hour of [8, 13, 20]) await pending(at(d, hour));
    }
    // The Monday after: the week is over.
    await pending(at(8, 8));
    await pending(at(8, 13));
    vi.setSystemTime(at(8, 14));
  }, 120_000);

  afterAll(async () => {
    vi.useRealTimers();
    await smtp?.close();
  });

  const received = (email: string) => smtp.received.filter((r) => r.to === email).map((r) => r.mail.subject);

  it('every run from cron ends well, and says when there is nothing to do', () => {
    for (const run of runs) expect(run.code, `${run.when}: ${run.stderr}`).toBe(0);
    expect(runs[0]!.stdout).toBe('Nothing to send: there is no published issue; next: “Day 1” at 2026-03-02T09:00:00+08:00.');
    expect(runs.at(-1)!.stdout).toMatch(/^Nothing to send: every published issue up to “Day 7” has been sent/);
  });

  it('daily readers get each issue of their topics once, the day it is published; weekly readers none of them', () => {
    expect(received('daily-all@example.org')).toEqual(['Day 1', 'Day 2', 'Day 3', 'Day 4', 'Day 5', 'Day 6', 'Day 7']);
    expect(received('daily-models@example.org')).toEqual(['Day 1', 'Day 4', 'Day 6']);
    // Each day's issue went at 13:00, the first run after its publication at 09:00.
    for (const run of runs.filter((r) => r.when.endsWith('05:00:00.000Z') && r.when < '2026-03-09')) expect(run.stdout).toMatch(/Sent “Day \d”/);
  });

  it('the Monday after, each weekly reader gets one roll-up of the issues of their topics', () => {
    const [title] = received('weekly-all@example.org');
    expect(received('weekly-all@example.org')).toHaveLength(1);
    expect(received('weekly-tools@example.org')).toEqual([title]);
    expect(received('weekly-models@example.org')).toEqual([title]);
    const text = (email: string) => smtp.received.find((r) => r.to === email)!.mail.text!;
    const listed = (email: string) => [...text(email).matchAll(/^Day (\d)$/gm)].map((m) => Number(m[1]));
    expect(listed('weekly-all@example.org')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(listed('weekly-tools@example.org')).toEqual([2, 4, 5]);
    expect(listed('weekly-models@example.org')).toEqual([1, 4, 6]);
    // The HTML part lists the same, with links to each issue.
    const html = smtp.received.find((r) => r.to === 'weekly-tools@example.org')!.mail.html as string;
    expect(html).toContain('https://news.example.com/posts/day-5/');
    expect(html).not.toContain('https://news.example.com/posts/day-6/');
    expect(html).toMatch(/preferences\?token=/);
    // Nobody got anything twice.
    const all = smtp.received.map((r) => `${r.to} ${r.mail.subject}`);
    expect(new Set(all).size).toBe(all.length);
  });

  it('build makes the roll-up a page and a feed entry', async () => {
    const built = await gazetteWith({}, 'build', '--config', site.config);
    expect(built.code, built.stderr).toBe(0);
    const page = await read(path.join(site.dir, 'out'), 'weekly/2026-w10/index.html');
    for (let d = 1; d <= 7; d++) expect(page).toContain(`Day ${d}`);
    // And its email, as a reader of everything gets it, beside its page.
    const email = await read(path.join(site.dir, 'out'), 'weekly/2026-w10/email.html');
    for (let d = 1; d <= 7; d++) expect(email).toContain(`Day ${d}`);
    expect(email).toContain('preferences?token=preview');
    const feed = readFeed(await read(path.join(site.dir, 'out'), 'weekly/rss.xml'));
    expect(feed.items.map((i) => i.url)).toEqual(['https://news.example.com/weekly/2026-w10/']);
  });

  it('gazette rollup shows the last complete week, its issues and who it goes to', async () => {
    const shown = await gazetteWith({}, 'rollup', '--config', site.config);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(
      '2026-W10: “Test Digest · 2026年3月2日–2026年3月8日 一周合集”, 2026-03-02T00:00:00+08:00 to 2026-03-09T00:00:00+08:00',
    );
    expect(shown.stdout).toContain('  2026-03-05  Day 4  https://news.example.com/posts/day-4/');
    // Sent already: owed to nobody.
    expect(shown.stdout).toContain('Owed to 0 weekly readers: `gazette send --rollup 2026-W10`');
    expect((await gazetteWith({}, 'rollup', '--week', '2026-W11', '--config', site.config)).stdout).toContain('No issue was published that week');
    const bad = await gazetteWith({}, 'rollup', '--week', '2026-W60', '--config', site.config);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --week 2026-W60: 2026 has no week 60');
    // Sending a week before it ends is refused.
    vi.setSystemTime(at(10, 12));
    const early = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--rollup', '2026-W11', '--yes', '--config', site.config);
    expect(early.stderr).toBe('error: the week 2026-W11 is not over until 2026-03-16T00:00:00+08:00: its roll-up goes when the week ends');
  });
});
