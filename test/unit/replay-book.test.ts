import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { parseLevels, parseSeedArg } from '../../src/replay/book-replay.js';
import { seedBounds, type BookSeed } from '../../src/replay/projections/book.js';

const seed = (fileLevels: number, asks: number[], bids: number[]): BookSeed => ({
  symbol: 'AMZN', sourceId: 1, row: 1, fileLevels, fileRows: null,
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
