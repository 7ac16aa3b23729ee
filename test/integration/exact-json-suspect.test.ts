import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { mayRespellSql, nestedKeysOkSql, nestedKeysQuickSql, suspectSql } from '../../src/ingest/exact-json.js';
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

/**
 * A key twice below the top level (issue 15): the quick test settles the usual record without
 * the exact one (every record would otherwise pay 0.8 CPU-s per 200k); every duplicate is found,
 * wherever it is, and nothing else is taken for one.
 */
describe('the nested duplicate-key test', () => {
  const MEMBERS = `json_keys(line, ['$.data', '$.meta'])`;
  const DUPS = [
    '{"data":{"a":1,"a":2}}', '{"meta":{"u":1,"u":1}}', '{"x":{"k":1,"k":2}}', '{"data":{"a":1,"\\u0061":2}}',
    '{"data":{"l":[{"a":1,"a":2}]}}', '{"data":{"q":{"r":{"a":1,"a":2}}}}', '{"data":{"s":"{","q":{"a":null,"a":null}}}',
    '[{"b":1,"b":2}]', '[1,[{"b":1,"b":2}]]', '{"data":{"a":{},"b":{"c":1,"c":2}}}', '{"data":{"a":1, "a" :2}}',
  ];
  const FINE = [
    '{"data":{"a":{"k":1},"b":{"k":2},"l":[{"k":1},{"k":2}],"s":"a","k":"k"},"meta":{"k":1}}',
    '{"data":{"a":1,"b":{"a":2,"c":{"a":3}}},"meta":{"s":"{\\"a\\":1,\\"a\\":2}"}}',
    '{"data":{"a":1,"A":2,"a ":3,"\\u0062":4},"meta":{}}', '{"a":1,"a":2}', '[{"a":1},{"a":1}]', '"{\\"a\\":1,\\"a\\":2}"',
  ];

  it('finds every key twice in an object below the top level, and takes nothing else for one', async () => {
    for (const members of [undefined, MEMBERS]) {
      // With the members' lists the record is an object (map-sql.ts: its keys are the usual ones).
      const only = (texts: string[]) => (members ? texts.filter((t) => t.startsWith('{')) : texts);
      const rows = await store.all(`SELECT line, ${nestedKeysOkSql('line', members)} AS ok FROM ${values(only([...DUPS, ...FINE]))}`);
      expect(rows.filter((r) => !r.ok).map((r) => r.line), members ?? 'wildcard').toEqual(only(DUPS));
    }
  });

  it('settles the generated trading log with the quick test alone', async () => {
    const log = [...generateTradingLog({ orders: 50, anomalyRate: 0.05, seed: 7 })].map(serializeTradingEvent);
    for (const members of [undefined, MEMBERS]) {
      const sent = await store.all(`SELECT line FROM ${values(log)} WHERE NOT ${nestedKeysQuickSql('line', members)}`);
      expect(sent.map((r) => r.line), members ?? 'wildcard').toEqual([]);
    }
  });
});
