import { describe, expect, it } from 'vitest';
import { deepEqual, diffObjects } from '../../src/replay/diff.js';

describe('diff of two projections', () => {
  it('lists added, removed and changed entities with the fields that changed, in key order', () => {
    const before = [
      { key: 'b', qty: 1, state: { x: 1, y: [1, 2] } },
      { key: 'a', qty: 1, state: { x: 1 } },
      { key: 'd', qty: 5 },
    ];
    const after = [
      { key: 'a', qty: 1, state: { x: 1 } },
      { key: 'b', qty: 2, state: { y: [1, 2], x: 1 } },
      { key: 'c', qty: 3 },
    ];
    expect(diffObjects(before, after, ['key'])).toEqual([
      { key: { key: 'b' }, change: 'changed', fields: ['qty'], before: before[0], after: after[1] },
      { key: { key: 'c' }, change: 'added', fields: ['key', 'qty'], before: null, after: after[2] },
      { key: { key: 'd' }, change: 'removed', fields: ['key', 'qty'], before: before[2], after: null },
    ]);
  });
  it('orders numeric keys as numbers', () => {
    const rows = diffObjects([], [{ row: 10 }, { row: 9 }, { row: 100 }], ['row']);
    expect(rows.map((r) => r.key.row)).toEqual([9, 10, 100]);
  });
  it('compares values deeply, ignoring key order', () => {
    expect(deepEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(deepEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});
