import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { atCondition, formatIsoNs, parseAt, parseDuration, parseIsoNs, type At, type StoreBounds } from '../../src/replay/at.js';

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
    expect(parseDuration('5')).toBeNull();
    expect(parseDuration('5x')).toBeNull();
  });
});
