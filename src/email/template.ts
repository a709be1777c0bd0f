import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type HandlebarsModule from 'handlebars';
import type { Config } from '../config/index.js';
import { GazetteError } from '../errors.js';
import { guardOf, publishable } from '../util/files.js';
import { readUserFile } from '../util/user-files.js';

export interface EmailTemplate {
  /** Absolute path of the template file. */
  file: string;
  source: string;
  fill(context: object): string;
}

let handlebars: typeof HandlebarsModule | undefined;
let runtime: typeof HandlebarsModule | undefined;

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

interface Precompiled {
  version: string;
  templates: Record<string, TemplateSpecification>;
}
let shipped: Precompiled | null | undefined;

/**
 * Gazette's own templates as Handlebars compiled them when Gazette was
 * built (`dist/bundle/precompiled-templates.cjs`, see scripts/bundle.mjs),
 * for the one whose source is `source`, if any: filling one needs only
 * Handlebars' runtime, not its compiler, which takes a fiftieth of a second
 * per template. Only for the Handlebars version they were compiled by.
 */
function precompiled(source: string): TemplateSpecification | undefined {
  if (shipped === undefined) {
    const require = createRequire(import.meta.url);
    try {
      const found = require('./precompiled-templates.cjs') as Precompiled;
      const version = (require('handlebars/package.json') as { version: string }).version;
      shipped = found.version === version ? found : null;
    } catch {
      // Not bundled (the TypeScript sources), or not built: compiled as any template.
      shipped = null;
    }
  }
  return shipped?.templates[createHash('sha256').update(source).digest('hex')];
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
  let render: Handlebars.TemplateDelegate;
  try {
    const spec = precompiled(source);
    if (spec) {
      runtime ??= createRequire(import.meta.url)('handlebars/dist/handlebars.runtime.min.js') as typeof HandlebarsModule;
      render = runtime.create().template(spec);
    } else {
      const hbs = loadHandlebars().create();
      render = hbs.compile(source, { strict: true, noEscape: false });
      // Compile now, so that a syntax error surfaces here rather than at the first issue.
      hbs.precompile(source, { strict: true });
    }
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
export async function loadTemplate(file: string, what = 'email template', never?: Config['neverPublished']): Promise<EmailTemplate> {
  // A template is published in every page or email: never one of Gazette's private files by another name.
  const refused = never && publishable(guardOf(never), file);
  if (refused) throw new GazetteError('TEMPLATE', `the ${what} is not a template: ${refused}`, { file });
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
export async function templatePath(config: Pick<Config, 'email' | 'root'>, name = 'issue.mjml'): Promise<string> {
  if (name === 'issue.mjml' && config.email.template) return config.email.template;
  const local = path.join(config.root, 'email-templates', name);
  return existsSync(local) ? local : path.join(BUNDLED_TEMPLATES, name);
}
