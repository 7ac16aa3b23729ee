import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawJson, stringifyJson } from '../../src/output/json.js';
import { rowObject, writeJsonRows } from '../../src/output/json-rows.js';

/**
 * writeJsonRows writes a row's text member by member (output/json-rows.ts rowText) instead of
 * stringifying an object per row: the bytes must be those of stringifyJson(rowObject(...)).
 */
async function written(mode: 'json' | 'ndjson', columns: string[], rows: unknown[][]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await writeJsonRows(mode, columns, (async function* () {
      yield rows.slice(0, 2);
      yield rows.slice(2);
    })());
  } finally {
    spy.mockRestore();
  }
  return out;
}

const COLUMNS = ['seq', 'id', 'data', 'tags', 'nested', 'missing', '__proto__', 'odd "name"\n', 'ünï'];
const ROWS: unknown[][] = [
  [1, 'evt-1', new RawJson('{"qty":9007199254740993,"px":1.10}'), ['a', 'b'], { when: '2025-08-26T09:30:00.000000000Z', inner: new RawJson('[1e400]') }, undefined, 'p', 'q', 'é\u2028'],
  [2, 'line\nbreak "quoted" \\ back', null, [], {}, null, null, 0, -0],
  ['9007199254740993', '', new RawJson('"text"'), [new RawJson('{"a":1}'), null], [[1, 2], { b: [3] }], NaN, true, false, 1.5e300],
];

afterEach(() => vi.restoreAllMocks());

describe('writeJsonRows', () => {
  it('--ndjson: each line is stringifyJson of the row as an object', async () => {
    const expected = ROWS.map((r) => stringifyJson(rowObject(COLUMNS, r)) + '\n').join('');
    expect(await written('ndjson', COLUMNS, ROWS)).toBe(expected);
    // The RawJson texts go through as written (no doubles): the reference says so too.
    expect(expected).toContain('"data":{"qty":9007199254740993,"px":1.10}');
  });

  it('--json: the array of the same objects', async () => {
    const expected = '[' + ROWS.map((r, i) => (i === 0 ? '\n' : ',\n') + stringifyJson(rowObject(COLUMNS, r))).join('') + '\n]\n';
    expect(await written('json', COLUMNS, ROWS)).toBe(expected);
  });

  it('repeated column names and no columns: as the object has them (the last value, the first place)', async () => {
    const columns = ['a', 'b', 'a'];
    const rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
    expect(await written('ndjson', columns, rows)).toBe('{"a":3,"b":2}\n{"a":6,"b":5}\n{"a":9,"b":8}\n');
    expect(await written('ndjson', [], [[], [], []])).toBe('{}\n{}\n{}\n');
  });
});
