/**
 * @duckdb/node-api, loaded with require(). It is a CommonJS package; an ESM `import` of it makes
 * Node run its CommonJS export lexer over the package's index and every file it re-exports, which
 * cost 0.13 CPU-s of each command's start (0.27 CPU-s to import it, 0.14 s to require it, Node 20;
 * BENCHMARKS.md, issue 21 trace and orders). Types come from `import type`, which loads nothing.
 * Every module of src/ takes DuckDB's values from here, so none of them imports the package.
 */
import { createRequire } from 'node:module';

type NodeApi = typeof import('@duckdb/node-api');

const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as NodeApi;

export const {
  DuckDBInstance,
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  listValue,
} = duckdb;
/** The classes' instance types, under the same names (as the package's own exports give them). */
export type DuckDBInstance = InstanceType<NodeApi['DuckDBInstance']>;
