import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { readUserFile } from '../util/paths.js';

export interface EmailTemplate {
  /** Absolute path of the template file. */
  file: string;
  source: string;
  fill(context: object): string;
}

/** `... - 12:4` or `Parse error on line 12:` in Handlebars' messages. */
function lineOf(message: string): { line?: number; column?: number } {
  const parse = /on line (\d+)/.exec(message);
  if (parse) return { line: Number(parse[1]) };
  const runtime = / - (\d+):(\d+)$/.exec(message);
  if (runtime) return { line: Number(runtime[1]), column: Number(runtime[2]) + 1 };
  return {};
}

function reason(message: string): string {
  const first = message.split('\n')[0]!.replace(/ - \d+:\d+$/, '');
  return first.replace(/^Parse error on line \d+:?/, 'syntax error').trim() || 'syntax error';
}

/**
 * Compile a template with Handlebars: `{{value}}` is HTML-escaped, only
 * `{{{body}}}` (already sanitized HTML) is inserted as it is. Strict mode:
 * a misspelt variable is an error naming the template's line, not an empty
 * string in 10,000 inboxes.
 */
export function compileTemplate(source: string, file: string, what = 'email template'): EmailTemplate {
  const hbs = Handlebars.create();
  let render: Handlebars.TemplateDelegate;
  try {
    render = hbs.compile(source, { strict: true, noEscape: false });
    // Compile now, so that a syntax error surfaces here rather than at the first issue.
    hbs.precompile(source, { strict: true });
  } catch (err) {
    const message = (err as Error).message;
    throw new GazetteError('TEMPLATE', `${what}: ${reason(message)}`, { file, ...lineOf(message) });
  }
  return {
    file,
    source,
    fill(context) {
      try {
        return render(context);
      } catch (err) {
        const message = (err as Error).message;
        throw new GazetteError('TEMPLATE', `${what}: ${reason(message)}`, { file, ...lineOf(message) });
      }
    },
  };
}

export async function loadTemplate(file: string, what = 'email template'): Promise<EmailTemplate> {
  const source = (await readUserFile(file, 'TEMPLATE', `the ${what}`, `${what} not found`)).toString('utf8');
  return compileTemplate(source.replace(/^\uFEFF/, ''), file, what);
}

/** The templates Gazette ships (the project's own `email-templates/`). */
export const BUNDLED_TEMPLATES = fileURLToPath(new URL('../../email-templates/', import.meta.url));
export const BUNDLED_TEMPLATE = path.join(BUNDLED_TEMPLATES, 'issue.mjml');

/**
 * The template a site uses for `name` (`issue.mjml`, `confirm.mjml`):
 * for the issue, `email.template` if set; else `email-templates/<name>`
 * beside the config, if there is one; else the bundled one.
 */
export async function templatePath(config: Config, name = 'issue.mjml'): Promise<string> {
  if (name === 'issue.mjml' && config.email.template) return config.email.template;
  const local = path.join(config.root, 'email-templates', name);
  return access(local).then(
    () => local,
    () => path.join(BUNDLED_TEMPLATES, name),
  );
}
