/** The one typing rule of JSON values (src/output/json-values.ts), on real DuckDB values. */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { RawJson } from '../../src/output/json.js';
import { exactInteger, exactIntegerText, exactJsonConverter } from '../../src/output/json-values.js';

async function row(sql: string): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).convertRowObjects(exactJsonConverter)[0] as Record<string, unknown>;
  } finally {
    conn.closeSync();
  }
}

describe('exactJsonConverter', () => {
  it('integers are numbers up to 2^53 − 1, strings beyond, of every width', async () => {
    expect(await row(`SELECT 9007199254740991::BIGINT a, -9007199254740991::BIGINT b, 9007199254740992::BIGINT c, -9007199254740993::BIGINT d,
      170141183460469231731687303715884105727::HUGEINT e, 18446744073709551615::UBIGINT f, 7::TINYINT g, 40000::UINTEGER h`)).toEqual({
      a: 9007199254740991, b: -9007199254740991, c: '9007199254740992', d: '-9007199254740993',
      e: '170141183460469231731687303715884105727', f: '18446744073709551615', g: 7, h: 40000,
    });
    expect([exactInteger(2n ** 53n - 1n), exactInteger(2n ** 53n), exactIntegerText('12'), exactIntegerText('x')]).toEqual([2 ** 53 - 1, '9007199254740992', 12, 'x']);
  });

  it('decimals are numbers when a double keeps their digits, else their exact text; doubles that JSON cannot write are text', async () => {
    expect(await row(`SELECT 1.50::DECIMAL(5,2) a, -0.10::DECIMAL(4,2) b, 0::DECIMAL(4,2) c, 100.00::DECIMAL(6,2) d,
      12345678901234567.8::DECIMAL(18,1) e, 0.1234567890123456789::DECIMAL(38,19) f, 'nan'::DOUBLE g, '-inf'::DOUBLE h, 2.5::FLOAT i`)).toEqual({
      a: 1.5, b: -0.1, c: 0, d: 100, e: '12345678901234567.8', f: '0.1234567890123456789', g: 'NaN', h: '-Infinity', i: 2.5,
    });
  });

  it('every timestamp type is RFC 3339 UTC with nine digits and Z; infinity stays DuckDB\'s word', async () => {
    expect(await row(`SET TimeZone = 'America/New_York'; SELECT TIMESTAMP_NS '2025-08-26 09:30:02.529212508' a, TIMESTAMP '2025-08-26 09:30:02.5' b,
      TIMESTAMPTZ '2025-08-26 09:30:02+00' c, TIMESTAMP_MS '2025-08-26 09:30:02.123' d, TIMESTAMP_S '1969-12-31 23:59:59' e,
      'infinity'::TIMESTAMP f, DATE '2025-08-26' g`)).toEqual({
      a: '2025-08-26T09:30:02.529212508Z', b: '2025-08-26T09:30:02.500000000Z', c: '2025-08-26T09:30:02.000000000Z',
      d: '2025-08-26T09:30:02.123000000Z', e: '1969-12-31T23:59:59.000000000Z', f: 'infinity', g: '2025-08-26',
    });
  });

  it('recurses into lists and structs; a top-level JSON column is RawJson (its alias is on the result, not the vector)', async () => {
    const r = await row(`SELECT [1::BIGINT, 2] l, {'seq': 3::BIGINT, 't': TIMESTAMP_NS '2025-01-01'} s, '{"n":1}'::JSON j`);
    expect(r.l).toEqual([1, 2]);
    expect(r.s).toEqual({ seq: 3, t: '2025-01-01T00:00:00.000000000Z' });
    expect(r.j instanceof RawJson ? r.j.text : r.j).toBe('{"n":1}');
  });
});
