import { loadConfig } from '../config/index.js';
import { EXIT } from '../errors.js';
import { viewRollup } from '../send/index.js';
import { rfc3339 } from '../util/time.js';
import { type Io, plural, printWarnings } from './report.js';

/** `gazette rollup [--week 2026-W48]`: the week's edition, its issues, and who it goes to; nothing is sent. */
export async function rollupCommand(flags: { config?: string; week?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, 'rollup', { env });
  printWarnings(io, warnings);
  const { rollup, complete, owed } = await viewRollup(config, flags.week);
  const zone = config.site.timezone;
  io.out(`${rollup.week}: “${rollup.title}”, ${rfc3339(rollup.start, zone)} to ${rfc3339(rollup.end, zone)}`);
  if (rollup.issues.length === 0) {
    io.out('No issue was published that week: there is no roll-up to send.');
    return EXIT.ok;
  }
  for (const issue of rollup.issues) io.out(`  ${rfc3339(issue.date, zone).slice(0, 10)}  ${issue.title}  ${issue.url}`);
  io.out(`Page: ${rollup.url} (written by \`gazette build\`).`);
  io.out(
    complete
      ? `Owed to ${plural(owed, 'weekly reader')}: \`gazette send --rollup ${rollup.week}\` (or \`send --pending\`) mails it.`
      : `The week ends at ${rfc3339(rollup.end, zone)}: \`gazette send --pending\` mails it after that.`,
  );
  return EXIT.ok;
}
