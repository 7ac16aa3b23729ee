/**
 * `evtrail query` defines only the table macros its SQL names (src/store/macros.ts macrosSqlFor):
 * each one costs DuckDB a bind against events when it is created. The answers must be those of
 * a connection with every macro defined, for every built-in, in any case of its name; a query
 * that names none of them still has evtrail's own macros (evt_iso, evt_ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { streamQuery } from '../../src/query/query.js';
import { builtinMacrosNamed } from '../../src/replay/macros.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = tmpDir('evtrail-query-macros-');
  const file = path.join(dir, 'log.ndjson');
  fs.writeFileSync(file, [...generateTradingLog({ orders: 40, seed: 5, anomalyRate: 0.1 })].map(serializeTradingEvent).join('\n') + '\n');
  db = path.join(dir, 'store.duckdb');
  const store = await Store.open(db, { create: true });
  try {
    await ingestFiles(store, { sources: [file] });
  } finally {
    store.close();
  }
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function viaQuery(sql: string): Promise<{ rows: unknown[][]; functions: string[] }> {
  const store = await Store.open(db, { readOnly: true });
  try {
    const result = await streamQuery(store, sql);
    const rows: unknown[][] = [];
    for await (const chunk of result.rows) rows.push(...chunk);
    const functions = (await store.all(`SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name LIKE '%\\_at%' ESCAPE '\\' AND function_type = 'table_macro' ORDER BY 1`)).map((r) => String(r.function_name));
    return { rows, functions };
  } finally {
    store.close();
  }
}

async function viaAllMacros(sql: string): Promise<unknown[][]> {
  const store = await Store.open(db, { readOnly: true });
  try {
    await store.run(MACROS_SQL);
    return (await store.all(sql)).map((r) => Object.values(r));
  } finally {
    store.close();
  }
}

describe('evtrail query defines the macros its SQL names', () => {
  const cuts = `'2025-08-26 09:31'`;
  const queries: [string, string[]][] = [
    [`SELECT status, count(*)::INTEGER AS n FROM orders_at(${cuts}) GROUP BY ALL ORDER BY ALL`, ['orders_at', 'orders_at_seq']],
    [`SELECT * FROM ORDERS_AT_SEQ(300) ORDER BY ALL`, ['orders_at', 'orders_at_seq']],
    [`SELECT count(*)::INTEGER AS n, sum(realizedPnl)::DOUBLE AS pnl FROM positions_at(${cuts})`, ['positions_at', 'positions_at_seq']],
    [`SELECT count(*)::INTEGER AS n FROM streams_at_seq(500) s JOIN orders_at_seq(500) o ON s.stream = 'order-' || o.orderId`, ['orders_at', 'orders_at_seq', 'streams_at', 'streams_at_seq']],
    [`SELECT count(*)::INTEGER AS n FROM book_at('2025-08-26 10:00')`, ['book_at', 'book_at_seq']],
    [`SELECT evt_iso(max(ts)) AS t, count(*)::INTEGER AS n FROM events`, []],
  ];
  for (const [sql, defined] of queries) {
    it(sql.slice(0, 70), async () => {
      const { rows, functions } = await viaQuery(sql);
      expect(rows).toEqual(await viaAllMacros(sql));
      expect(functions).toEqual(defined);
    }, 60_000);
  }

  it('finds a name in any case, not inside another word', () => {
    expect(builtinMacrosNamed('select * from Orders_At(now())')).toEqual(['orders']);
    expect(builtinMacrosNamed('select * from my_orders_at_view')).toEqual([]);
    expect(builtinMacrosNamed('select 1')).toEqual([]);
  });
});
