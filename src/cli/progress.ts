import type { Progress } from '../send/index.js';

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(sec).padStart(2, '0')}`;
}

export function progressLine(p: Progress, verb = 'sent'): string {
  const done = p.sent + p.failed + p.deferred + p.skipped;
  const elapsed = (Date.now() - p.startedAt) / 1000;
  const rate = elapsed > 0 ? (p.sent + p.failed + p.deferred) / elapsed : 0;
  const eta = rate > 0 ? (p.total - done) / rate : Infinity;
  const pass = p.pass > 1 ? ` (retry pass ${p.pass - 1})` : '';
  // With other workers on the campaign, the total is the campaign's and the counts this worker's.
  const workers = p.workers > 1 ? `, ${p.workers} workers on the campaign` : '';
  return `${done}/${p.total}${pass}: ${verb} ${p.sent}, deferred ${p.deferred}, failed ${p.failed}, ${rate.toFixed(1)}/s, ETA ${clock(eta)}${workers}`;
}

/**
 * A progress bar redrawn in place on a terminal; on anything else, a plain
 * line every few seconds.
 */
export function progressReporter(stream: NodeJS.WriteStream, tty: boolean, verb = 'sent') {
  let last = Date.now();
  let drawn = false;
  return {
    update(p: Progress) {
      const t = Date.now();
      if (tty) {
        if (t - last < 100) return;
        last = t;
        const done = p.sent + p.failed + p.deferred + p.skipped;
        const width = 24;
        const filled = p.total ? Math.min(width, Math.round((done / p.total) * width)) : width;
        stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progressLine(p, verb)}`);
        drawn = true;
      } else if (t - last >= 5000) {
        last = t;
        stream.write(`${progressLine(p, verb)}\n`);
      }
    },
    end() {
      if (tty && drawn) stream.write('\r\x1b[2K');
    },
  };
}
