import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fields } from '../../src/config/schema.js';
import { configSchema } from '../../src/config/site-schema.js';
import { ERROR_CODES } from '../../src/errors.js';
import { ROOT } from '../helpers/site.js';

describe('README', () => {
  it('documents every config key with its default', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    for (const [key, spec] of fields(configSchema)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      const expected = spec.required ? '**required**' : spec.default === undefined ? '—' : `\`${JSON.stringify(spec.default)}\``;
      expect(row, key).toContain(`| ${spec.kind} | ${expected} |`);
    }
  });

  it('lists every error code with its meaning', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    for (const [code, meaning] of Object.entries(ERROR_CODES)) expect(readme).toContain(`| \`${code}\` | ${meaning} |`);
  });

  it('starts with the two quick-start commands', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const block = readme.split('```sh\n')[1]!.split('```')[0]!;
    expect(block).toContain('npm install && npx gazette build');
    expect(block).toContain('npm test');
  });
});
