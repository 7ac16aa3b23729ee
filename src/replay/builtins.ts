/**
 * The built-in projections: their SQL (one query per cut, run inside DuckDB), their key, and
 * how --key narrows the events read.
 */
import { ORDER_COLUMNS, ordersFinalSql, ordersFoldSql, ordersKeyCondition, ordersMergeSql, ordersShapeSql, ordersSql } from './projections/orders.js';
import { POSITION_COLUMNS, POSITIONS_EMPTY, positionsFoldSql, positionsMergeSql, positionsRowsSql, positionsSnapshotBlocked, positionsSql } from './projections/positions.js';
import { STREAM_COLUMNS, streamsFoldSql, streamsKeyCondition, streamsMergeSql, streamsRowsSql, streamsSql, STREAMS_EMPTY } from './projections/streams.js';
import { BOOK_COLUMNS, bookFoldSql, bookMergeSql, bookRowsSql, bookSql } from './projections/book.js';
import { sql, raw, type Fragment } from '../store/sql.js';

export interface BuiltinProjection {
  name: string;
  description: string;
  columns: readonly string[];
  /** The columns that name an entity (rows are ordered by them; --diff joins on them). */
  keyColumns: readonly string[];
  /** The rows as of a cut; `where` is a condition on the events table. */
  sql(where: string): string;
  /** --key: a condition that narrows the events read, if the key allows (else only the rows are filtered). */
  keyEvents?(key: string): Fragment;
  /** --key: the column the key is matched against. */
  keyColumn: string;
  /**
   * SQL listing (column `name`) the keys the events name, found without replaying: tells a key
   * the log never mentions (an error with suggestions) from one that is not there yet at a cut.
   */
  keyNames?: string;
  /**
   * Events per query above which the command folds the cut in parts, split by a hash of this
   * column (a projection whose fold holds its whole input in memory).
   */
  partition?: { column: string; eventsPerPart: number };
  /** Shown with the table (e.g. the cost method). */
  note?: string;
  /** How its state is kept in a snapshot and continued from one (see ./snapshots.ts). */
  snapshot?: SnapshotSql;
}

/**
 * A built-in's fold split at a seq. Its entities are streams: a snapshot is a table of partial
 * states, one row per stream (column `stream`, typed by DuckDB), and the rows as of a cut after
 * the snapshot are rows(merge(snapshot, fold(events after it in the cut))) — equal to sql(cut)
 * (tested).
 */
export interface SnapshotSql {
  /** The partial states of the events of `where`, one row per stream (column `stream`). */
  fold(where: string): string;
  /** `base` (a relation of partial states, as merge returns them) continued by `fold` (SQL from fold()). */
  merge(base: string, fold: string): string;
  /** A relation with no partial states, typed as merge returns them (the base of a first snapshot). */
  empty: string;
  /** A relation of partial states → the projection's rows in key order. */
  rows(merged: string): string;
  /**
   * When a snapshot cannot be continued exactly by some later events: SQL counting what stops it
   * (`base` the snapshot's table, `later` the condition on the events after it in the cut).
   */
  blocked?(base: string, later: string): string;
}

export const BUILTINS: readonly BuiltinProjection[] = [
  {
    name: 'streams',
    description: 'any log: per stream its event count, last rev / type / time and its data folded as JSON merge patches',
    columns: STREAM_COLUMNS,
    keyColumns: ['stream'],
    keyColumn: 'stream',
    keyNames: `SELECT stream AS name FROM events`,
    sql: streamsSql,
    keyEvents: streamsKeyCondition,
    partition: { column: 'stream', eventsPerPart: 1_000_000 },
    snapshot: { fold: streamsFoldSql, merge: streamsMergeSql, empty: STREAMS_EMPTY, rows: streamsRowsSql },
  },
  {
    name: 'orders',
    description: 'trading: per order its details, status, filled and open quantity, average fill price, venue',
    columns: ORDER_COLUMNS,
    keyColumns: ['orderId'],
    keyColumn: 'orderId',
    // ordersKeyCondition: an order's events are in stream order-<id> (or <id>).
    keyNames: `SELECT CASE WHEN starts_with(stream, 'order-') THEN stream[7:] ELSE stream END AS name FROM events`,
    sql: ordersSql,
    keyEvents: ordersKeyCondition,
    snapshot: {
      fold: ordersFoldSql,
      merge: ordersMergeSql,
      empty: `(${ordersFoldSql('false')})`,
      rows: (merged) => ordersFinalSql(`(${ordersShapeSql(merged)})`),
    },
  },
  {
    name: 'positions',
    description: 'trading: per account and symbol the net quantity, average cost and realised P&L of the fills (average cost method)',
    columns: POSITION_COLUMNS,
    keyColumns: ['accountId', 'symbol'],
    keyColumn: 'accountId',
    keyNames: `SELECT data->>'accountId' AS name FROM events WHERE data->>'accountId' IS NOT NULL`,
    sql: positionsSql,
    note: 'average cost method',
    snapshot: { fold: positionsFoldSql, merge: positionsMergeSql, empty: POSITIONS_EMPTY, rows: positionsRowsSql, blocked: positionsSnapshotBlocked },
  },
  {
    name: 'book',
    description: 'LOBSTER logs: per symbol the level-aggregated limit order book (side, level, price, size, orders); --seed-book FILE:ROW seeds it from an orderbook file',
    columns: BOOK_COLUMNS,
    keyColumns: ['symbol', 'side', 'level'],
    keyColumn: 'symbol',
    // Without a seed (and in the book_at macros): every level, from the orders submitted in the cut.
    sql: (where) => bookSql(where),
    // No keyEvents: its entities are price levels, not streams (callers that narrow a diff to the
    // touched streams, like the UI's replay step, must fold the whole cut); --key filters the rows.
    note: 'from the messages alone; orders resting before the log starts are not in it',
    // Per order (stream = order id); only the book from the messages alone, not a seeded one.
    snapshot: { fold: bookFoldSql, merge: bookMergeSql, empty: `(${bookFoldSql('false')})`, rows: (merged) => bookRowsSql(merged) },
  },
];

export function builtin(name: string): BuiltinProjection | undefined {
  return BUILTINS.find((p) => p.name === name);
}

/**
 * The rows of a built-in as of `cut` (a condition on events), narrowed to `key` when given,
 * in key order. A projection whose key names its streams reads only those; the others are
 * filtered on their key column. The key is bound, not spliced.
 */
export function builtinSql(p: BuiltinProjection, cut: string, key?: string): Fragment {
  if (key === undefined) return raw(p.sql(cut));
  if (p.keyEvents) return p.keyEvents(key).map((k) => p.sql(`(${cut}) AND ${k}`));
  return keyedRows(p, raw(p.sql(cut)), key);
}

/** A built-in's rows narrowed to the entity `key` names, in key order. */
export function keyedRows(p: BuiltinProjection, rows: Fragment, key: string): Fragment {
  const order = p.keyColumns.map((c) => `"${c}"`).join(', ');
  return sql`SELECT * FROM (${rows}) WHERE ${raw(`"${p.keyColumn}"`)} = ${key} ORDER BY ${raw(order)}`;
}
