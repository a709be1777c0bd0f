import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countByStatus, findSubscriber } from '../src/store/index.js';
import { deliveries, gazetteWith, openDb, sendSite } from './helpers/send.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let smtp: TestSmtp | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

const send = (url: string, config: string, ...more: string[]) => gazetteWith({ GAZETTE_SMTP_URL: url }, 'send', '--yes', '--config', config, ...more);

function statusCounts(dbFile: string) {
  const db = openDb(dbFile);
  try {
    return countByStatus(db);
  } finally {
    db.close();
  }
}

describe('a server that refuses the sender or the session bounces nobody', () => {
  const refusals: Array<[string, { code: number; message: string }]> = [
    ['relay denied with an enhanced code', { code: 554, message: '5.7.1 <x@example.org>: Relay access denied' }],
    ['relay denied in words only', { code: 554, message: 'Relay access denied' }],
    ['authentication required', { code: 530, message: '5.7.0 Authentication required' }],
    ['a rate block', { code: 550, message: '5.4.5 Daily sending quota exceeded' }],
    ['a policy block without codes', { code: 550, message: 'Message rejected due to local policy' }],
    ['"user unknown" for everyone', { code: 550, message: '5.1.1 Recipient address rejected: User unknown' }],
  ];
  for (const [name, reply] of refusals) {
    it(name, async () => {
      smtp = await startSmtp({ rcpt: () => reply });
      const site = await sendSite(30, { connections: 3 });
      const run = await send(smtp.url, site.config);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/error: stopped: smtp:\/\/127\.0\.0\.1:\d+ refused/);
      expect(statusCounts(site.dbFile)).toMatchObject({ subscribed: 30, bounced: 0 });
      expect(deliveries(site.dbFile).filter((d) => d.state === 'failed')).toEqual([]);
    });
  }

  it('still bounces a few dead addresses among deliveries', async () => {
    smtp = await startSmtp({
      rcpt: (to) => (['sub3@example.org', 'sub7@example.org'].includes(to) ? { code: 550, message: '5.1.1 User unknown' } : undefined),
    });
    const site = await sendSite(10);
    const run = await send(smtp.url, site.config);
    expect(run.code, run.stderr).toBe(0);
    expect(statusCounts(site.dbFile)).toMatchObject({ subscribed: 8, bounced: 2 });
    expect(smtp.received).toHaveLength(8);
  });

  it('an author can undo a mistaken mass bounce, and the next send retries them', async () => {
    smtp = await startSmtp({ rcpt: (to) => (to === 'sub0@example.org' ? undefined : { code: 550, message: 'mailbox unavailable' }) });
    const site = await sendSite(4, { connections: 1 });
    const since = new Date(Date.now() - 1000).toISOString();
    await send(smtp.url, site.config);
    expect(statusCounts(site.dbFile).bounced).toBe(3);
    await smtp.close();
    smtp = await startSmtp();
    const restore = await gazetteWith({}, 'subscribers', 'restore', '--bounced-since', since, '--config', site.config);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^Restored 3 subscribers bounced since/);
    expect(statusCounts(site.dbFile)).toMatchObject({ subscribed: 4, bounced: 0 });
    const again = await send(smtp.url, site.config);
    expect(again.code).toBe(0);
    expect(smtp.received.map((r) => r.to).sort()).toEqual(['sub1@example.org', 'sub2@example.org', 'sub3@example.org']);
  });
});

/** A server that answers every connection with `greeting` and hangs up; counts connections. */
async function refusingServer(greeting: string) {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end(`${greeting}\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a server that cannot be reached or refuses the session', () => {
  it('421 at greeting: stops at once, a few connections, one line naming the server', async () => {
    const server = await refusingServer('421 4.3.2 Service not available, closing channel');
    try {
      const site = await sendSite(200, { connections: 3 });
      const started = Date.now();
      const run = await send(server.url, site.config);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/error: stopped: cannot send through smtp:\/\/127\.0\.0\.1:\d+: .*421 4\.3\.2 Service not available/);
      expect(server.connections()).toBeLessThanOrEqual(6);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(statusCounts(site.dbFile).subscribed).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('nothing listening: stops at once with the reason, exit 1', async () => {
    const server = await refusingServer('220 ready');
    const url = server.url;
    await server.close();
    const site = await sendSite(50);
    const started = Date.now();
    const run = await send(url, site.config);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: stopped: cannot send through smtp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('a busy database', () => {
  it('a send waits out another writer and records every accepted message', async () => {
    smtp = await startSmtp({ delay: 20 });
    const site = await sendSite(20, { connections: 2 });
    // Another writer (as an import would) holds the database while the send runs.
    const other = openDb(site.dbFile);
    let released = false;
    const hold = setInterval(() => {
      if (released || smtp!.received.length < 3) return;
      other.exec('BEGIN IMMEDIATE');
      other.prepare("UPDATE subscribers SET name = 'busy' WHERE id = 1").run();
      setTimeout(() => {
        other.exec('COMMIT');
        released = true;
      }, 5500);
      clearInterval(hold);
    }, 5);
    const run = await send(smtp.url, site.config);
    clearInterval(hold);
    other.close();
    expect(run.code, run.stderr).toBe(0);
    expect(released).toBe(true);
    const rows = deliveries(site.dbFile);
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(20);
    expect(smtp.received).toHaveLength(20);
    const db = openDb(site.dbFile);
    expect(findSubscriber(db, 'sub0@example.org')!.name).toBe('busy');
    db.close();
  }, 40_000);
});
