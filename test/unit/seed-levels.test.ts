/** levelsInFile (src/replay/book-replay.ts): N of a seed's level-N pair, from its name, --levels-in-file, its columns. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { levelsInFile } from '../../src/replay/book-replay.js';

describe('levelsInFile', () => {
  it('is the columns / 4 of any file name, and the name\'s level when it says one that agrees', () => {
    expect(levelsInFile('book.csv', 40, undefined)).toBe(10);
    expect(levelsInFile('AMZN_2012-06-21_34200000_57600000_orderbook_10.csv', 40, undefined)).toBe(10);
    expect(levelsInFile('book.csv', 40, '10')).toBe(10);
  });
  it('refuses a name, or a --levels-in-file, that disagrees with the columns', () => {
    expect(() => levelsInFile('AMZN_2012-06-21_34200000_57600000_orderbook_10.csv', 4, undefined)).toThrow(/its name says level 10, its rows have 1 level/);
    expect(() => levelsInFile('book.csv', 4, '10')).toThrow(/--levels-in-file 10: the orderbook file book\.csv has 4 columns, 1 level/);
    for (const bad of ['0', '-1', '1.5', 'x']) expect(() => levelsInFile('book.csv', 4, bad)).toThrow(UserError);
  });
});
