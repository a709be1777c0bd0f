import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onEachBackend } from '../../helpers/backends.js';
import { gazetteWith, sendSite } from '../../helpers/send.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

const TOPICS = '[topics.models]\nlabel = "Models"\ntags = ["Models", "llm"]\n\n[topics.tools]\nlabel = "Tools"\ntags = ["tools"]\n';

const issue = (slug: string, day: number, tags: string[]) =>
  `+++\ntitle = "${slug}"\ndate = 2026-02-0${day}T08:00:00+08:00\ntags = ${JSON.stringify(tags)}\n+++\n\nBody of ${slug}.\n`;

/** Who chose what: [address, --topic keys, --frequency]. */
const READERS: Array<[string, string[], string | undefined]> = [
  ['all@example.org', [], undefined],
  ['models@example.org', ['models'], undefined],
  ['tools@example.org', ['tools'], 'daily'],
  ['both@example.org', ['models', 'tools'], undefined],
  ['weekly@example.org', [], 'weekly'],
  ['weekly-models@example.org', ['models'], 'weekly'],
];

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

onEachBackend('topics and frequency', (backend) => {
  async function site() {
    const s = await sendSite(0, { extraConfig: TOPICS, backend });
    const files: Array<[string, string]> = [
      ['one', issue('one', 1, ['LLM'])],
      ['two', issue('two', 2, ['tools', 'policy'])],
      ['three', issue('three', 3, ['misc'])],
    ];
    for (const [slug, text] of files) await writeFile(path.join(s.dir, 'content', `${slug}.md`), text);
    const cli = (env: NodeJS.ProcessEnv, ...args: string[]) => gazetteWith(env, ...args, '--config', s.config);
    for (const [email, topics, frequency] of READERS) {
      const added = await cli({}, 'subscribers', 'add', email, ...topics.flatMap((t) => ['--topic', t]), ...(frequency ? ['--frequency', frequency] : []));
      expect(added.code, added.stderr).toBe(0);
    }
    return { dir: s.dir, config: s.config, cli };
  }

  it('mails each issue to the daily readers whose topics it covers, or who chose none; says how many per topic', async () => {
    smtp = await startSmtp();
    const s = await site();
    const env = { GAZETTE_SMTP_URL: smtp.url };
    const dry = await s.cli({}, 'send', '--issue', 'one', '--dry-run');
    expect(dry.stderr).toContain('Dry run: writing 3 messages (2 for models, 1 reading everything)');
    const sentTo = async (slug: string) => {
      const before = smtp!.received.length;
      const run = await s.cli(env, 'send', '--yes', '--issue', slug);
      expect(run.code, run.stderr).toBe(0);
      return smtp!.received
        .slice(before)
        .map((r) => r.to)
        .sort();
    };
    // "LLM" is a tag of the models topic (tags are matched without regard to case).
    expect(await sentTo('one')).toEqual(['all@example.org', 'both@example.org', 'models@example.org']);
    expect(await sentTo('two')).toEqual(['all@example.org', 'both@example.org', 'tools@example.org']);
    // An issue no topic covers goes to the readers of everything only.
    expect(await sentTo('three')).toEqual(['all@example.org']);
    // Weekly readers get none of the dailies; nobody got anything twice.
    expect(smtp.received.filter((r) => r.to.startsWith('weekly'))).toEqual([]);
    const status = await s.cli({}, 'status');
    expect(status.stdout).toMatch(/^one\t3\t/m);
  });

  it('add, list, export and import carry the choice; an unknown topic or frequency is refused', async () => {
    const s = await site();
    const list = (await s.cli({}, 'subscribers', 'list')).stdout;
    expect(list).toMatch(/^both@example\.org\tsubscribed\t\t\S+\tmodels tools\tdaily$/m);
    expect(list).toMatch(/^weekly-models@example\.org\tsubscribed\t\t\S+\tmodels\tweekly$/m);
    expect(list).toMatch(/^all@example\.org\tsubscribed\t\t\S+\teverything\tdaily$/m);
    const unknown = await s.cli({}, 'subscribers', 'add', 'x@example.org', '--topic', 'sports');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: --topic sports: not a topic of gazette.toml (models, tools)');
    expect((await s.cli({}, 'subscribers', 'add', 'x@example.org', '--frequency', 'hourly')).stderr).toBe('error: --frequency must be daily or weekly');
    // A change of mind on the command line is recorded.
    const changed = await s.cli({}, 'subscribers', 'add', 'models@example.org', '--topic', 'tools', '--frequency', 'weekly');
    expect(changed.stdout).toBe('Updated models@example.org (subscribed).');
    expect((await s.cli({}, 'subscribers', 'list')).stdout).toMatch(/^models@example\.org\tsubscribed\t\t\S+\ttools\tweekly$/m);
    // The export carries topics and frequency, and imports into another list as they were.
    const csv = (await s.cli({}, 'subscribers', 'export')).stdout;
    expect(csv).toMatch(/^both@example\.org,,subscribed,cli,[^,]+,[^,]+,,,models tools,daily$/m);
    const other = await sendSite(0, { extraConfig: TOPICS, backend });
    await writeFile(path.join(other.dir, 'list.csv'), `${csv}\nnew@example.org,,,,,,,,"tools; models",weekly\nbad@example.org,,,,,,,,sports,\n`);
    const imported = await gazetteWith({}, 'subscribers', 'import', path.join(other.dir, 'list.csv'), '--config', other.config);
    expect(imported.stderr).toContain('topic "sports" is not in [topics] (models, tools)');
    const otherList = (await gazetteWith({}, 'subscribers', 'list', '--config', other.config)).stdout;
    expect(otherList).toMatch(/^both@example\.org\tsubscribed\t\t\S+\tmodels tools\tdaily$/m);
    expect(otherList).toMatch(/^new@example\.org\tsubscribed\t\t\S+\tmodels tools\tweekly$/m);
    expect(otherList).not.toContain('bad@example.org');
  });
});

describe('a list without [topics]', () => {
  it('mails every daily reader, as before', async () => {
    smtp = await startSmtp();
    const s = await sendSite(3);
    const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp.url }, 'send', '--yes', '--config', s.config);
    expect(run.code).toBe(0);
    expect(smtp.received).toHaveLength(3);
    expect((await gazetteWith({}, 'subscribers', 'add', 'x@example.org', '--topic', 'a', '--config', s.config)).stderr).toBe(
      'error: --topic a: not a topic of gazette.toml (it has no [topics])',
    );
  });
});
