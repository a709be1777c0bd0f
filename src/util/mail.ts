/** Small facts about mail servers shared by sending and by reading what comes back. */

/** A server on this machine: nobody can listen in, so its certificate is not checked and a password may cross in clear. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The enhanced status code (RFC 3463) in a server's words: `5.1.1` in `550 5.1.1 <a@b>: user unknown` or qmail's `(#5.1.1)`. */
export function enhancedStatus(text: string | undefined): string | undefined {
  const m = text ? /(?:^|[\s(#;:[])([245])\.(\d{1,3})\.(\d{1,3})(?=$|[\s).;:,\]])/.exec(text) : null;
  return m ? `${m[1]}.${m[2]}.${m[3]}` : undefined;
}
