import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { atCondition, atLabel, formatIsoNs, nowIso, parseAt, parseDuration, parseIsoNs, type At, type StoreBounds } from '../../src/core/time.js';

/** Nanoseconds from an ISO text with at most millisecond digits, via Date.parse (an independent path). */
const msNs = (iso: string, extraNs = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + extraNs;

const oneDay: StoreBounds = {
  firstTs: '2025-08-26T09:30:00.005193037Z',
  lastTs: '2025-08-26T16:01:08.497676438Z',
  lastSeq: 10_085_805n,
};
const twoDays: StoreBounds = { firstTs: '2025-08-26T22:00:00.000000000Z', lastTs: '2025-08-27T02:00:00.000000000Z', lastSeq: 50n };
const empty: StoreBounds = { firstTs: null, lastTs: null, lastSeq: null };

function time(input: string, bounds = oneDay): bigint {
  const at = parseAt(input, bounds);
  expect(at.kind).toBe('time');
  return (at as Extract<At, { kind: 'time' }>).ns;
}

function refusal(input: string, bounds = oneDay): UserError {
  try {
    parseAt(input, bounds);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const e = error as UserError;
    expect(e.exitCode).toBe(2);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).toContain('--at');
    expect(e.hint).toBeTruthy();
    return e;
  }
  throw new Error(`--at ${input} was accepted`);
}

describe('--at: seq:N', () => {
  it('gives the seq', () => {
    expect(parseAt('seq:1500000', oneDay)).toEqual({ kind: 'seq', seq: 1_500_000n, input: 'seq:1500000' });
    expect(parseAt('seq:0', oneDay)).toMatchObject({ kind: 'seq', seq: 0n });
    expect(parseAt(' SEQ:7 ', oneDay)).toMatchObject({ kind: 'seq', seq: 7n });
  });
  it('refuses a seq past the last event, and a seq that is no whole number', () => {
    expect(refusal('seq:10085806').message).toContain('10085805');
    // … unless the caller answers it with the log's end (replay), as it does a later time.
    expect(parseAt('seq:10085806', oneDay, '--at', 'end')).toMatchObject({ kind: 'seq', seq: 10_085_806n });
    refusal('seq:-1');
    refusal('seq:1.5');
    refusal('seq:');
    expect(refusal('seq:1', empty).message).toContain('no events');
  });
  it('is a condition on seq', () => {
    expect(atCondition(parseAt('seq:42', oneDay))).toBe('seq <= 42');
  });
});

describe('--at: ISO times', () => {
  it('keeps every digit up to nanoseconds', () => {
    expect(time('2025-08-26T10:31:05.123456Z')).toBe(msNs('2025-08-26T10:31:05.123Z', 456_000n));
    expect(time('2025-08-26T10:31:05.123456789Z')).toBe(msNs('2025-08-26T10:31:05.123Z', 456_789n));
    expect(time('2025-08-26T10:31:05.000000001Z')).toBe(msNs('2025-08-26T10:31:05Z', 1n));
  });
  it('reads no offset as UTC, a space for T, a date alone as midnight, and offsets', () => {
    expect(time('2025-08-26 10:31')).toBe(msNs('2025-08-26T10:31:00Z'));
    expect(time('2025-08-26')).toBe(msNs('2025-08-26T00:00:00Z'));
    expect(time('2025-08-26T12:31:05+02:00')).toBe(msNs('2025-08-26T10:31:05Z'));
    expect(time('2025-08-26T05:01:05.5-0530')).toBe(msNs('2025-08-26T10:31:05.500Z'));
  });
  it('formats the cut with nine digits', () => {
    const at = parseAt('2025-08-26T10:31:05.1Z', oneDay);
    expect(at).toMatchObject({ kind: 'time', iso: '2025-08-26T10:31:05.100000000Z' });
    expect(atCondition(at)).toBe(`ts <= '2025-08-26 10:31:05.100000000'::TIMESTAMP_NS`);
  });
  it('refuses what is not a time', () => {
    refusal('2025-02-30T10:00:00Z');
    refusal('2025-13-01');
    refusal('2025-08-26T24:00:00Z');
    refusal('2025-08-26T10:31:05.1234567891Z');
    refusal('2025-08-26T10:31:05+25:00');
    refusal('yesterday');
    refusal('');
    refusal('10.31.05');
  });
});

describe('--at: a time of day on the store\'s day', () => {
  it('takes the date from a store that spans one day', () => {
    expect(time('10:31')).toBe(msNs('2025-08-26T10:31:00Z'));
    expect(time('9:45')).toBe(msNs('2025-08-26T09:45:00Z'));
    expect(time('10:31:05.123456789')).toBe(msNs('2025-08-26T10:31:05.123Z', 456_789n));
    expect(time('10:31:05Z')).toBe(msNs('2025-08-26T10:31:05Z'));
  });
  it('reads a bare number as seconds after midnight (LOBSTER)', () => {
    expect(time('34500.5')).toBe(msNs('2025-08-26T09:35:00.500Z'));
    expect(time('34200')).toBe(msNs('2025-08-26T09:30:00Z'));
    expect(time('34200.000000001')).toBe(msNs('2025-08-26T09:30:00Z', 1n));
    expect(refusal('86400').message).toContain('86400');
    refusal('1.0000000001');
  });
  it('refuses a time of day when the store spans several days or has no times', () => {
    const e = refusal('10:31', twoDays);
    expect(e.message).toContain('2025-08-26 to 2025-08-27');
    expect(e.hint).toContain('2025-08-26T10:31');
    refusal('10:31', empty);
    refusal('25:00');
  });
});

describe('--at: relative to the first or last event', () => {
  const first = parseIsoNs(oneDay.firstTs!)!;
  const last = parseIsoNs(oneDay.lastTs!)!;
  it('counts +d from the first event and -d from the last', () => {
    expect(time('+5m')).toBe(first + 300_000_000_000n);
    expect(time('start+5m')).toBe(first + 300_000_000_000n);
    expect(time('-30s')).toBe(last - 30_000_000_000n);
    expect(time('end-1m')).toBe(last - 60_000_000_000n);
    expect(time('end - 1h30m')).toBe(last - 5_400_000_000_000n);
    expect(time('start+1.5s')).toBe(first + 1_500_000_000n);
    expect(time('end+250ms')).toBe(last + 250_000_000n);
    expect(time('start')).toBe(first);
    expect(time('END')).toBe(last);
    expect(time('+2d')).toBe(first + 2n * 86_400_000_000_000n);
  });
  it('refuses a bad duration and a store without times', () => {
    expect(refusal('+5 minutes').hint).toContain('units');
    refusal('end-');
    refusal('+1.5ns');
    refusal('-30s', empty);
    refusal('start+100000000d');
  });
});

describe('time helpers', () => {
  it('round-trips ISO text through nanoseconds', () => {
    for (const iso of ['2025-08-26T10:31:05.123456789Z', '1970-01-01T00:00:00.000000000Z', '1969-12-31T23:59:59.999999999Z', '2000-02-29T12:00:00.000000001Z']) {
      expect(formatIsoNs(parseIsoNs(iso)!)).toBe(iso);
    }
    expect(parseIsoNs('1969-12-31T23:59:59.999999999Z')).toBe(-1n);
  });
  it('parses durations exactly', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000_000_000n);
    expect(parseDuration('2us')).toBe(2_000n);
    expect(parseDuration('2µs')).toBe(2_000n);
    expect(parseDuration('0.000000001s')).toBe(1n);
    expect(parseDuration('250ms')).toBe(250_000_000n);
    expect(parseDuration('2min')).toBe(120_000_000_000n);
    expect(parseDuration('0')).toBe(0n); // none needs no unit (trace's --skew-tolerance 0)
    expect(parseDuration('5')).toBeNull();
    expect(parseDuration('5x')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('-5s')).toBeNull();
  });
});

describe('--at on a store in market time (sources kept a time zone, LOBSTER: New York)', () => {
  // The AMZN sample: 09:30 to 16:00 New York time on 2012-06-21 (daylight time, UTC-4).
  const amzn: StoreBounds = {
    firstTs: '2012-06-21T13:30:00.017459617Z', lastTs: '2012-06-21T19:59:59.959359650Z', lastSeq: 57_515n, timeZones: ['America/New_York'],
  };
  const at = (input: string, bounds = amzn) => parseAt(input, bounds) as Extract<At, { kind: 'time' }>;

  it('10:31 is the exchange\'s 10:31, 14:31Z in June, and the label says which zone', () => {
    expect(at('10:31').ns).toBe(msNs('2012-06-21T14:31:00Z'));
    expect(at('10:31')).toMatchObject({ zone: 'America/New_York', iso: '2012-06-21T14:31:00.000000000Z' });
    expect(atLabel(at('10:31'))).toBe('2012-06-21T10:31:00.000000000-04:00 America/New_York (2012-06-21T14:31:00.000000000Z)');
    expect(at('9:30:00.123456789').ns).toBe(msNs('2012-06-21T13:30:00.123Z', 456_789n));
  });
  it('LOBSTER seconds after midnight are the exchange\'s too, to the nanosecond', () => {
    expect(at('34500.5').ns).toBe(msNs('2012-06-21T13:35:00.500Z'));
    expect(at('34200.017459617').ns).toBe(msNs('2012-06-21T13:30:00.017Z', 459_617n));
  });
  it('a date-time without an offset is the exchange\'s; Z or an offset is as written', () => {
    expect(at('2012-06-21T10:31').ns).toBe(msNs('2012-06-21T14:31:00Z'));
    expect(at('2012-06-21 10:31:05.5').ns).toBe(msNs('2012-06-21T14:31:05.500Z'));
    expect(at('2012-06-21T10:31Z').ns).toBe(msNs('2012-06-21T10:31:00Z'));
    expect(at('2012-06-21T10:31-04:00').ns).toBe(msNs('2012-06-21T14:31:00Z'));
    expect(at('14:31Z').ns).toBe(msNs('2012-06-21T14:31:00Z'));
    // A date alone is the exchange's midnight.
    expect(at('2012-06-21').ns).toBe(msNs('2012-06-21T04:00:00Z'));
    // Relative cuts and seq are the same as anywhere.
    expect(at('+5m').ns).toBe(msNs('2012-06-21T13:35:00.017Z', 459_617n));
    expect(parseAt('seq:5', amzn)).toEqual({ kind: 'seq', seq: 5n, input: 'seq:5' });
  });
  it('in winter 10:31 is 15:31Z', () => {
    const winter: StoreBounds = { firstTs: '2013-01-02T14:30:00Z', lastTs: '2013-01-02T21:00:00Z', lastSeq: 9n, timeZones: ['America/New_York'] };
    expect(at('10:31', winter).ns).toBe(msNs('2013-01-02T15:31:00Z'));
    expect(at('37860', winter).ns).toBe(msNs('2013-01-02T15:31:00Z'));
  });
  it('the store\'s day is the exchange\'s day: an evening session spans two UTC days but one in New York', () => {
    const evening: StoreBounds = { firstTs: '2012-06-21T22:00:00Z', lastTs: '2012-06-22T01:30:00Z', lastSeq: 9n, timeZones: ['America/New_York'] };
    expect(at('19:00', evening).ns).toBe(msNs('2012-06-21T23:00:00Z'));
    // The same bounds without a zone span two UTC days, so a bare time is refused (today's rule).
    expect(refusal('19:00', { ...evening, timeZones: [] }).message).toContain('spans 2012-06-21 to 2012-06-22');
  });
  it('on the day clocks go forward, a time in the skipped hour is refused; on the day they go back, the repeated hour is the earlier', () => {
    const spring: StoreBounds = { firstTs: '2012-03-11T05:00:00Z', lastTs: '2012-03-11T20:00:00Z', lastSeq: 9n, timeZones: ['America/New_York'] };
    expect(refusal('02:30', spring).message).toBe('--at 02:30: 02:30:00 does not exist in America/New_York on 2012-03-11 (clocks jumped from 02:00:00 to 03:00:00)');
    expect(at('03:00', spring).ns).toBe(msNs('2012-03-11T07:00:00Z'));
    expect(at('01:59:59', spring).ns).toBe(msNs('2012-03-11T06:59:59Z'));
    const autumn: StoreBounds = { firstTs: '2012-11-04T05:00:00Z', lastTs: '2012-11-04T20:00:00Z', lastSeq: 9n, timeZones: ['America/New_York'] };
    expect(at('01:30', autumn).ns).toBe(msNs('2012-11-04T05:30:00Z'));
    expect(atLabel(at('2012-11-04T06:30Z', autumn))).toBe('2012-11-04T01:30:00.000000000-05:00 America/New_York (2012-11-04T06:30:00.000000000Z)');
  });
  it('a store whose sources keep different zones refuses a time without an offset', () => {
    const mixed = { ...amzn, timeZones: ['America/New_York', 'Europe/London'] };
    expect(refusal('10:31', mixed).message).toContain('America/New_York and Europe/London');
    expect(at('2012-06-21T14:31Z', mixed).ns).toBe(msNs('2012-06-21T14:31:00Z'));
  });
  it('a store without a zone keeps UTC, and its labels stay ISO', () => {
    const utc = { ...amzn, timeZones: [] };
    expect(at('10:31', utc).ns).toBe(msNs('2012-06-21T10:31:00Z'));
    expect(atLabel(at('10:31', utc))).toBe('2012-06-21T10:31:00.000000000Z');
  });
});

describe('nowIso', () => {
  it('is the clock as every instant is printed: nine digits and Z', () => {
    const before = Date.now();
    const now = nowIso();
    expect(now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}000Z$/);
    expect(Date.parse(now)).toBeGreaterThanOrEqual(before);
  });
});
