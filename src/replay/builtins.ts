/**
 * The built-in projections: their SQL (one query per cut, run inside DuckDB), their key, and
 * how --key narrows the events read.
 */
import { ORDER_COLUMNS, ordersKeyCondition, ordersSql } from './projections/orders.js';
import { POSITION_COLUMNS, positionsSql } from './projections/positions.js';
import { STREAM_COLUMNS, streamsKeyCondition, streamsSql } from './projections/streams.js';
import { sqlString } from '../store/sql.js';

export interface BuiltinProjection {
  name: string;
  description: string;
  columns: readonly string[];
  /** The columns that name an entity (rows are ordered by them; --diff joins on them). */
  keyColumns: readonly string[];
  /** The rows as of a cut; `where` is a condition on the events table. */
  sql(where: string): string;
  /** --key: a condition that narrows the events read, if the key allows (else only the rows are filtered). */
  keyEvents?(key: string): string;
  /** --key: the column the key is matched against. */
  keyColumn: string;
  /**
   * Events per query above which the command folds the cut in parts, split by a hash of this
   * column (a projection whose fold holds its whole input in memory).
   */
  partition?: { column: string; eventsPerPart: number };
  /** Shown with the table (e.g. the cost method). */
  note?: string;
}

export const BUILTINS: readonly BuiltinProjection[] = [
  {
    name: 'streams',
    description: 'any log: per stream its event count, last rev / type / time and its data folded as JSON merge patches',
    columns: STREAM_COLUMNS,
    keyColumns: ['stream'],
    keyColumn: 'stream',
    sql: streamsSql,
    keyEvents: streamsKeyCondition,
    partition: { column: 'stream', eventsPerPart: 1_000_000 },
  },
  {
    name: 'orders',
    description: 'trading: per order its details, status, filled and open quantity, average fill price, venue',
    columns: ORDER_COLUMNS,
    keyColumns: ['orderId'],
    keyColumn: 'orderId',
    sql: ordersSql,
    keyEvents: ordersKeyCondition,
  },
  {
    name: 'positions',
    description: 'trading: per account and symbol the net quantity, average cost and realised P&L of the fills (average cost method)',
    columns: POSITION_COLUMNS,
    keyColumns: ['accountId', 'symbol'],
    keyColumn: 'accountId',
    sql: positionsSql,
    note: 'average cost method',
  },
];

export function builtin(name: string): BuiltinProjection | undefined {
  return BUILTINS.find((p) => p.name === name);
}

/**
 * The rows of a built-in as of `cut` (a condition on events), narrowed to `key` when given,
 * in key order. A projection whose key names its streams reads only those; the others are
 * filtered on their key column.
 */
export function builtinSql(p: BuiltinProjection, cut: string, key?: string): string {
  if (key === undefined) return p.sql(cut);
  if (p.keyEvents) return p.sql(`(${cut}) AND ${p.keyEvents(key)}`);
  const order = p.keyColumns.map((c) => `"${c}"`).join(', ');
  return `SELECT * FROM (${p.sql(cut)}) WHERE "${p.keyColumn}" = ${sqlString(key)} ORDER BY ${order}`;
}
