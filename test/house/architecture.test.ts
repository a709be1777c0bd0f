import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/site.js';

/**
 * The rules of the house (ARCHITECTURE.md), kept by a test: which rooms
 * (folders of src/) each room may import, read from the table in
 * ARCHITECTURE.md itself, so the document and the code cannot drift apart.
 */
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Every module a file imports, re-exports or loads with import(), resolved to a path under src/ (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm)].map((m) => m[1]!);
  return specifiers.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** The room a file is in: its first folder under src/, or '' for a file at the top (errors.ts). */
const roomOf = (file: string) => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : '';
};

/** The table "Rooms" in ARCHITECTURE.md: room → the rooms it may import. */
function houseRules(): Map<string, Set<string>> {
  const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const rules = new Map<string, Set<string>>();
  for (const m of doc.matchAll(/^\| `([a-z0-9]+)\/` \|[^|]+\|([^|]*)\|$/gm)) {
    rules.set(m[1]!, new Set([...m[2]!.matchAll(/`([a-z0-9]+)\/`/g)].map((x) => x[1]!)));
  }
  return rules;
}

describe('the rules of the house (ARCHITECTURE.md)', () => {
  const files = sourceFiles();
  const rules = houseRules();

  it('names every room of src/ in its table', () => {
    const rooms = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(rooms.sort()).toEqual([...rules.keys()].sort());
  });

  it('every import stays in its room or goes to a room the table allows', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      for (const target of importsOf(file)) {
        const to = roomOf(target);
        if (to === from || to === '' || from === '') continue;
        if (!rules.get(from)?.has(to)) wrong.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)} (${from}/ may not import ${to}/)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('another room is entered only through its index.ts, its public face (util/ has none: its files are imported one by one)', () => {
    const rooms = new Set(files.filter((f) => path.basename(f) === 'index.ts' && roomOf(f) !== 'cli').map(roomOf));
    const sideways: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        const to = roomOf(target);
        if (to !== roomOf(file) && rooms.has(to) && path.basename(target) !== 'index.ts')
          sideways.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}`);
      }
    }
    expect(sideways).toEqual([]);
  });

  it('no two files import each other, and no circle of imports runs through the rooms', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
    const pairs = files.flatMap((a) =>
      graph
        .get(a)!
        .filter((b) => b > a && graph.get(b)!.includes(a))
        .map((b) => `${path.relative(SRC, a)} ⇄ ${path.relative(SRC, b)}`),
    );
    expect(pairs).toEqual([]);
    // Between rooms: the table itself allows no circle.
    const seen = new Set<string>();
    const circle = (room: string, trail: string[]): string[] | undefined => {
      if (trail.includes(room)) return [...trail.slice(trail.indexOf(room)), room];
      if (seen.has(room)) return undefined;
      for (const next of rules.get(room) ?? []) {
        const found = circle(next, [...trail, room]);
        if (found) return found;
      }
      seen.add(room);
      return undefined;
    };
    for (const room of rules.keys()) expect(circle(room, []), room).toBeUndefined();
  });

  it('reads the environment only in cli/ and config/', () => {
    const readers = files.filter((f) => !['cli', 'config'].includes(roomOf(f)) && /\bprocess\.env\b/.test(readFileSync(f, 'utf8')));
    expect(readers.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('index.ts files only re-export', () => {
    const busy = files
      .filter((f) => path.basename(f) === 'index.ts' && roomOf(f) !== 'cli')
      .filter((f) =>
        readFileSync(f, 'utf8')
          .replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
          .replace(/export\s+(type\s+)?(\{[^}]*\}|\*)\s+from\s+'[^']+';/g, '')
          .trim(),
      );
    expect(busy.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
