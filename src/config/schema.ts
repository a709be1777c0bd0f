/**
 * A small declarative schema for `gazette.toml`. Validation reports every
 * problem at once, each with the key's dotted path; unknown keys are
 * warnings, never errors.
 */

export type Scalar = string | number | boolean;

export interface FieldSpec {
  /** `strings`: a list of strings (`tags = ["models", "tools"]`). */
  kind: 'string' | 'integer' | 'number' | 'boolean' | 'strings';
  required?: boolean;
  default?: Scalar;
  /** Returns a reason when the value is unacceptable. */
  check?: (value: never) => string | undefined;
  /** One sentence for the README's config reference. */
  doc: string;
}

export interface TableSpec {
  [key: string]: FieldSpec | TableSpec | ListSpec | MapSpec;
}

/**
 * Tables under names the author chooses (`[topics.models]`,
 * `[topics.tools]`): each checked against `of`, its name against `name`.
 * Documented as `topics.<key>.label`.
 */
export interface MapSpec {
  kind: 'map';
  of: TableSpec;
  /** Returns a reason when a name is unacceptable. */
  name: (name: string) => string | undefined;
  doc: string;
}

/**
 * A section that may be given once (`[smtp]`) or as a list of tables
 * (`[[smtp]]`): its value is always the list (empty when absent).
 */
export interface ListSpec {
  kind: 'tables';
  of: TableSpec;
  doc: string;
}

/** The TypeScript type of a field's value. */
type ValueOf<F extends FieldSpec> = F['kind'] extends 'string'
  ? string
  : F['kind'] extends 'strings'
    ? string[]
    : F['kind'] extends 'boolean'
      ? boolean
      : number;

/** Fields that always have a value after validation: required ones and those with a default. */
type Present<F> = F extends { required: true } ? true : F extends { default: Scalar } ? true : false;

type PresentKeys<S extends TableSpec> = { [K in keyof S]: S[K] extends FieldSpec ? (Present<S[K]> extends true ? K : never) : K }[keyof S];

/**
 * The validated value of a table, inferred from its schema: the schema is
 * the one declaration of the config's shape.
 */
export type Infer<S extends TableSpec> = {
  -readonly [K in PresentKeys<S>]: S[K] extends FieldSpec
    ? ValueOf<S[K]>
    : S[K] extends ListSpec
      ? Array<Infer<S[K]['of']>>
      : S[K] extends MapSpec
        ? Record<string, Infer<S[K]['of']>>
        : S[K] extends TableSpec
          ? Infer<S[K]>
          : never;
} & {
  -readonly [K in Exclude<keyof S, PresentKeys<S>>]?: S[K] extends FieldSpec ? ValueOf<S[K]> : never;
};

export interface Validation<T> {
  value: T;
  errors: string[];
  warnings: string[];
  /** Keys the schema does not know (dotted paths), with the known key each most likely meant. */
  unknown: Array<{ key: string; guess?: string }>;
}

type AnySpec = FieldSpec | TableSpec | ListSpec | MapSpec;

function isList(spec: AnySpec): spec is ListSpec {
  return (spec as ListSpec).kind === 'tables' && typeof (spec as ListSpec).of === 'object';
}

function isMap(spec: AnySpec): spec is MapSpec {
  return (spec as MapSpec).kind === 'map' && typeof (spec as MapSpec).of === 'object';
}

function isField(spec: AnySpec): spec is FieldSpec {
  return !isList(spec) && !isMap(spec) && typeof (spec as FieldSpec).kind === 'string' && typeof (spec as FieldSpec).doc === 'string';
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function checkField(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${describe(value)}`;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `expected a whole number, got ${describe(value)}`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${describe(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `expected true or false, got ${describe(value)}`;
      break;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return `expected a list of strings such as ["a", "b"], got ${describe(value)}`;
      break;
  }
  return spec.check ? spec.check(value as never) : undefined;
}

/** Check `input` against `spec`: every problem at once, each with the key's dotted path. */
export function validate<S extends TableSpec>(spec: S, input: unknown): Validation<Infer<S>> {
  return validateTable(spec, input, '') as Validation<Infer<S>>;
}

function validateTable(spec: TableSpec, input: unknown, path: string): Validation<Record<string, unknown>> {
  const out: Validation<Record<string, unknown>> = { value: {}, errors: [], warnings: [], unknown: [] };
  const table = isTable(input) ? input : {};
  for (const [key, sub] of Object.entries(spec)) {
    const keyPath = path ? `${path}.${key}` : key;
    const raw = table[key];
    if (isMap(sub)) {
      const entries: Record<string, unknown> = {};
      if (raw !== undefined && !isTable(raw)) out.errors.push(`${keyPath}: expected tables such as [${keyPath}.name], got ${describe(raw)}`);
      for (const [name, item] of Object.entries(isTable(raw) ? raw : {})) {
        const problem = sub.name(name);
        if (problem) {
          out.errors.push(`${keyPath}.${name}: ${problem}`);
          continue;
        }
        if (!isTable(item)) {
          out.errors.push(`${keyPath}.${name}: expected a table ([${keyPath}.${name}]), got ${describe(item)}`);
          continue;
        }
        const inner = validateTable(sub.of, item, `${keyPath}.${name}`);
        entries[name] = inner.value;
        out.errors.push(...inner.errors);
        out.warnings.push(...inner.warnings);
        out.unknown.push(...inner.unknown);
      }
      out.value[key] = entries;
    } else if (isList(sub)) {
      // One table, or a list of them: `[smtp]` or `[[smtp]]`, named `smtp[2]` when there are several.
      const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
      if (raw !== undefined && !isTable(raw) && !(Array.isArray(raw) && raw.every(isTable))) {
        out.errors.push(`${keyPath}: expected a table ([${keyPath}]) or a list of them ([[${keyPath}]]), got ${describe(raw)}`);
        out.value[key] = [];
        continue;
      }
      out.value[key] = items.map((item, i) => {
        const inner = validateTable(sub.of, item, Array.isArray(raw) && raw.length > 1 ? `${keyPath}[${i + 1}]` : keyPath);
        out.errors.push(...inner.errors);
        out.warnings.push(...inner.warnings);
        out.unknown.push(...inner.unknown);
        return inner.value;
      });
    } else if (isField(sub)) {
      if (raw === undefined) {
        if (sub.required) out.errors.push(`${keyPath}: required, but missing`);
        else if (sub.default !== undefined) out.value[key] = sub.default;
        continue;
      }
      const problem = checkField(sub, raw);
      if (problem) out.errors.push(`${keyPath}: ${problem}`);
      else out.value[key] = raw;
    } else {
      if (raw !== undefined && !isTable(raw)) {
        out.errors.push(`${keyPath}: expected a table ([${keyPath}]), got ${describe(raw)}`);
      }
      const inner = validateTable(sub, raw, keyPath);
      out.value[key] = inner.value;
      out.errors.push(...inner.errors);
      out.warnings.push(...inner.warnings);
      out.unknown.push(...inner.unknown);
    }
  }
  for (const key of Object.keys(table)) {
    if (key in spec) continue;
    const guess = closest(key, Object.keys(spec));
    const keyPath = path ? `${path}.${key}` : key;
    out.warnings.push(`${keyPath}: unknown key, ignored${guess ? ` (did you mean ${guess}?)` : ''}`);
    out.unknown.push({ key: keyPath, ...(guess ? { guess: path ? `${path}.${guess}` : guess } : {}) });
  }
  return out;
}

/** Flatten the schema into rows for documentation: [path, spec]. */
export function fields(spec: TableSpec, path = ''): Array<[string, FieldSpec]> {
  const rows: Array<[string, FieldSpec]> = [];
  for (const [key, sub] of Object.entries(spec)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (isField(sub)) rows.push([keyPath, sub]);
    else if (isMap(sub)) rows.push(...fields(sub.of, `${keyPath}.<key>`));
    else rows.push(...fields(isList(sub) ? sub.of : sub, keyPath));
  }
  return rows;
}

/** The known key a typo most likely meant: the same letters but for case, `-` or `_`, or at most two edits away. */
function closest(key: string, known: string[]): string | undefined {
  const plain = (k: string) => k.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = plain(candidate) === plain(key) ? 0 : distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
