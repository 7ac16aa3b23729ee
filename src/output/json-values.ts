/**
 * The one place where DuckDB values become JSON values for --json and --ndjson, decided by the
 * column's type (not by the command), so the same field has the same JSON type everywhere:
 *
 * - integers (TINYINT … HUGEINT, unsigned too) are JSON numbers when a double holds them
 *   exactly (|n| ≤ 2^53 − 1), else strings of their digits (a JSON parser that reads numbers as
 *   doubles, as jq and JavaScript do, would round 9007199254740993 to …992 without a word);
 * - DECIMAL is a JSON number when its digits survive a round trip through a double, else a
 *   string of its exact digits; DOUBLE/FLOAT are numbers (NaN and ±Infinity, which JSON cannot
 *   write, are the strings "NaN", "Infinity", "-Infinity");
 * - every TIMESTAMP type is RFC 3339 UTC text with all nine fractional digits and `Z`
 *   (2025-08-26T09:30:02.529212508Z): sortable as text, the same width everywhere, and the
 *   form every --json of evtrail uses for instants. DATE is YYYY-MM-DD, TIME HH:MM:SS[.f];
 * - a JSON column is its text, written as it is (RawJson: numbers kept as the source wrote them);
 * - LIST/ARRAY are arrays, STRUCT objects, MAP an array of { key, value }; the rest (VARCHAR,
 *   UUID, ENUM, BLOB, INTERVAL…) text, as DuckDB spells it.
 *
 * docs/json/README.md documents the rule for users.
 */
import type { DuckDBType, DuckDBValue, DuckDBValueConverter } from '@duckdb/node-api';
import {
  DuckDBTypeId,
  JsonDuckDBValueConverter,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from '../store/duckdb.js';
import { formatIsoNs } from '../core/time.js';
import { RawJson } from './json.js';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as a JSON number when a double holds it exactly, else its digits as a string. */
export function exactInteger(n: bigint | number): number | string {
  if (typeof n === 'number') return Number.isSafeInteger(n) ? n : String(n);
  return n <= MAX_EXACT && n >= -MAX_EXACT ? Number(n) : n.toString();
}

/** Text of an integer column (the Json converters give strings for BIGINT): a number when exact. */
export function exactIntegerText(text: string): number | string {
  return /^-?\d+$/.test(text) ? exactInteger(BigInt(text)) : text;
}

function integer(value: DuckDBValue): number | string {
  if (typeof value === 'bigint' || typeof value === 'number') return exactInteger(value);
  return String(value);
}

function float(value: DuckDBValue): number | string {
  const n = Number(value);
  return Number.isFinite(n) ? n : String(n);
}

/** A DECIMAL: its exact digits, as a number when a double gives back the same digits. */
function decimal(value: DuckDBValue): number | string {
  if (!(value instanceof DuckDBDecimalValue)) return String(value);
  const text = value.toString();
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  // The same digits both ways (DuckDB keeps trailing zeros of the scale: 1.50 is 1.5).
  const canonical = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return String(n) === canonical.replace(/^(-?)0+(\d)/, '$1$2') ? n : text;
}

/** Nanoseconds since the epoch of any TIMESTAMP value (naive ones are taken as UTC, as the store writes them). */
function timestampNs(value: DuckDBValue): bigint | null {
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos;
  if (value instanceof DuckDBTimestampTZValue) return value.micros * 1000n;
  if (value instanceof DuckDBTimestampValue) return value.micros * 1000n;
  if (value instanceof DuckDBTimestampMillisecondsValue) return value.millis * 1_000_000n;
  if (value instanceof DuckDBTimestampSecondsValue) return value.seconds * 1_000_000_000n;
  return null;
}

function timestamp(value: DuckDBValue): string {
  const ns = timestampNs(value);
  // ±infinity timestamps have no instant: DuckDB's own spelling.
  if (ns === null || !isFinite(value)) return String(value);
  return formatIsoNs(ns);
}

function isFinite(value: DuckDBValue): boolean {
  const text = String(value);
  return text !== 'infinity' && text !== '-infinity';
}

const json = JsonDuckDBValueConverter as DuckDBValueConverter<unknown>;

/**
 * The converter (@duckdb/node-api's DuckDBValueConverter) for values leaving as JSON: the rules
 * above, recursing into lists and structs, DuckDB's own JSON conversion for the other types.
 */
export const exactJsonConverter: DuckDBValueConverter<unknown> = (value: DuckDBValue, type: DuckDBType, converter: DuckDBValueConverter<unknown>) => {
  if (value === null || value === undefined) return null;
  // A JSON column (VARCHAR with the JSON alias): its text, unparsed.
  if (type.alias === 'JSON' && typeof value === 'string') return new RawJson(value);
  switch (type.typeId) {
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT: case DuckDBTypeId.UHUGEINT:
      return integer(value);
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      return float(value);
    case DuckDBTypeId.DECIMAL:
      return decimal(value);
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_S: case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS: case DuckDBTypeId.TIMESTAMP_TZ:
      return timestamp(value);
    default:
      // Lists, structs, maps recurse through `converter` (this one); scalars as DuckDB's JSON conversion writes them.
      return json(value, type, converter);
  }
};
