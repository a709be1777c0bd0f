import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveries, holdLock, SECRET, sendSite } from '../../helpers/send.js';
import { ROOT } from '../../helpers/site.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';

const SUBSCRIBERS = 40;
const CONNECTIONS = 3;

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

/** `gazette send --yes` as a real process; `signal` is sent once `after` messages have arrived. */
function sendProcess(config: string, url: string, signal?: { name: NodeJS.Signals; after: number; smtp: TestSmtp }) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gazette.js'), 'send', '--yes', '--config', config], {
      env: { ...process.env, GAZETTE_SMTP_URL: url, GAZETTE_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.resume();
    if (signal) {
      const timer = setInterval(() => {
        if (signal.smtp.received.length >= signal.after) {
          clearInterval(timer);
          child.kill(signal.name);
        }
      }, 5);
      child.on('exit', () => clearInterval(timer));
    }
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

describe('a send that is interrupted', () => {
  it('killed with SIGKILL mid-run and run again: nobody lost, duplicates at most the connections in flight', async () => {
    smtp = await startSmtp({ delay: 30 });
    const site = await sendSite(SUBSCRIBERS, { connections: CONNECTIONS });

    const killed = await sendProcess(site.config, smtp.url, { name: 'SIGKILL', after: 12, smtp });
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = smtp.received.length;
    expect(afterKill).toBeLessThan(SUBSCRIBERS);
    // The ledger holds at most one message per connection as in flight.
    const inFlight = (await deliveries(site.database)).filter((d) => d.state === 'sending').length;
    expect(inFlight).toBeLessThanOrEqual(CONNECTIONS);
    // Something was in flight when the process died (each DATA takes 30 ms): else this proves nothing.
    expect(inFlight).toBeGreaterThan(0);

    const rerun = await sendProcess(site.config, smtp.url);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (let i = 0; i < SUBSCRIBERS; i++) expect(smtp.copies(`sub${i}@example.org`), `sub${i}`).toBeGreaterThanOrEqual(1);
    const duplicates = smtp.received.length - SUBSCRIBERS;
    // Only a message in flight at the kill can go twice.
    expect(duplicates).toBeLessThanOrEqual(inFlight);
    // A copy sent again is recognisably the same message: the same Message-ID.
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const ids = new Set(smtp.received.filter((r) => r.to === `sub${i}@example.org`).map((r) => r.mail.messageId));
      expect(ids.size).toBe(1);
    }
    expect((await deliveries(site.database)).every((d) => d.state === 'sent')).toBe(true);
  }, 60_000);

  it('stopped with Ctrl-C: finishes and records the messages in flight, exits, and the next run sends no duplicate', async () => {
    smtp = await startSmtp({ delay: 30 });
    const site = await sendSite(SUBSCRIBERS, { connections: CONNECTIONS });

    const stopped = await sendProcess(site.config, smtp.url, { name: 'SIGINT', after: 12, smtp });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('Stopping: finishing the messages in flight');
    const rows = await deliveries(site.database);
    expect(rows.filter((r) => r.state === 'sending')).toEqual([]);
    expect(rows.filter((r) => r.state === 'sent').length).toBe(smtp.received.length);
    expect(smtp.received.length).toBeLessThan(SUBSCRIBERS);

    const rerun = await sendProcess(site.config, smtp.url);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(smtp.received.length).toBe(SUBSCRIBERS);
    for (let i = 0; i < SUBSCRIBERS; i++) expect(smtp.copies(`sub${i}@example.org`)).toBe(1);
  }, 60_000);

  it('two runs started at the same moment on a lock left by a killed run: one takes it over, the other is refused, nobody gets two', async () => {
    // Every message waits at DATA until one run has ended: the run that took the lock cannot finish before
    // the other has tried, so the two overlap however loaded the machine is (else the second would find
    // the lock free and nothing owed). If both took it, both wait until the fallback, and both send.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    smtp = await startSmtp({ hold: () => gate });
    const site = await sendSite(SUBSCRIBERS, { connections: CONNECTIONS });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    holdLock(site.dbFile, dead.pid!);
    const runs = [sendProcess(site.config, smtp.url), sendProcess(site.config, smtp.url)] as const;
    void Promise.race(runs).then(open);
    const fallback = setTimeout(open, 20_000);
    const [a, b] = await Promise.all(runs);
    clearTimeout(fallback);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n${b.stderr}`).toEqual([0, 1]);
    expect([a, b].find((r) => r.code === 1)!.stderr).toContain('another gazette send');
    for (let i = 0; i < SUBSCRIBERS; i++) expect(smtp.copies(`sub${i}@example.org`), `sub${i}`).toBe(1);
  }, 60_000);

  it('a second Ctrl-C quits at once, without waiting for the messages in flight', async () => {
    // Each message takes 3 s at DATA: finishing those in flight would take that long.
    smtp = await startSmtp({ delay: 3000 });
    const site = await sendSite(SUBSCRIBERS, { connections: CONNECTIONS });
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gazette.js'), 'send', '--yes', '--config', site.config], {
      env: { ...process.env, GAZETTE_SMTP_URL: smtp.url, GAZETTE_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Once messages are in flight (the ledger says so), Ctrl-C twice.
    const end = Date.now() + 20_000;
    while ((await deliveries(site.database)).filter((d) => d.state === 'sending').length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    const second = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - second).toBeLessThan(2000);
    expect(stderr).toContain('Stopped at once');
    expect(smtp.received).toHaveLength(0);
  }, 60_000);
});
