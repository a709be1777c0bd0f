import { loadConfig, postgresLocation } from '../config/index.js';
import { EXIT, GazetteError } from '../errors.js';
import { copyList } from '../store/index.js';
import { displayPath, type Io, printWarnings } from './report.js';
import { alignedTable } from './table.js';

/**
 * `gazette db copy --to postgres://…`: the SQLite list gazette.toml names,
 * whole, into a new PostgreSQL database. The target is `--to`, else
 * `GAZETTE_DATABASE_URL`; its password may come from the URL or from
 * `PGPASSWORD`, and is never printed.
 */
export async function copyCommand(flags: { config?: string; to?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { GAZETTE_DATABASE_URL: fromEnv, ...rest } = env;
  const url = flags.to?.trim() || fromEnv?.trim();
  if (!url)
    throw new GazetteError('USAGE', 'name the PostgreSQL database to copy the list to: --to postgres://user@host:5432/database (or set GAZETTE_DATABASE_URL)');
  const target = postgresLocation(url, flags.to ? '--to' : 'GAZETTE_DATABASE_URL');
  // The source is the SQLite file in gazette.toml, whatever GAZETTE_DATABASE_URL says (it names the target here).
  const { config, warnings } = await loadConfig(flags.config, 'db copy', { env: rest });
  printWarnings(io, warnings);
  const source = config.subscribers.database;
  const { counts } = await copyList(source, target);
  io.out(`Copied the list from ${source.kind === 'sqlite' ? displayPath(source.file) : source.where} to ${target.where}; every table counted alike:`);
  for (const line of alignedTable(
    ['table', 'rows'],
    Object.entries(counts).map(([table, n]) => [table, String(n)]),
    [false, true],
  ))
    io.out(`  ${line}`);
  const secret = config.subscribers.secret;
  io.out(
    `Next: point gazette.toml at it (subscribers.database = "${target.where}") or set GAZETTE_DATABASE_URL, and give every send and serve the same secret as before${
      config.tokenSecret ? ' (GAZETTE_SECRET, as now)' : secret ? ` (GAZETTE_SECRET_FILE=${displayPath(secret)}, copied to each machine)` : ''
    }, so the links in mail already sent keep working. The SQLite file is left as it was.`,
  );
  return EXIT.ok;
}
