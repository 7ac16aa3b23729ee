/** The one reader of flag values (src/core/flags.ts) and its zod schemas (src/cli/flags.ts). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError } from '../../src/core/errors.js';
import { duration, wholeNumber } from '../../src/core/flags.js';
import { durationFlag, parseFlags, valueFlag, wholeNumberFlag } from '../../src/cli/flags.js';

const error = (f: () => unknown): UserError => {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('wholeNumber', () => {
  it('takes digits only, trimmed, as a safe integer', () => {
    expect(wholeNumber('--limit', '0', { hint: 'h' })).toBe(0);
    expect(wholeNumber('--limit', ' 50 ', { hint: 'h' })).toBe(50);
    for (const bad of ['', ' ', 'lots', '-1', '1.5', '5.0', '1e3', '0x10', '9007199254740993']) {
      const e = error(() => wholeNumber('--limit', bad, { hint: 'e.g. --limit 50' }));
      expect(e.message).toBe(`--limit ${bad}: expected a whole number`);
      expect(e.hint).toBe('e.g. --limit 50');
    }
  });

  it('says the range when it has one', () => {
    expect(wholeNumber('--levels', '1', { min: 1, hint: 'h' })).toBe(1);
    expect(error(() => wholeNumber('--levels', '0', { min: 1, hint: 'h' })).message).toBe('--levels 0: expected a whole number from 1');
    expect(wholeNumber('--samples', '1000', { min: 1, max: 1000, hint: 'h' })).toBe(1000);
    expect(error(() => wholeNumber('--samples', '1001', { min: 1, max: 1000, hint: 'h' })).message).toBe('--samples 1001: expected a whole number from 1 to 1000');
  });
});

describe('duration', () => {
  it('reads core/time.ts\'s grammar in nanoseconds, and refuses anything else in one line', () => {
    expect(duration('--stuck-after', '1h30m', 'h')).toBe(5_400_000_000_000n);
    expect(duration('--skew-tolerance', '0', 'h')).toBe(0n);
    const e = error(() => duration('--interval', 'soon', 'e.g. --interval 5s'));
    expect([e.message, e.hint]).toEqual(['--interval soon: not a duration', 'e.g. --interval 5s']);
  });
});

describe('parseFlags', () => {
  const schema = z.object({
    limit: wholeNumberFlag('--limit', { hint: 'e.g. --limit 50' }),
    key: valueFlag('--key', 'e.g. --key ord-1').optional(),
    every: durationFlag('--every', 'e.g. --every 5s').optional(),
  });

  it('gives typed values, and leaves absent optional flags absent', () => {
    expect(parseFlags(schema, { limit: '200', every: '250ms', json: true })).toEqual({ limit: 200, every: 250_000_000n });
    expect(parseFlags(schema, { limit: '0', key: 'ord-1' })).toEqual({ limit: 0, key: 'ord-1' });
  });

  it('fails with the first bad flag in the schema\'s order, as the reader words it, with its hint', () => {
    const e = error(() => parseFlags(schema, { limit: 'lots', key: ' ' }));
    expect([e.message, e.hint]).toEqual(['--limit lots: expected a whole number', 'e.g. --limit 50']);
    const k = error(() => parseFlags(schema, { limit: '5', key: ' ' }));
    expect([k.message, k.hint]).toEqual(['--key needs a value', 'e.g. --key ord-1']);
  });

  it('calls a flag wired to the wrong schema a bug, not the user\'s error', () => {
    expect(() => parseFlags(schema, { limit: 5 })).toThrow(/^internal: flags/);
  });
});
