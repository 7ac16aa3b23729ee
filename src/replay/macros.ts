/**
 * The built-in projections as DuckDB TEMP table macros, so `evtrail query` can use them:
 *
 *   select status, count(*) from orders_at('2025-08-26 10:00') group by all
 *   select * from orders_at_seq(1500000) where status = 'FILLED'
 *   select * from positions_at('2025-08-26 10:00') where accountId = 'acc-00042'
 *   select * from book_at('2012-06-21 09:35') where symbol = 'AMZN' and level <= 5
 *
 * `<name>_at(t)` replays the events with ts ≤ t (t a TIMESTAMP, or text in any form ingest
 * accepts: ISO 8601 with up to nine digits and an offset, epoch numbers); `<name>_at_seq(n)`
 * the events with seq ≤ n. Their rows come unordered (see unordered() below). They are part of
 * MACROS_SQL (src/store/macros.ts), which needs the events table to exist (DuckDB binds a
 * table macro when it is created) and evt_ts / evt_iso defined before.
 */
import { bookSql } from './projections/book.js';
import { ordersSql } from './projections/orders.js';
import { positionsSql } from './projections/positions.js';
import { streamsSql } from './projections/streams.js';

/** The table macros, one pair per built-in projection: [name, SQL of the rows for a cut]. */
export const BUILTIN_MACROS: readonly [string, (where: string) => string][] = [
  ['orders', ordersSql],
  ['streams', streamsSql],
  ['positions', positionsSql],
  // LOBSTER logs, from the messages alone (complete = false); a seeded book is replay --seed-book's.
  ['book', (where) => bookSql(where)],
];

/** The replay cut macros and the table macros of these built-ins (all of them by default). */
export function replayMacrosSql(names: readonly string[] = BUILTIN_MACROS.map(([name]) => name)): string {
  return `
-- A replay cut's time: a TIMESTAMP, or text in any form ingest reads. When t is no time the
-- query stops with an error rather than an empty result: evt_at_ok(t) folds to true for a good t
-- and raises otherwise, and evt_at_or_end(t) lets rows reach it. Kept apart so that
-- ts <= evt_at_or_end(t) folds to a plain comparison DuckDB pushes into the scan (an error()
-- inside it would keep it from folding).
CREATE OR REPLACE TEMP MACRO evt_at(t) AS evt_ts(CAST(t AS VARCHAR));
CREATE OR REPLACE TEMP MACRO evt_at_or_end(t) AS coalesce(evt_at(t), '2262-04-11 23:47:16'::TIMESTAMP_NS);
CREATE OR REPLACE TEMP MACRO evt_at_ok(t) AS
  CASE WHEN evt_at(t) IS NULL THEN error('not a time: ' || coalesce(CAST(t AS VARCHAR), 'NULL') || ' (give ISO 8601, e.g. ''2025-08-26 10:00'')') ELSE true END;
${BUILTIN_MACROS.filter(([name]) => names.includes(name)).map(([name, sql]) => `
CREATE OR REPLACE TEMP MACRO ${name}_at(t) AS TABLE ${unordered(sql('ts <= evt_at_or_end(t) AND evt_at_ok(t)'))};
CREATE OR REPLACE TEMP MACRO ${name}_at_seq(n) AS TABLE ${unordered(sql('seq <= n'))};`).join('\n')}
`;
}

export const REPLAY_MACROS_SQL = replayMacrosSql();

/**
 * The built-ins whose table macros a query's text names (`orders_at(…)`, `ORDERS_AT_SEQ(…)`):
 * DuckDB binds each table macro against events when it is created, 2–10 ms of CPU apiece, so
 * `evtrail query` creates only the ones it may call (a name inside a string literal only costs
 * its creation).
 */
export function builtinMacrosNamed(sql: string): string[] {
  return BUILTIN_MACROS.map(([name]) => name).filter((name) => new RegExp(`\\b${name}_at(_seq)?\\b`, 'i').test(sql));
}

/**
 * A projection's rows without their final ORDER BY. A table macro's rows come in no particular
 * order, like any table's (add ORDER BY in the query); the sort is not free: at 10M events,
 * sorting 500k orders only to count them by status took 0.3 s of the query's 0.55 s, and it
 * keeps DuckDB from dropping the columns the query does not read. `evtrail replay` keeps its
 * sorted output (it runs the projections' SQL, not the macros).
 */
function unordered(sql: string): string {
  const stripped = sql.replace(/\s+ORDER BY [\w\s,"]+$/, '');
  if (stripped === sql) throw new Error(`internal: a built-in projection's SQL should end with ORDER BY: …${sql.slice(-80)}`);
  return stripped;
}
