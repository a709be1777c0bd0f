import path from 'node:path';
import { initSite, newIssue } from '../author/index.js';
import { loadConfig } from '../config/index.js';
import { EXIT } from '../errors.js';
import { displayPath, type Io, printWarnings } from './report.js';

export async function initCommand(dir: string | undefined, flags: { title?: string; language?: string; timezone?: string }, io: Io): Promise<number> {
  const result = await initSite(dir ?? '.', flags);
  const where = displayPath(result.dir) || '.';
  for (const file of result.written) io.out(`wrote ${path.join(where, file)}`);
  for (const file of result.kept) io.err(`kept ${path.join(where, file)} (it exists; init never overwrites)`);
  const cd = path.resolve(result.dir) === process.cwd() ? '' : `cd ${where} && `;
  io.out(
    `\nNext: ${cd}gazette preview --drafts   (the sample issue is a draft: it is never built or sent)\n      gazette new "Title of your first issue"\nSet site.base_url, and to send: email.from, email.postal_address, server.public_url and SMTP, in gazette.toml.`,
  );
  return EXIT.ok;
}

export async function newCommand(title: string, flags: { config?: string; slug?: string; date?: string }, io: Io): Promise<number> {
  const { config, warnings } = await loadConfig(flags.config, 'new');
  printWarnings(io, warnings);
  const { file, slug, taken } = await newIssue(config, { title, slug: flags.slug, date: flags.date });
  io.out(`Created ${displayPath(file)} (slug ${slug}${taken ? `: ${taken} is taken already` : ''}; a draft until you remove its draft line).`);
  return EXIT.ok;
}
