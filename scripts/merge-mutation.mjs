#!/usr/bin/env node
// Merge StrykerJS reports (mutation-testing-elements JSON: incremental files or mutation.json) of
// runs over different modules into one, so that `npm run mutate` starts from all of them:
//   node scripts/merge-mutation.mjs reports/stryker-incremental.json reports/inc-a.json reports/inc-b.json …
// A first run of every module takes hours on two cores; run it in batches (`npx stryker run --mutate
// FILES --incrementalFile reports/inc-NAME.json`), each kept when it ends, then merge them here.
// Test and mutant ids are numbers local to each run: tests are matched by file and name, given new
// ids, and every mutant's coveredBy and killedBy are mapped to them. A later report wins for a file.
// Files that moved since a run (source or test) are named with `--renames MOVES.json`, a map of old
// path to new path, so their results carry over to where they are now.
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const at = args.indexOf('--renames');
const renames = at === -1 ? {} : JSON.parse(readFileSync(args.splice(at, 2)[1], 'utf8'));
const moved = (file) => renames[file] ?? file;
const [out, ...inputs] = args;
if (!out || inputs.length === 0) {
  console.error('usage: node scripts/merge-mutation.mjs [--renames MOVES.json] OUT.json IN.json [IN.json…]');
  process.exit(2);
}

const merged = { files: {}, testFiles: {} };
/** `file\nname` → new id. */
const testIds = new Map();
const idOf = (file, name) => {
  const key = `${file}\n${name}`;
  if (!testIds.has(key)) testIds.set(key, String(testIds.size));
  return testIds.get(key);
};
let mutantId = 0;

for (const input of inputs) {
  const report = JSON.parse(readFileSync(input, 'utf8'));
  for (const key of ['schemaVersion', 'thresholds', 'projectRoot', 'config', 'framework']) if (report[key] !== undefined) merged[key] = report[key];
  /** This run's test id → the merged one. */
  const local = new Map();
  for (const [before, { tests, source }] of Object.entries(report.testFiles ?? {})) {
    const file = moved(before);
    const known = merged.testFiles[file] ?? { tests: [], ...(source === undefined ? {} : { source }) };
    for (const test of tests) {
      const id = idOf(file, test.name);
      local.set(test.id, id);
      if (!known.tests.some((t) => t.id === id)) known.tests.push({ ...test, id });
    }
    if (source !== undefined) known.source = source;
    merged.testFiles[file] = known;
  }
  const map = (ids) => ids?.map((id) => local.get(id)).filter((id) => id !== undefined);
  for (const [before, entry] of Object.entries(report.files)) {
    merged.files[moved(before)] = {
      ...entry,
      mutants: entry.mutants.map((m) => ({
        ...m,
        id: String(mutantId++),
        ...(m.coveredBy ? { coveredBy: map(m.coveredBy) } : {}),
        ...(m.killedBy ? { killedBy: map(m.killedBy) } : {}),
      })),
    };
  }
}

writeFileSync(out, `${JSON.stringify(merged)}\n`);
const counts = Object.entries(merged.files).map(([file, { mutants }]) => `${file} ${mutants.length}`);
console.log(`merged ${inputs.length} reports into ${out}: ${counts.length} files, ${testIds.size} tests\n  ${counts.join('\n  ')}`);
