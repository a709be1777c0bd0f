import { describe, expect, it } from 'vitest';
import { programPolicy } from '../helpers/system.js';

describe('suites that drive a Debian program', () => {
  it('run when it is there, skip on a developer machine without it, fail where every program is required (.ci/run)', () => {
    expect(programPolicy(true, {})).toBe('run');
    expect(programPolicy(false, {})).toBe('skip');
    expect(programPolicy(false, { GAZETTE_REQUIRE_PROGRAMS: '1' })).toBe('fail');
    expect(programPolicy(false, { CI: 'true' })).toBe('fail');
    expect(programPolicy(true, { GAZETTE_REQUIRE_PROGRAMS: '1' })).toBe('run');
  });
});
