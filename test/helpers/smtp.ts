import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export type Reply = undefined | { code: number; message: string } | 'drop';

/** How the test server treats each attempt for an address (attempt counts from 1). */
export interface Behaviour {
  mailFrom?: (address: string) => Reply;
  rcpt?: (address: string, attempt: number) => Reply;
  data?: (address: string, attempt: number) => Reply;
  /** Milliseconds to wait before answering DATA. */
  delay?: number;
  /** Answer DATA only when this resolves (a test's gate: what it must do while a message is in flight). */
  hold?: (address: string) => Promise<void> | undefined;
  /** Offer STARTTLS with smtp-server's own self-signed certificate, as it does by default. */
  starttls?: boolean;
  /** Require this login. */
  auth?: { user: string; pass: string };
  /** Called when a message is accepted. */
  onAccepted?: (address: string, count: number) => void;
}

export interface Received {
  to: string;
  /** The envelope sender (MAIL FROM). */
  from: string;
  raw: string;
  mail: ParsedMail;
}

export interface TestSmtp {
  port: number;
  url: string;
  received: Received[];
  /** Accepted copies per address (lower-cased). */
  copies(address: string): number;
  attempts: Map<string, number>;
  /** Each login, and whether it came over TLS. */
  logins: Array<{ user: string; secure: boolean }>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on a free loopback port; messages read back with mailparser. */
export async function startSmtp(behaviour: Behaviour = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const logins: TestSmtp['logins'] = [];
  const rcptOf = new Map<string, string>();
  const fail = (reply: { code: number; message: string }) => Object.assign(new Error(reply.message), { responseCode: reply.code });
  let server: SMTPServer;
  const drop = (session: SMTPServerSession) => {
    for (const connection of (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections) {
      if (connection.id === session.id) connection._socket.destroy();
    }
  };
  server = new SMTPServer({
    authOptional: !behaviour.auth,
    disabledCommands: behaviour.starttls ? (behaviour.auth ? [] : ['AUTH']) : behaviour.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    // A server that offers STARTTLS takes a login only after it, as real ones do; without STARTTLS
    // (loopback tests of [smtp]), a login in clear.
    allowInsecureAuth: !behaviour.starttls,
    onAuth(auth, session, callback) {
      logins.push({ user: auth.username ?? '', secure: session.secure });
      if (behaviour.auth && auth.username === behaviour.auth.user && auth.password === behaviour.auth.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    logger: false,
    size: 10 * 1024 * 1024,
    onMailFrom(address, session, callback) {
      const reply = behaviour.mailFrom?.(address.address);
      if (reply === 'drop') return drop(session);
      callback(reply ? fail(reply) : undefined);
    },
    onRcptTo(address, session, callback) {
      const to = address.address.toLowerCase();
      const n = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, n);
      rcptOf.set(session.id, to);
      const reply = behaviour.rcpt?.(to, n);
      if (reply === 'drop') return drop(session);
      callback(reply ? fail(reply) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const to = rcptOf.get(session.id) ?? '';
        const reply = behaviour.data?.(to, attempts.get(to) ?? 1);
        if (behaviour.delay) await new Promise((r) => setTimeout(r, behaviour.delay));
        await behaviour.hold?.(to);
        if (reply === 'drop') return drop(session);
        if (reply) return callback(fail(reply));
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({ to, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', raw, mail: await simpleParser(raw) });
        behaviour.onAccepted?.(to, received.length);
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    attempts,
    logins,
    copies: (address) => received.filter((r) => r.to === address.toLowerCase()).length,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
