import { describe, expect, it, vi } from 'vitest';
import { amznSample } from '../lobster-book.js';
import { UserError } from '../../src/core/errors.js';
import { applyContradictions, levelsInFile, parseLevels, parseSeedArg } from '../../src/replay/book-replay.js';
import { seedBounds, type BookSeed } from '../../src/replay/projections/book.js';

const seed = (fileLevels: number, asks: number[], bids: number[], levelsInFile = fileLevels): BookSeed => ({
  symbol: 'AMZN', sourceId: 1, row: 1, fileLevels, levelsInFile, fileRows: null,
  asks: asks.map((p) => ({ price: BigInt(p), size: 100n })),
  bids: bids.map((p) => ({ price: BigInt(p), size: 100n })),
});

describe('book: how deep a seed knows the book', () => {
  it('is known through the seed\'s deepest level on each side', () => {
    expect(seedBounds(seed(1, [2240700], [2238900]))).toEqual({ askBound: 2240700n, bidBound: 2238900n });
    expect(seedBounds(seed(3, [100, 101, 105], [99, 98, 90]))).toEqual({ askBound: 105n, bidBound: 90n });
  });
  it('knows every price of a side that had fewer occupied levels than the file holds', () => {
    expect(seedBounds(seed(3, [100, 101], [99, 98, 90]))).toEqual({ askBound: null, bidBound: 90n });
    expect(seedBounds(seed(2, [100, 101], []))).toEqual({ askBound: 101n, bidBound: null });
  });
  it('knows no deeper than the N-th level of a level-N message file, even when the orderbook file shows more', () => {
    expect(seedBounds(seed(3, [100, 101, 105], [99, 98, 90], 2))).toEqual({ askBound: 101n, bidBound: 98n });
    expect(seedBounds(seed(3, [100], [99, 98], 2))).toEqual({ askBound: null, bidBound: 98n });
    // An orderbook file cut to fewer columns than N: known through what it shows.
    expect(seedBounds(seed(1, [100], [99], 5))).toEqual({ askBound: 100n, bidBound: 99n });
  });
});

describe('book: N of the level-N pair', () => {
  it('comes from --levels-in-file, else the file name, else the columns; a flag, a name and the columns must agree', () => {
    expect(levelsInFile('X_2012-06-21_1_2_orderbook_10.csv', 40, undefined)).toBe(10);
    expect(levelsInFile('book.csv', 20, undefined)).toBe(5);
    expect(levelsInFile('book.csv', 40, '10')).toBe(10);
    expect(levelsInFile('X_2012-06-21_1_2_orderbook_10.csv', 40, '10')).toBe(10);
    expect(() => levelsInFile('X_2012-06-21_1_2_orderbook_10.csv', 40, '5')).toThrow(/says 10 levels/);
    expect(() => levelsInFile('book.csv', 20, '10')).toThrow(/has 20 columns, 5 level/);
    for (const bad of ['0', '-1', '1.5', 'x']) expect(() => levelsInFile('book.csv', 20, bad)).toThrow(UserError);
  });
});

describe('book: what the contradictions bear on', () => {
  const row = (side: 'ask' | 'bid', level: number, price: number | null, size: number | null) =>
    ({ symbol: 'X', side, level, price: price === null ? null : price / 10000, priceTicks: price === null ? null : String(price), size, orders: 0, unseenSize: 0, complete: price !== null });
  const cut = { row: 9, seq: '9', ts: null };
  it('a crossed book claims neither crossing level', () => {
    const rows = [row('ask', 1, 1000, 5), row('ask', 2, 1010, 5), row('bid', 1, 1000, 7), row('bid', 2, 990, 7)];
    const kept = applyContradictions(rows, [], cut, undefined);
    expect(kept.map((c) => c.kind)).toEqual(['crossed']);
    expect(rows.map((r) => r.complete)).toEqual([false, true, false, true]);
  });
  it('a file disagreement withdraws from its first differing level on, unless --levels stops before it', () => {
    const c = { row: 9, seq: '9', ts: null, kind: 'book-file', side: 'ask', since: 7, detail: '', file: [{ price: 1000, size: 5 }, { price: 1010, size: 4 }], replay: [{ price: 1000, size: 5 }, { price: 1010, size: 5 }] } as const;
    const rows = [row('ask', 1, 1000, 5), row('ask', 2, 1010, 5), row('bid', 1, 990, 7)];
    expect(applyContradictions(rows, [{ ...c, file: [...c.file], replay: [...c.replay] }], cut, undefined)).toHaveLength(1);
    expect(rows.map((r) => r.complete)).toEqual([true, false, true]);
    const top1 = [row('ask', 1, 1000, 5), row('bid', 1, 990, 7)];
    expect(applyContradictions(top1, [{ ...c, file: [...c.file], replay: [...c.replay] }], cut, 1)).toEqual([]);
    expect(top1.every((r) => r.complete)).toBe(true);
  });
  it('an over-removal withdraws its price and deeper, unless --levels stops before it', () => {
    const c = { row: 6, seq: '6', ts: null, kind: 'over-removal', side: 'bid', since: 6, detail: '', file: null, replay: null, price: '980' } as const;
    const rows = [row('bid', 1, 990, 7), row('bid', 2, 970, 7)];
    expect(applyContradictions(rows, [{ ...c }], cut, undefined)).toHaveLength(1);
    expect(rows.map((r) => r.complete)).toEqual([true, false]);
    const top1 = [row('bid', 1, 990, 7)];
    expect(applyContradictions(top1, [{ ...c }], cut, 1)).toEqual([]);
    // Every known level shown and none past it: the side claims 98.0 holds nothing, which the over-removal bears on.
    expect(applyContradictions([row('bid', 1, 990, 7)], [{ ...c }], cut, undefined)).toHaveLength(1);
  });
});

describe('book: flags', () => {
  it('reads FILE:ROW, splitting at the last colon', () => {
    expect(parseSeedArg('a/AMZN_orderbook_1.csv:100')).toEqual({ file: 'a/AMZN_orderbook_1.csv', row: 100 });
    expect(parseSeedArg('C:/x/b.csv:7')).toEqual({ file: 'C:/x/b.csv', row: 7 });
    for (const bad of ['b.csv', 'b.csv:', 'b.csv:0', 'b.csv:-1', ':5x']) expect(() => parseSeedArg(bad)).toThrow(UserError);
  });
  it('takes --levels as a whole number from 1', () => {
    expect(parseLevels(undefined)).toBeUndefined();
    expect(parseLevels('5')).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'x']) expect(() => parseLevels(bad)).toThrow(/--levels/);
  });
});

describe('book: the AMZN sample tests without the sample', () => {
  it('skip with a console line in a fresh clone, and fail under CI=true', () => {
    const ci = process.env.CI;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      delete process.env.CI;
      expect(amznSample('/nonexistent-shared')).toBeNull();
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^SKIPPED: the LOBSTER AMZN tests, \/nonexistent-shared\/data\/lobster is absent/));
      process.env.CI = 'true';
      expect(() => amznSample('/nonexistent-shared')).toThrow(/CI=true needs it/);
    } finally {
      log.mockRestore();
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
  });
});
