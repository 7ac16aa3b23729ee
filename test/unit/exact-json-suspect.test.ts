/** Which records take the exact path (src/ingest/exact-json.ts: suspectSql, mayRespellSql), on real DuckDB (RE2). */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { mayRespellSql, suspectSql } from '../../src/ingest/exact-json.js';
import { sqlString } from '../../src/store/sql.js';

async function flags(texts: readonly string[]): Promise<{ suspect: boolean; respell: boolean }[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const rows = `SELECT unnest([${texts.map(sqlString).join(', ')}]) AS t, generate_subscripts([${texts.map(sqlString).join(', ')}], 1) AS i`;
    const read = await conn.runAndReadAll(`SELECT ${suspectSql('t')} AS suspect, ${mayRespellSql('t')} AS respell FROM (${rows}) ORDER BY i`);
    return read.getRowObjects() as { suspect: boolean; respell: boolean }[];
  } finally {
    conn.closeSync();
  }
}

describe('the exact path is taken for numbers outside strings only', () => {
  it('a number DuckDB would re-spell, outside any string: suspect', async () => {
    const records = [
      '{"n":0.00001}', '{"n":1.10}', '{"a":"q","n":1e5}', '{"n":[-0]}', '{"n":12345678.123456789}',
      // Escaped quotes and an escaped backslash at a string's end do not hide what follows.
      '{"s":"a\\"b","n":1.10}', '{"s":"x\\\\","n":100.50}',
    ];
    expect((await flags(records)).map((f) => f.suspect && f.respell)).toEqual(records.map(() => true));
  });

  it('the same texts inside strings (times to the nanosecond, .NET times, long ids) are not', async () => {
    const records = [
      '{"ts":"2025-08-26T09:30:00.000000001Z"}', '{"ts":"2025-08-26T09:30:00.0000000Z"}', '{"id":"1234567890123456789"}',
      '{"s":"\\"1.10 "}', '{"s":"1e5 ","t":"x\\\\"}', '{"k":1.5,"price":"100.50 USD"}',
    ];
    expect(await flags(records)).toEqual(records.map(() => ({ suspect: false, respell: false })));
  });

  it('the mark inside a string, and deep nesting, still are', async () => {
    const deep = '['.repeat(65) + ']'.repeat(65);
    expect((await flags(['{"s":"\\u0001N:1.10"}', deep])).map((f) => f.suspect)).toEqual([true, true]);
  });
});
