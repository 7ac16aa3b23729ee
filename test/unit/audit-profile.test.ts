/** The audit's pure decisions (src/audit/profile.ts): a scoped audit's seq ranges. */
import { describe, expect, it } from 'vitest';
import { SCOPE_BATCH, seqRangesSql } from '../../src/audit/profile.js';

describe('seqRangesSql', () => {
  it('reads nearby seqs with one range each, sorted and without repeats, so DuckDB prunes row groups', () => {
    expect(seqRangesSql([])).toEqual([]);
    expect(seqRangesSql([7])).toEqual(['seq = 7']);
    expect(seqRangesSql([30, 10, 20, 10])).toEqual(['seq BETWEEN 10 AND 30 AND seq IN (10, 20, 30)']);
    // Farther apart than a cluster's gap (65,536): two ranges.
    expect(seqRangesSql([1, 2, 200_000])).toEqual(['seq BETWEEN 1 AND 2 AND seq IN (1, 2)', 'seq = 200000']);
  });

  it('puts at most SCOPE_BATCH seqs in one range', () => {
    const seqs = Array.from({ length: SCOPE_BATCH + 1 }, (_, i) => i + 1);
    const parts = seqRangesSql(seqs);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(`seq = ${SCOPE_BATCH + 1}`);
  });
});
