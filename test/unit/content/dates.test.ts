import { describe, expect, it } from 'vitest';
import { parseDate } from '../../../src/content/index.js';
import { rfc822, rfc3339, zoneOffset } from '../../../src/util/time.js';

describe('parseDate', () => {
  it('reads an offset date-time as written', () => {
    expect(parseDate('2026-02-23T08:00:00+08:00', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('2026-02-23T08:00:00Z', 'Asia/Shanghai')?.toISOString()).toBe('2026-02-23T08:00:00.000Z');
    expect(parseDate('2026-02-23 08:00:00 -0500', 'UTC')?.toISOString()).toBe('2026-02-23T13:00:00.000Z');
    expect(parseDate('2026-02-23T08:00:00.250+08:00', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.250Z');
  });

  it('reads local date-times and bare dates in the site time zone', () => {
    expect(parseDate('2026-02-23T08:00:00', 'Asia/Shanghai')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('2026-02-23 08:00', 'Asia/Shanghai')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('2026-02-23', 'Asia/Shanghai')?.toISOString()).toBe('2026-02-22T16:00:00.000Z');
    expect(parseDate('2026-02-23', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
  });

  it('follows daylight saving time', () => {
    // New York: EST (-05:00) in January, EDT (-04:00) in July.
    expect(parseDate('2026-01-15T12:00:00', 'America/New_York')?.toISOString()).toBe('2026-01-15T17:00:00.000Z');
    expect(parseDate('2026-07-15T12:00:00', 'America/New_York')?.toISOString()).toBe('2026-07-15T16:00:00.000Z');
  });

  it('reads the other forms tools write', () => {
    expect(parseDate('2026/02/23', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('2026-2-3 8:05', 'UTC')?.toISOString()).toBe('2026-02-03T08:05:00.000Z');
    expect(parseDate('2026-02-23 08:00:00 +0800 CST', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('Mon, 23 Feb 2026 08:00:00 +0800', 'UTC')?.toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(parseDate('23 Feb 2026 08:00 GMT', 'Asia/Shanghai')?.toISOString()).toBe('2026-02-23T08:00:00.000Z');
  });

  it('rejects what is not a date', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-02-23T25:00', '23/02/2026', '2026-02-23T08:00:00+25:00', '']) {
      expect(parseDate(bad, 'UTC'), bad).toBeUndefined();
    }
  });
});

describe('formatting', () => {
  const d = new Date('2026-02-23T00:00:00Z');
  it('writes RFC 822 with a numeric offset', () => {
    expect(rfc822(d, 'Asia/Shanghai')).toBe('Mon, 23 Feb 2026 08:00:00 +0800');
    expect(rfc822(d, 'UTC')).toBe('Mon, 23 Feb 2026 00:00:00 +0000');
    expect(rfc822(d, 'America/New_York')).toBe('Sun, 22 Feb 2026 19:00:00 -0500');
  });
  it('writes RFC 3339', () => {
    expect(rfc3339(d, 'Asia/Shanghai')).toBe('2026-02-23T08:00:00+08:00');
    expect(rfc3339(d, 'Asia/Kolkata')).toBe('2026-02-23T05:30:00+05:30');
  });
});

describe('zoneOffset', () => {
  /** The offset the slow, plain way: every part of the wall clock from formatToParts. */
  const reference = (ms: number, timeZone: string) => {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
    return Math.round((Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000) / 60000);
  };

  it('is the zone’s offset at every instant: daylight saving, half and quarter hours, old local mean times, far dates', () => {
    const zones = [
      'UTC',
      'Asia/Shanghai',
      'America/New_York',
      'Europe/London',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Asia/Kolkata',
      'America/St_Johns',
      'Pacific/Chatham',
      'Africa/Monrovia',
    ];
    const instants = [
      Date.UTC(1890, 0, 1),
      Date.UTC(1971, 11, 31, 23, 59, 59),
      Date.UTC(2026, 2, 8, 6, 59, 59),
      Date.UTC(2026, 2, 8, 7),
      Date.UTC(2026, 10, 1, 5, 30),
      Date.UTC(2099, 6, 1, 12, 0, 0, 999),
    ];
    for (let day = 0; day < 800; day += 3) instants.push(Date.UTC(2025, 0, 1) + day * 86_400_000 + day * 3_600_000);
    for (const zone of zones) {
      for (const ms of instants) expect(zoneOffset(ms, zone), `${zone} ${new Date(ms).toISOString()}`).toBe(reference(ms, zone));
    }
  });
});
