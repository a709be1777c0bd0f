import { createRequire } from 'node:module';
import { parse as parseToml, TomlDate, TomlError } from 'smol-toml';
import { GazetteError } from '../errors.js';

export interface FrontMatter {
  format: 'toml' | 'yaml' | 'none';
  data: Record<string, unknown>;
  /** The Markdown after the closing delimiter. */
  body: string;
  /** 1-based line number of the body's first line in the file. */
  bodyLine: number;
  /** 1-based line of a top-level key in the file, when it can be found. */
  lineOf(key: string): number | undefined;
}

const DELIMITERS: Record<string, 'toml' | 'yaml'> = { '+++': 'toml', '---': 'yaml' };

/**
 * Split a file (BOM and CRLF already removed) into front matter and body,
 * and parse the front matter. Throws a GazetteError with the file's line.
 */
export function splitFrontMatter(text: string, file: string): FrontMatter {
  const firstBreak = text.indexOf('\n');
  const first = (firstBreak === -1 ? text : text.slice(0, firstBreak)).trimEnd();
  const format = DELIMITERS[first];
  if (!format) {
    return { format: 'none', data: {}, body: text, bodyLine: 1, lineOf: () => undefined };
  }
  const lines = text.split('\n');
  let close = -1;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trimEnd() === first) {
      close = i;
      break;
    }
  }
  if (close === -1) {
    throw new GazetteError('CONTENT', `front matter opened with ${first} is never closed (expected a line with ${first})`, { file, line: 1 });
  }
  const source = lines.slice(1, close).join('\n');
  const body = lines.slice(close + 1).join('\n');
  const data = format === 'toml' ? parseTomlFrontMatter(source, file) : parseYamlFrontMatter(source, file);
  const lineOf = (key: string): number | undefined => {
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = format === 'toml' ? new RegExp(`^\\s*["']?${escaped}["']?\\s*=`, 'i') : new RegExp(`^["']?${escaped}["']?\\s*:`, 'i');
    const index = lines.slice(1, close).findIndex((l) => re.test(l));
    return index === -1 ? undefined : index + 2;
  };
  return { format, data, body, bodyLine: close + 2, lineOf };
}

/** Front matter starts on the file's line 2. */
const OFFSET = 1;

function parseTomlFrontMatter(source: string, file: string): Record<string, unknown> {
  try {
    return normalizeToml(parseToml(source)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new GazetteError('CONTENT', `invalid TOML front matter: ${reason}`, { file, line: err.line + OFFSET, column: err.column });
    }
    throw err;
  }
}

/** TOML dates become strings in their written form, so YAML and TOML agree. */
function normalizeToml(value: unknown): unknown {
  if (value instanceof TomlDate) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalizeToml);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeToml(v)]));
  }
  return value;
}

/** The YAML parser, loaded (synchronously, from its CommonJS build) only when a file has YAML front matter. */
let yaml: typeof import('yaml') | undefined;
const loadYaml = (): typeof import('yaml') => (yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

function parseYamlFrontMatter(source: string, file: string): Record<string, unknown> {
  const { isMap, parseDocument } = loadYaml();
  // The core schema keeps timestamps as strings: dates are parsed by Gazette.
  const doc = parseDocument(source, { schema: 'core', prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '');
    throw new GazetteError('CONTENT', `invalid YAML front matter: ${reason}`, {
      file,
      line: pos ? pos.line + OFFSET : 1,
      column: pos?.col,
    });
  }
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) {
    throw new GazetteError('CONTENT', 'front matter must be a mapping of keys to values', { file, line: 2 });
  }
  try {
    // Aliases are expanded at most 100 times: a "billion laughs" document is refused, not expanded.
    return doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (err) {
    throw new GazetteError('CONTENT', `invalid YAML front matter: ${(err as Error).message.split('\n')[0]}`, { file, line: 2 });
  }
}
