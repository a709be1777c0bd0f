import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type HandlebarsModule from 'handlebars';
import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { readUserFile } from '../util/paths.js';

export interface EmailTemplate {
  /** Absolute path of the template file. */
  file: string;
  source: string;
  fill(context: object): string;
}

let handlebars: typeof HandlebarsModule | undefined;

/**
 * Handlebars, loaded on first use, from its one-file build (the package's
 * main file loads forty modules and source-map, three times slower, for
 * the same compiler and runtime): a build whose pages are all unchanged
 * fills no template.
 */
function loadHandlebars(): typeof HandlebarsModule {
  handlebars ??= createRequire(import.meta.url)('handlebars/dist/handlebars.min.js') as typeof HandlebarsModule;
  return handlebars;
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
  const hbs = loadHandlebars().create();
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

/**
 * Read a template; it is compiled when first filled (with the same errors
 * as compileTemplate's). A template that is not filled, because everything
 * made from it is unchanged (the caches key on its source), costs no
 * compiling, nor loading Handlebars.
 */
export async function loadTemplate(file: string, what = 'email template'): Promise<EmailTemplate> {
  const source = (await readUserFile(file, 'TEMPLATE', `the ${what}`, `${what} not found`)).toString('utf8').replace(/^\uFEFF/, '');
  let compiled: EmailTemplate | undefined;
  return {
    file,
    source,
    fill: (context) => {
      compiled ??= compileTemplate(source, file, what);
      return compiled.fill(context);
    },
  };
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
  return existsSync(local) ? local : path.join(BUNDLED_TEMPLATES, name);
}
