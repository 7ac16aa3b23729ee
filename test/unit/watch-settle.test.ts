/** The settle window's pure decisions (src/watch/alerts.ts): which pending findings fall due, when the next does, which a later audit withdrew. */
import { describe, expect, it } from 'vitest';
import { duePending, nextDue, pendingKey, withdrawn, type Pending } from '../../src/watch/alerts.js';

const S = 1_000_000_000n;
const pending = (rule: string, about: string, sinceS: number, stream: string | null = `s-${about}`): Pending => ({ rule, about, eventId: about, stream, sinceNs: BigInt(sinceS) * S });

describe('settling findings', () => {
  const settle = new Map([['compensation-missing', 2n * S]]);
  const a = pending('compensation-missing', 'e1', 100);
  const b = pending('compensation-missing', 'e2', 101);
  const other = pending('gone-rule', 'e3', 100); // a rule no longer settled in this run: waits for nothing

  it('falls due once it has held for its rule\'s settle time on the clock, not before', () => {
    expect(duePending([a, b, other], settle, 101n * S)).toEqual([other]);
    expect(duePending([a, b, other], settle, 102n * S)).toEqual([a, other]);
    expect(duePending([a, b, other], settle, 103n * S)).toEqual([a, b, other]);
    expect(duePending([a], settle, null)).toEqual([]); // no clock yet
  });

  it('says when the next one falls due', () => {
    expect(nextDue([a, b], settle)).toBe(102n * S);
    expect(nextDue([], settle)).toBeNull();
  });

  it('withdraws only what the audit judged and no longer found', () => {
    const judged = new Set([pendingKey(a), pendingKey(b)]);
    const found = new Set([pendingKey(b)]);
    expect(withdrawn([a, b, other], judged, found)).toEqual([a]);
    // Not judged (its stream not in the scope): kept, found or not.
    expect(withdrawn([other], judged, new Set())).toEqual([]);
  });
});
