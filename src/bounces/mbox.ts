/**
 * The messages of an mbox, read as a stream (an mbox may hold years of
 * mail): a message starts at a `From ` line at the top of the file or
 * after a blank line; `>From ` lines are unescaped (mboxrd, which also
 * reads mboxo correctly for the lines that matter here). Hand-made: the
 * mbox libraries on npm are unmaintained, and this is the whole format.
 */
export async function* mboxMessages(chunks: AsyncIterable<Buffer | string>, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  let message: Buffer[] = [];
  let size = 0;
  // A message over `limit` bytes is not kept: it comes out empty (its size alone says it is no report).
  const whole = () => (size > limit ? Buffer.alloc(0) : Buffer.concat(message));
  let rest = Buffer.alloc(0);
  let previousBlank = true;
  let started = false;
  const line = function* (l: Buffer): Generator<Buffer> {
    const isFrom = l.length >= 5 && l.subarray(0, 5).toString('latin1') === 'From ';
    if (isFrom && previousBlank) {
      if (started && message.length) yield whole();
      message = [];
      size = 0;
      started = true;
      previousBlank = false;
      return;
    }
    const unescaped = /^>+From /.test(l.subarray(0, 64).toString('latin1')) ? l.subarray(1) : l;
    size += unescaped.length;
    if (size <= limit) message.push(unescaped);
    previousBlank = l.length <= 2 && /^\r?\n$/.test(l.toString('latin1'));
  };
  for await (const chunk of chunks) {
    let data = rest.length ? Buffer.concat([rest, Buffer.from(chunk)]) : Buffer.from(chunk);
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10)) {
      yield* line(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    rest = Buffer.from(data);
  }
  if (rest.length) yield* line(rest);
  if (started && message.length) yield whole();
}

/** Whether a file's first bytes are an mbox's: a `From ` line. */
export const isMbox = (head: Buffer): boolean => head.subarray(0, 5).toString('latin1') === 'From ';
