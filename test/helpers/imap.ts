import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';

export const DOVECOT = '/usr/sbin/dovecot';

export interface TestImap {
  port: number;
  user: string;
  password: string;
  /** `imap://user:password@127.0.0.1:port/INBOX`. */
  url: string;
  /** A client logged in to the mailbox (closed by `close`). */
  client(): Promise<ImapFlow>;
  close(): Promise<void>;
}

/** Whether every folder from the root down to `dir` lets other users through (its x bit for others). */
export function traversableByOthers(dir: string): boolean {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (path.dirname(at) === at) return true;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on just now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian's Dovecot, started on a free loopback port with a configuration of
 * its own in a temporary folder (one mailbox user, plain login, Maildir),
 * as the user running the tests. Everything is removed by `close`.
 */
export async function startDovecot(): Promise<TestImap> {
  // As root, Dovecot's own users must reach the folder: a private TMPDIR (mode 0700, as CI's), or one
  // inside a private folder, is not traversable by them, so the shared /tmp is used then (the
  // folder is removed all the same).
  const tmp = process.getuid?.() === 0 && !traversableByOthers(os.tmpdir()) ? '/tmp' : os.tmpdir();
  const dir = await mkdtemp(path.join(tmp, 'gazette-dovecot-'));
  const port = await freePort();
  const user = 'bounces';
  const password = 'imap-password-4f9a1c7e2b';
  const { uid, gid, username } = os.userInfo();
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  // Dovecot's login and internal processes refuse to run as root: as root, use the users Debian's package made.
  const root = uid === 0;
  const internal = root ? 'dovecot' : username;
  const login = root ? 'dovenull' : username;
  // Those users must reach the sockets and the password file; mail is stored as a user that is not root.
  await chmod(dir, 0o755);
  const mailUid = root ? Number(execFileSync('id', ['-u', internal], { encoding: 'utf8' })) : uid;
  const mailGid = root ? Number(execFileSync('id', ['-g', internal], { encoding: 'utf8' })) : gid;
  for (const sub of ['mail', 'home']) {
    await mkdir(path.join(dir, sub));
    if (root) await chown(path.join(dir, sub), mailUid, mailGid);
  }
  await mkdir(path.join(dir, 'run'));
  await mkdir(path.join(dir, 'state'));
  await writeFile(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`, { mode: root ? 0o644 : 0o600 });
  const conf = path.join(dir, 'dovecot.conf');
  await writeFile(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${internal}
${root ? '' : `default_internal_group = ${group}`}
default_login_user = ${login}
first_valid_uid = 0
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service pop3-login {
  chroot =
}
`,
  );
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', conf], { stdio: 'ignore' });
  const clients: ImapFlow[] = [];
  const connect = async () => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  };
  // Ready once a login works.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const c = await connect();
      await c.logout();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
        await rm(dir, { recursive: true, force: true });
        throw new Error(`dovecot did not start: ${(err as Error).message}\n${log.split('\n').slice(-8).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    user,
    password,
    url: `imap://${user}:${password}@127.0.0.1:${port}/INBOX`,
    client: connect,
    async close() {
      for (const c of clients) c.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
