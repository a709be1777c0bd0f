import { isIP } from 'node:net';

/**
 * Whether a request's `Host` names the preview: `localhost`, the name it
 * listens on (`--host`), or any address written as numbers (127.0.0.1,
 * [::1], the machine's own on a network), with the port it listens on (none
 * written means 80). A page elsewhere that points its own name at 127.0.0.1
 * (DNS rebinding) sends that name as Host, and is refused: it never reads
 * the drafts.
 */
export function previewHost(listensOn: string, port: number): (host: string | undefined) => boolean {
  const names = new Set(['localhost', listensOn.toLowerCase()]);
  return (host) => {
    const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d+))?$/i.exec(host ?? '');
    if (!m) return false;
    const name = (m[1] ?? m[2]!).toLowerCase();
    const known = names.has(name) || isIP(name) !== 0;
    return known && (m[3] === undefined ? port === 80 : Number(m[3]) === port);
  };
}
