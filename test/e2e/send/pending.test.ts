import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { onEachBackend } from '../../helpers/backends.js';
import { gazetteWith, sendSite } from '../../helpers/send.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

const issue = (slug: string, day: number, more = '') => `+++\ntitle = "${slug}"\ndate = 2026-02-0${day}T08:00:00+08:00\n${more}+++\n\nBody of ${slug}.\n`;

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

onEachBackend('send --pending', (backend) => {
  async function site(behaviour: Parameters<typeof startSmtp>[0] = {}) {
    smtp = await startSmtp(behaviour);
    // No retry passes: a deferred reader waits for the next run.
    const s = await sendSite(3, { backend });
    await writeFile(s.config, (await readFile(s.config, 'utf8')).replace('retry_attempts = 2', 'retry_attempts = 0'));
    const write = (slug: string, day: number, more = '') => writeFile(path.join(s.dir, 'content', `${slug}.md`), issue(slug, day, more));
    await write('issue-one', 1);
    await write('two', 2);
    const pending = async () => {
      const before = smtp!.received.length;
      const run = await gazetteWith({ GAZETTE_SMTP_URL: smtp!.url }, 'send', '--pending', '--yes', '--config', s.config);
      return { ...run, subjects: smtp!.received.slice(before).map((r) => `${r.mail.subject} ${r.to}`) };
    };
    return { ...{ dir: s.dir, config: s.config }, write, pending };
  }

  it('mails the newest issue only to a new list, then each newer one once, oldest first, and says when there is nothing', async () => {
    const s = await site();
    const first = await s.pending();
    expect(first.code, first.stderr).toBe(0);
    expect(new Set(first.subjects.map((x) => x.split(' ')[0]))).toEqual(new Set(['two']));
    expect(first.subjects).toHaveLength(3);
    const again = await s.pending();
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('Nothing to send: every published issue up to “two” has been sent.');
    expect(again.subjects).toEqual([]);
    await s.write('three', 3);
    await s.write('four', 4);
    const next = await s.pending();
    expect(next.code, next.stderr).toBe(0);
    expect(next.subjects.map((x) => x.split(' ')[0])).toEqual(['three', 'three', 'three', 'four', 'four', 'four']);
    expect(next.stdout).toContain('Sent “three”');
    expect(next.stdout).toContain('Sent “four”');
    expect((await s.pending()).subjects).toEqual([]);
  });

  it('holds an issue back until its send_at, says so in status, and sends it once the time has come', async () => {
    const s = await site();
    await s.pending();
    await s.write('later', 3, 'send_at = "2099-01-01T09:00:00"\n');
    const held = await s.pending();
    expect(held.code).toBe(0);
    expect(held.stdout).toBe('Nothing to send: every published issue up to “two” has been sent; next: “later” at 2099-01-01T09:00:00+08:00.');
    const status = await gazetteWith({}, 'status', '--config', s.config);
    expect(status.stdout).toContain('Waiting: “later” (later) until 2099-01-01T09:00:00+08:00.');
    const refused = await gazetteWith({ GAZETTE_SMTP_URL: smtp!.url }, 'send', '--yes', '--issue', 'later', '--config', s.config);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('“later” is held until 2099-01-01T09:00:00+08:00 (send_at)');
    // A plain send takes the newest issue that may go, and says why the held one is not it.
    await s.write('later', 3, 'send_at = "2026-01-01T09:00:00"\n');
    const now = await s.pending();
    expect(now.code, now.stderr).toBe(0);
    expect(now.subjects.map((x) => x.split(' ')[0])).toEqual(['later', 'later', 'later']);
  });

  it('finishes the last issue first while anyone is still owed it', async () => {
    let refuse = true;
    const s = await site({ rcpt: (to) => (refuse && to === 'sub1@example.org' ? { code: 451, message: '4.7.1 try later' } : undefined) });
    const first = await s.pending();
    expect(first.code).toBe(3);
    expect(first.subjects).toHaveLength(2);
    await s.write('three', 3);
    refuse = false;
    const next = await s.pending();
    expect(next.code, next.stderr).toBe(0);
    // The last issue's deferred reader first, then the new issue to everyone (in whatever order its connections finish).
    expect(next.subjects[0]).toBe('two sub1@example.org');
    expect(next.subjects.slice(1).sort()).toEqual(['three sub0@example.org', 'three sub1@example.org', 'three sub2@example.org']);
  });
});
