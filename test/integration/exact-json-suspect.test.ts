import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { mayRespellSql, suspectSql } from '../../src/ingest/exact-json.js';
import { sqlString } from '../../src/store/sql.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * The test that sends a record down the exact path (exact-json.ts) looks for numbers only
 * where a number can start, one literal character each (issue 15's mapping speed). Every
 * number DuckDB re-spells must still be found wherever JSON can put it; and the usual record
 * must not be sent down that path (it would cost every ingest the protection).
 */
const RESPELLED = ['123.456789012345678901', '1.10', '1e400', '1E-7', '0.0000001', '-0', '1.5e3', '100.50',
  '12345678.123456789', '-1.0000000000000002', '123456789012345678.5', '-2E+5', '9.99999999999999999', '0.00001', '1.0e0'];
const PLACES: ((n: string) => string)[] = [
  (n) => `{"a":${n}}`,
  (n) => `{"a": ${n} }`,
  (n) => `{"a" :\t${n}}`,
  (n) => `{"a":\n${n}}`,
  (n) => `{"a":[1,${n}]}`,
  (n) => `[ ${n}]`,
  (n) => `[\n\t${n}\n]`,
  (n) => `{"s":"x:1,[","a":[true, ${n}, 2]}`,
  (n) => n,
  (n) => ` ${n}\n`,
];

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = tmpDir('evtrail-suspect-');
  store = await Store.open(path.join(dir, 's.duckdb'), { create: true });
});
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const values = (texts: string[]) => `(VALUES ${texts.map((t) => `(${sqlString(t)})`).join(', ')}) t(line)`;

describe('the exact-path test', () => {
  it('finds every re-spelled number in every place a number can stand', async () => {
    const texts = RESPELLED.flatMap((n) => PLACES.map((place) => place(n)));
    const missed = await store.all(`SELECT line FROM ${values(texts)} WHERE NOT ${suspectSql('line')}`);
    expect(missed.map((r) => r.line)).toEqual([]);
    const missedData = await store.all(`SELECT line FROM ${values(texts)} WHERE NOT ${mayRespellSql('line')}`);
    expect(missedData.map((r) => r.line)).toEqual([]);
  });

  it('finds the mark and nesting beyond 64 levels', async () => {
    const rows = await store.all(`SELECT ${suspectSql('line')} AS s FROM ${values(['{"a":"\\u0001N:5"}', `{"a":${'['.repeat(65)}${']'.repeat(65)}}`, `{"a":${'['.repeat(63)}${']'.repeat(63)}}`])}`);
    expect(rows.map((r) => r.s)).toEqual([true, true, false]);
  });

  it('passes the generated trading log and numbers DuckDB writes back the same', async () => {
    const log = [...generateTradingLog({ orders: 50, anomalyRate: 0.05, seed: 7 })].map(serializeTradingEvent);
    const plain = ['{"a":96.89,"b":[1,2.5,-3],"c":"1e5 1.10 -0","d":1733011200691,"e":"2025-08-26T09:30:00.259651895Z"}', ...log];
    const flagged = await store.all(`SELECT line FROM ${values(plain)} WHERE ${suspectSql('line')}`);
    expect(flagged.map((r) => r.line)).toEqual([]);
  });

  it('looks outside strings only: a number after an escaped quote is found, the same text inside a string is not', async () => {
    const outside = [
      '{"n":0.00001}', '{"n":1.10}', '{"a":"q","n":1e5}', '{"n":[-0]}', '{"n":12345678.123456789}',
      // Escaped quotes and an escaped backslash at a string's end do not hide what follows.
      '{"s":"a\\"b","n":1.10}', '{"s":"x\\\\","n":100.50}',
    ];
    // Times to the nanosecond, .NET times and long ids: each once sent every such record down the exact path.
    const inside = [
      '{"ts":"2025-08-26T09:30:00.000000001Z"}', '{"ts":"2025-08-26T09:30:00.0000000Z"}', '{"id":"1234567890123456789"}',
      '{"s":"\\"1.10 "}', '{"s":"1e5 ","t":"x\\\\"}', '{"k":1.5,"price":"100.50 USD"}',
    ];
    const read = async (texts: string[]) =>
      (await store.all(`SELECT ${suspectSql('line')} AS s, ${mayRespellSql('line')} AS r FROM ${values(texts)}`)).map((x) => [x.s, x.r]);
    expect(await read(outside)).toEqual(outside.map(() => [true, true]));
    expect(await read(inside)).toEqual(inside.map(() => [false, false]));
  });
});
