import { describe, expect, it } from 'vitest';
import { splitFrontMatter } from '../../../src/content/frontmatter.js';
import type { GazetteError } from '../../../src/errors.js';

describe('front matter', () => {
  it('reads TOML between +++ and keeps dates as written', () => {
    const fm = splitFrontMatter('+++\ntitle = "T"\ndate = 2026-02-23T08:00:00+08:00\nlocal = 2026-02-23T08:00:00\nday = 2026-02-23\n+++\nbody\n', 'a.md');
    expect(fm.format).toBe('toml');
    expect(fm.data).toEqual({ title: 'T', date: '2026-02-23T08:00:00.000+08:00', local: '2026-02-23T08:00:00.000', day: '2026-02-23' });
    expect(fm.body).toBe('body\n');
    expect(fm.bodyLine).toBe(7);
    expect(fm.lineOf('date')).toBe(3);
  });

  it('reads YAML between --- with dates as strings', () => {
    const fm = splitFrontMatter('---\ntitle: T\ndate: 2026-02-23\ntags: [a, b]\n---\nbody', 'a.md');
    expect(fm.data).toEqual({ title: 'T', date: '2026-02-23', tags: ['a', 'b'] });
    expect(fm.lineOf('tags')).toBe(4);
  });

  it('treats a file without front matter as all body', () => {
    expect(splitFrontMatter('# hi\n', 'a.md')).toMatchObject({ format: 'none', data: {}, body: '# hi\n' });
  });

  const failure = (text: string): GazetteError => {
    try {
      splitFrontMatter(text, 'x.md');
    } catch (err) {
      return err as GazetteError;
    }
    throw new Error('expected an error');
  };

  it('reports broken TOML with its line in the file', () => {
    const err = failure('+++\ntitle = "ok"\ndate = = 2026\n+++\n');
    expect(err.format()).toMatch(/^x\.md:3:\d+: invalid TOML front matter: /);
  });

  it('reports broken YAML with its line in the file', () => {
    const err = failure('---\ntitle: ok\ntags: [a, b\ndate: 2026-01-01\n---\n');
    expect(err.format()).toMatch(/^x\.md:\d+:\d+: invalid YAML front matter: /);
    expect(err.place.line).toBeGreaterThanOrEqual(3);
    expect(failure('---\ntitle: a\ntitle: b\n---\n').format()).toMatch(/^x\.md:3:\d+: invalid YAML front matter: .*unique/i);
  });

  it('reports front matter that is never closed', () => {
    expect(failure('+++\ntitle = "x"\n\nbody').format()).toBe('x.md:1: front matter opened with +++ is never closed (expected a line with +++)');
    expect(failure('---\ntitle: x\n').format()).toContain('never closed');
  });

  it('rejects YAML front matter that is not a mapping', () => {
    expect(failure('---\n- a\n- b\n---\n').format()).toContain('must be a mapping');
  });
});
