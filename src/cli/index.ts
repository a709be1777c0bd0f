import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { buildCommand } from './build.js';
import { type Io, processIo, reportError } from './report.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const CONFIG_HELP = 'site config file; paths in it are relative to its folder';

function program(io: Io, setCode: (code: number) => void): Command {
  const root = new Command('gazette')
    .description('Publish a Markdown digest as RSS, Atom and JSON feeds, and as email.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const withConfig = (cmd: Command) =>
    cmd.addOption(new Option('-c, --config <path>', CONFIG_HELP).default('gazette.toml')).exitOverride();

  withConfig(root.command('build'))
    .description('read content/, write the feeds and pages to out/ (replaced whole, or left untouched on error)')
    .option('--drafts', 'include issues marked draft = true', false)
    .option('--future', 'include issues dated in the future', false)
    .action(async (flags) => setCode(await buildCommand(flags, io)));

  return root;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  try {
    await program(io, (c) => (code = c)).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    return reportError(err, io);
  }
}
