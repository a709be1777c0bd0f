import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/index.js';
import { completeRollups, type Issue, isoWeek, rollupOfWeek } from '../../../src/content/index.js';

const site = (timezone: string, language = 'en') =>
  ({ title: 'Digest', baseUrl: 'https://d.example/', language, timezone, author: { name: 'A' } }) as unknown as Config['site'];
const config = (timezone: string, rollup: Partial<Config['rollup']> = {}, language = 'en') => ({
  site: site(timezone, language),
  rollup: { title: undefined, startsOn: 1, hour: 0, ...rollup },
});
const issue = (iso: string, title = iso) => ({ title, date: new Date(iso), summary: '', url: `https://d.example/${title}/` }) as unknown as Issue;

describe('weekly roll-ups', () => {
  it('names weeks by ISO 8601, across year ends', () => {
    expect(isoWeek(new Date('2026-11-23T00:00:00Z'))).toBe('2026-W48');
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toBe('2020-W53');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
  });

  it('a week runs Monday 00:00 to Monday 00:00 in the site zone, and holds the issues dated in it', () => {
    const issues = [
      issue('2026-11-22T23:59:00+08:00', 'sun-before'),
      issue('2026-11-23T00:00:00+08:00', 'mon'),
      issue('2026-11-29T23:59:59+08:00', 'sun'),
      issue('2026-11-30T00:00:00+08:00', 'next'),
    ];
    const r = rollupOfWeek('2026-W48', issues, config('Asia/Shanghai'));
    expect(r.start.toISOString()).toBe('2026-11-22T16:00:00.000Z');
    expect(r.end.toISOString()).toBe('2026-11-29T16:00:00.000Z');
    expect(r.issues.map((i) => i.title)).toEqual(['mon', 'sun']);
    expect(r).toMatchObject({
      key: 'weekly-2026-W48',
      slug: '2026-w48',
      url: 'https://d.example/weekly/2026-w48/',
      title: 'Digest: the week of November 23, 2026',
    });
    expect(r.id).toBe('tag:d.example,2026-11-23:weekly/2026-w48');
  });

  it('starts_on and hour move the week; a week across a daylight-saving change is 167 hours long', () => {
    const sunday6 = rollupOfWeek('2026-W10', [], config('America/New_York', { startsOn: 0, hour: 6 }));
    // ISO week 10 of 2026 is 2–8 March; its Sunday is the 8th, and New York springs forward at 2:00 that day.
    expect(sunday6.start.toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(sunday6.end.toISOString()).toBe('2026-03-15T10:00:00.000Z');
    const monday = rollupOfWeek('2026-W10', [], config('America/New_York'));
    expect(monday.start.toISOString()).toBe('2026-03-02T05:00:00.000Z');
    expect(monday.end.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect((monday.end.getTime() - monday.start.getTime()) / 3_600_000).toBe(167);
  });

  it('complete roll-ups: every week ended by now with an issue, newest first; the current week is not one', () => {
    const c = config('UTC');
    const issues = [
      issue('2026-11-02T09:00:00Z', 'a'),
      issue('2026-11-04T09:00:00Z', 'b'),
      issue('2026-11-18T09:00:00Z', 'c'),
      issue('2026-11-24T09:00:00Z', 'd'),
    ];
    const weeks = completeRollups(issues, c, new Date('2026-11-25T00:00:00Z'));
    expect(weeks.map((w) => [w.week, w.issues.map((i) => i.title)])).toEqual([
      ['2026-W47', ['c']],
      ['2026-W45', ['a', 'b']],
    ]);
    // The Monday after, at the hour it begins, the week is complete.
    expect(completeRollups(issues, c, new Date('2026-11-30T00:00:00Z'))[0]!.week).toBe('2026-W48');
  });

  it('a title pattern of the author, in the site language by default, values inserted as they are', () => {
    expect(rollupOfWeek('2026-W48', [], config('UTC', { title: '{site} $& {week} {from}–{to}' })).title).toBe(
      'Digest $& 2026-W48 November 23, 2026–November 29, 2026',
    );
    expect(rollupOfWeek('2026-W48', [], config('Asia/Shanghai', {}, 'zh-CN')).title).toBe('Digest · 2026年11月23日–2026年11月29日 一周合集');
  });

  it('refuses a week that is not one', () => {
    expect(() => rollupOfWeek('2026-48', [], config('UTC'))).toThrow('is not an ISO week such as 2026-W48');
    expect(() => rollupOfWeek('2027-W53', [], config('UTC'))).toThrow('2027 has no week 53');
    expect(rollupOfWeek('2026-W53', [], config('UTC')).start.toISOString()).toBe('2026-12-28T00:00:00.000Z');
    expect(rollupOfWeek('2020-W53', [], config('UTC')).start.toISOString()).toBe('2020-12-28T00:00:00.000Z');
  });
});
