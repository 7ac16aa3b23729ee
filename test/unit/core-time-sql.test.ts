/**
 * The duration formatter as DuckDB macros (DURATION_SQL_MACROS, for the audit rules' messages)
 * gives exactly what formatDuration gives, on real DuckDB: one way of showing a duration.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { DURATION_SQL_MACROS, formatDuration } from '../../src/core/time.js';
import { seededRandom } from '../helpers.js';

describe('evt_duration(ns) in SQL', () => {
  it('matches formatDuration at every unit boundary, on both sides of the rounding, and at random', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run(DURATION_SQL_MACROS);
      const values = [
        0n, 1n, 999n, 1_000n, 1_049n, 1_050n, 12_500n, 999_949n, 999_999n, 1_000_000n, 3_207_000n, 999_999_499n, 999_999_999n,
        1_000_000_000n, 2_330_000_000n, 2_328_426_712n, 59_999_500_000n, 59_999_999_999n, 60_000_000_000n, 119_218_867_610n,
        3_599_999_999_999n, 3_600_000_000_000n, 7_800_000_000_000n, 86_399_999_999_999n, 86_400_000_000_000n, 2n ** 63n - 1n,
      ];
      const random = seededRandom(20);
      for (let i = 0; i < 200; i++) values.push(BigInt(Math.floor(random() * 10 ** Math.floor(random() * 16))));
      const all = [...values, ...values.filter((v) => v > 0n).map((v) => -v)];
      const reader = await c.runAndReadAll(`SELECT v::VARCHAR AS v, evt_duration(v) AS d FROM (VALUES ${all.map((v) => `(${v}::BIGINT)`).join(', ')}) t(v)`);
      const rows = reader.getRowObjects() as { v: string; d: string }[];
      expect(rows).toHaveLength(all.length);
      for (const row of rows) expect(row.d, row.v).toBe(formatDuration(BigInt(row.v)));
      const nul = await c.runAndReadAll('SELECT evt_duration(NULL::BIGINT) AS d');
      expect(nul.getRowObjects()[0]!.d).toBeNull();
    } finally {
      c.closeSync();
    }
  });
});
