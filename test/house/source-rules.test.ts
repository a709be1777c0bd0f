import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/site.js';

/** Every TypeScript file under src/. */
function sources(dir = path.join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Calls of `.replace`/`.replaceAll` whose replacement is a string that may
 * hold `$` patterns: anything but a function or a literal without `$`. A
 * value from outside given there is read as a pattern (`$&`, `$'`), not
 * inserted verbatim (README: "What Gazette refuses, and why").
 */
function patternReplacements(file: string, text = readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^replace(All)?$/.test(node.expression.name.text) &&
      node.arguments.length === 2
    ) {
      const replacement = node.arguments[1]!;
      const safe =
        ts.isArrowFunction(replacement) ||
        ts.isFunctionExpression(replacement) ||
        ((ts.isStringLiteral(replacement) || ts.isNoSubstitutionTemplateLiteral(replacement)) && !replacement.text.includes('$')) ||
        // `$&` in a literal is a pattern on purpose (escaping a regular expression).
        ((ts.isStringLiteral(replacement) || ts.isNoSubstitutionTemplateLiteral(replacement)) && /^\\?\$&$/.test(replacement.text));
      if (!safe) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${path.relative(ROOT, file)}:${line + 1}: ${node.getText().slice(0, 80)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('house rules the code is checked against', () => {
  it('no String.replace takes a computed string as its replacement (values are inserted verbatim, with fillIn or a function)', () => {
    const found = sources().flatMap((file) => patternReplacements(file));
    expect(found).toEqual([]);
  });

  it('the check finds what it is meant to find', () => {
    const fake = `const title = process.argv[2] ?? '';
export const a = 'x'.replace('x', title);
export const b = 'x'.replaceAll('x', \`<b>\${title}</b>\`);
export const c = 'x'.replace('x', (m) => m + title);
export const d = 'x'.replace(/x/g, '$1');
export const e = 'x'.replace(/x/g, 'y');
`;
    expect(patternReplacements(path.join(ROOT, 'src', 'probe.ts'), fake).map((f) => f.replace(/^.*?:(\d+):.*$/, '$1'))).toEqual(['2', '3', '5']);
  });
});
