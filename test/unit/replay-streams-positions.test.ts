import { describe, expect, it } from 'vitest';
import { applyFill, replayPositions, type Position } from '../../src/replay/reference/positions.js';
import { mergePatch, replayStreams } from '../../src/replay/reference/streams.js';
import type { OrderEvent } from '../../src/replay/reference/orders.js';

describe('JSON merge patch (RFC 7386 appendix A examples)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('given %j, when patched with %j, then %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });
});

describe('streams fold', () => {
  it('folds the data of each stream in seq order, skips redeliveries, counts conflicts', () => {
    const ev = (seq: number, stream: string, type: string, data: unknown, dup_kind: OrderEvent['dup_kind'] = null) =>
      ({ seq, stream, rev: seq, type, ts: `2025-08-26T10:00:0${seq}.000000000Z`, data, dup_kind });
    const events = [
      ev(1, 'b', 'Created', { name: 'x', tags: { a: 1 } }),
      ev(2, 'a', 'Created', { n: 1 }),
      ev(3, 'b', 'Renamed', { name: 'y', tags: { a: null, b: 2 } }),
      ev(4, 'b', 'Renamed', { name: 'y', tags: { a: null, b: 2 } }, 'redelivery'),
      ev(5, 'a', 'Changed', { n: 2 }, 'conflict'),
      ev(6, 'a', 'Touched', undefined),
    ];
    expect(replayStreams(events, { seq: 6 })).toEqual([
      { stream: 'a', events: 3, lastRev: 6, lastType: 'Touched', lastEventAt: '2025-08-26T10:00:06.000000000Z', conflicts: 1, state: { n: 2 } },
      { stream: 'b', events: 2, lastRev: 3, lastType: 'Renamed', lastEventAt: '2025-08-26T10:00:03.000000000Z', conflicts: 0, state: { name: 'y', tags: { b: 2 } } },
    ]);
    expect(replayStreams(events, { seq: 2 }).map((r) => r.state)).toEqual([{ n: 1 }, { name: 'x', tags: { a: 1 } }]);
  });
});

describe('positions: average cost, given/when/then', () => {
  const fold = (fills: [number, number][]) => fills.reduce<Position>((s, [q, p]) => applyFill(s, q, p), { pos: 0, cost: 0, pnl: 0 });

  it('buys average their prices', () => {
    const s = fold([[100, 10], [50, 13]]);
    expect(s.pos).toBe(150);
    expect(s.cost / s.pos).toBeCloseTo(11, 12);
    expect(s.pnl).toBe(0);
  });
  it('a sale realises against the average cost and keeps it', () => {
    const s = fold([[100, 10], [50, 13], [-120, 12]]);
    expect(s.pos).toBe(30);
    expect(s.cost / s.pos).toBeCloseTo(11, 12);
    expect(s.pnl).toBeCloseTo(120, 9); // 120 × (12 − 11)
  });
  it('a sale through zero closes the long and opens a short at the fill price', () => {
    const s = fold([[100, 10], [50, 13], [-120, 12], [-60, 9]]);
    expect(s.pos).toBe(-30);
    expect(s.cost / s.pos).toBeCloseTo(9, 12);
    expect(s.pnl).toBeCloseTo(120 - 60, 9); // + 30 × (9 − 11)
  });
  it('a purchase covers a short: profit when cheaper', () => {
    const s = fold([[100, 10], [50, 13], [-120, 12], [-60, 9], [30, 8]]);
    expect(s.pos).toBe(0);
    expect(s.pnl).toBeCloseTo(60 + 30, 9); // + 30 × (9 − 8)
  });
  it('a short opened from flat, added to, then covered at a loss', () => {
    const s = fold([[-10, 20], [-10, 22], [20, 23]]);
    expect(s.pos).toBe(0);
    expect(s.pnl).toBeCloseTo(-40, 9); // 20 × (21 − 23)
  });
  it('attributes fills through their order, in the cut only', () => {
    const e = (seq: number, stream: string, type: string, data: unknown): OrderEvent => ({ seq, stream, type, ts: `2025-08-26T10:00:${String(seq).padStart(2, '0')}.000000000Z`, data });
    const events = [
      e(1, 'order-1', 'OrderPlaced', { accountId: 'A', symbol: 'IBM', side: 'BUY', qty: 10 }),
      e(2, 'order-1', 'OrderPartiallyFilled', { fillQty: 4, fillPrice: 100 }),
      e(3, 'order-2', 'OrderPlaced', { accountId: 'A', symbol: 'IBM', side: 'SELL', qty: 4 }),
      e(4, 'order-2', 'OrderFilled', { fillQty: 4, fillPrice: 110 }),
      e(5, 'order-3', 'OrderFilled', { fillQty: 1, fillPrice: 1 }), // no OrderPlaced: counts nowhere
      e(6, 'order-4', 'OrderPlaced', { accountId: 'B', symbol: 'IBM', side: 'HOLD', qty: 4 }),
      e(7, 'order-4', 'OrderFilled', { fillQty: 4, fillPrice: 110 }), // side neither BUY nor SELL
    ];
    expect(replayPositions(events, { seq: 2 })).toEqual([
      { accountId: 'A', symbol: 'IBM', netQty: 4, avgCost: 100, realizedPnl: 0, fills: 1, conflicts: 0, lastFillAt: '2025-08-26T10:00:02.000000000Z' },
    ]);
    expect(replayPositions(events, { seq: 7 })).toEqual([
      { accountId: 'A', symbol: 'IBM', netQty: 0, avgCost: null, realizedPnl: 40, fills: 2, conflicts: 0, lastFillAt: '2025-08-26T10:00:04.000000000Z' },
    ]);
  });
});
