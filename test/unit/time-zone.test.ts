/**
 * Exchange time (src/core/time-zone.ts): wall-clock readings on a day in a zone, with the days
 * clocks change. Expected instants are written out by hand from the zone's rules.
 */
import { describe, expect, it } from 'vitest';
import { checkTimeZone, dayClock, formatLocalNs, localDate, wallToNs } from '../../src/core/time-zone.js';

const NY = 'America/New_York';
const ns = (iso: string, frac = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + frac;

describe('dayClock', () => {
  it('a summer day in New York is one span at -04:00, a winter day one at -05:00', () => {
    expect(dayClock('2012-06-21', NY)).toEqual({ spans: [{ from: 0, to: 86400, offset: -14400 }], skipped: [], repeated: [] });
    expect(dayClock('2012-01-03', NY)).toEqual({ spans: [{ from: 0, to: 86400, offset: -18000 }], skipped: [], repeated: [] });
  });
  it('the day clocks go forward skips 02:00 to 03:00', () => {
    expect(dayClock('2012-03-11', NY)).toEqual({
      spans: [{ from: 0, to: 7200, offset: -18000 }, { from: 10800, to: 86400, offset: -14400 }],
      skipped: [{ from: 7200, to: 10800 }], repeated: [],
    });
  });
  it('the day clocks go back repeats 01:00 to 02:00, read as the earlier (daylight) instant', () => {
    expect(dayClock('2012-11-04', NY)).toEqual({
      spans: [{ from: 0, to: 7200, offset: -14400 }, { from: 7200, to: 86400, offset: -18000 }],
      skipped: [], repeated: [{ from: 3600, to: 7200 }],
    });
  });
  it('a half-hour change (Lord Howe) and a whole skipped day (Samoa, 2011-12-30)', () => {
    expect(dayClock('2012-10-07', 'Australia/Lord_Howe').skipped).toEqual([{ from: 7200, to: 9000 }]);
    expect(dayClock('2011-12-30', 'Pacific/Apia')).toMatchObject({ spans: [], skipped: [{ from: 0, to: 86400 }] });
  });
});

describe('wallToNs and back', () => {
  it('09:30:00.18960767 on 2012-06-21 in New York is 13:30Z, nanoseconds kept', () => {
    const r = wallToNs('2012-06-21', 34200, 189607670n, NY);
    expect(r).toEqual({ ns: ns('2012-06-21T13:30:00Z', 189607670n) });
    expect(formatLocalNs(ns('2012-06-21T13:30:00Z', 189607670n), NY)).toBe('2012-06-21T09:30:00.189607670-04:00');
  });
  it('09:30 in winter is 14:30Z', () => {
    expect(wallToNs('2012-01-03', 34200, 0n, NY)).toEqual({ ns: ns('2012-01-03T14:30:00Z') });
  });
  it('on the spring day, 01:59:59 is -05:00, 03:00 is -04:00, 02:30 is refused with why', () => {
    expect(wallToNs('2012-03-11', 7199, 999999999n, NY)).toEqual({ ns: ns('2012-03-11T06:59:59Z', 999999999n) });
    expect(wallToNs('2012-03-11', 10800, 0n, NY)).toEqual({ ns: ns('2012-03-11T07:00:00Z') });
    expect(wallToNs('2012-03-11', 9000, 0n, NY)).toEqual({ skipped: '02:30:00 does not exist in America/New_York on 2012-03-11 (clocks jumped from 02:00:00 to 03:00:00)' });
    expect(wallToNs('2012-03-11', 34200, 0n, NY)).toEqual({ ns: ns('2012-03-11T13:30:00Z') });
  });
  it('on the autumn day, 01:30 is the first 01:30 (-04:00), 02:00 is -05:00', () => {
    expect(wallToNs('2012-11-04', 5400, 0n, NY)).toEqual({ ns: ns('2012-11-04T05:30:00Z') });
    expect(wallToNs('2012-11-04', 7200, 0n, NY)).toEqual({ ns: ns('2012-11-04T07:00:00Z') });
    expect(formatLocalNs(ns('2012-11-04T06:30:00Z'), NY)).toBe('2012-11-04T01:30:00.000000000-05:00');
    expect(wallToNs('2012-11-04', 34200, 0n, NY)).toEqual({ ns: ns('2012-11-04T14:30:00Z') });
  });
  it('localDate is the zone\'s day', () => {
    expect(localDate(ns('2012-06-22T02:00:00Z'), NY)).toBe('2012-06-21');
    expect(localDate(ns('2012-06-22T05:00:00Z'), NY)).toBe('2012-06-22');
  });
});

describe('checkTimeZone', () => {
  it('takes IANA names and refuses others with a hint', () => {
    expect(checkTimeZone('America/New_York')).toBe(NY);
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/--tz Mars\/Olympus: not a time zone/);
  });
});
