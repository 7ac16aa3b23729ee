import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConnection } from '../../src/store/connection.js';
import { Fragment, and, array, raw, sql, sqlIdent, sqlString } from '../../src/store/sql.js';

// The helpers are checked against DuckDB itself: what it reads back is what went in.
let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

const HOSTILE = [
  "it's",
  "'); DROP TABLE events; --",
  'back\\slash \\\' and \\n',
  'line\nbreak\r\nand\ttab',
  'nul\u0000in the middle',
  '\u0000',
  '"double" quotes',
  'émoji 🦞 and ünïcode',
  '',
  '$1 ? $name',
];

describe('sqlString', () => {
  it.each(HOSTILE)('DuckDB reads %j back as it was', async (value) => {
    const rows = (await conn.runAndReadAll(`SELECT ${sqlString(value)} AS v, length(${sqlString(value)}) AS n`)).getRowObjectsJson();
    expect(rows).toEqual([{ v: value, n: String([...value].length) }]);
  });

  it('doubles quotes and leaves backslashes alone', () => {
    expect(sqlString("a'b\\c")).toBe("'a''b\\c'");
  });
});

describe('sqlIdent', () => {
  it.each(HOSTILE.filter((v) => v !== '' && !v.includes('\0')))('names a column %j', async (name) => {
    const reader = await conn.runAndReadAll(`SELECT 1 AS ${sqlIdent(name)}`);
    expect(reader.columnNames()).toEqual([name]);
  });

  it('refuses a NUL, which no name can hold', () => {
    expect(() => sqlIdent('a\0b')).toThrow(/NUL/);
  });
});

describe('Fragment', () => {
  it('binds values by name, through and(), map() and sql``; a condition used twice binds the same value', async () => {
    const db = new StoreConnection(await instance.connect());
    try {
      await db.run(`CREATE TEMP TABLE t AS SELECT * FROM (VALUES (1, 'a''b', 'x'), (2, ${sqlString('nul\u0000')}, 'y'), (3, 'c', 'x')) AS v(n, s, k)`);
      const key = sql`k = ${'x'}`;
      const where = and(key, undefined, false, sql`n >= ${1}`, 's <> \'zzz\'');
      expect(where.sql).toMatch(/^\(k = \$p\d+\) AND \(n >= \$p\d+\) AND \(s <> 'zzz'\)$/);
      expect(Object.values(where.params)).toEqual(['x', 1]);
      expect(await db.all(sql`SELECT n, s FROM t WHERE ${where} ORDER BY n`)).toEqual([{ n: 1, s: "a'b" }, { n: 3, s: 'c' }]);
      // A user's value is never SQL: a quote or a comment in it is just text.
      expect(await db.all(sql`SELECT n FROM t WHERE s = ${"a'b"} OR s = ${"' OR TRUE --"}`)).toEqual([{ n: 1 }]);
      expect(await db.all(sql`SELECT n FROM t WHERE s = ${'nul\u0000'}`)).toEqual([{ n: 2 }]);
      expect(and().sql).toBe('TRUE');
      expect(await db.all(sql`SELECT unnest(${array(["a'b", 'nul\u0000', "' OR TRUE --"])}) AS v`)).toEqual([{ v: "a'b" }, { v: 'nul\u0000' }, { v: "' OR TRUE --" }]);
      const twice = key.map((k) => `SELECT n FROM t WHERE ${k} AND n IN (SELECT n FROM t WHERE ${k} AND n > 1)`);
      expect(await db.all(twice)).toEqual([{ n: 3 }]);
      expect(await db.all(sql`SELECT ${key.map((k) => `count(*) FILTER (WHERE ${k})`)}::INTEGER AS x, ${sql`${'y'}`} AS y FROM t`)).toEqual([{ x: 2, y: 'y' }]);
      expect(await db.all(sql`SELECT count(*)::INTEGER AS n FROM t WHERE ${and()} AND ${raw('n < 3')}`)).toEqual([{ n: 2 }]);
    } finally {
      db.close();
    }
  });

  it('refuses to become text (its values would be lost)', () => {
    const f = new Fragment('k = $k', { k: 'x' });
    expect(() => `WHERE ${f}`).toThrow(/Fragment/);
  });
});
