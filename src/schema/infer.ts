/**
 * Inferring a JSON Schema per (type, schema_version) from the stored events. DuckDB does the
 * work in one pass over data (inferSql): every event's data is cast once to a map of its
 * top-level fields, and per (type, version, field) the aggregates say how often the field is
 * present, which JSON types its values have, its string values when they are few
 * (approx_top_k, exact below its k), and whether every string is an RFC 3339 date-time.
 * buildSchema (pure) turns those rows into a schema.
 *
 * Only the top level is described: a nested object or array gets its JSON type, not its
 * inner structure.
 */
import type { JsonSchema } from './compat.js';

/** A string field becomes an enum when it has at most this many distinct values … */
export const ENUM_MAX_VALUES = 10;
/** … and each appears, on average, at least this often (a handful of ids is not an enum). */
export const ENUM_MIN_EVENTS_PER_VALUE = 5;

// Bits of the JSON kinds a field's values had (bit_or of one per value).
const KIND_BITS = { string: 1, object: 2, array: 4, boolean: 8, null: 16, number: 32, integer: 64 } as const;
type Kind = keyof typeof KIND_BITS;

/**
 * The date-time test of infer: RFC 3339 with a zone, the ranges ajv-formats' date-time checks
 * (a day past the end of its month, e.g. 02-30, passes here and not there: such a value is
 * then a violation, which it is).
 */
const DATE_TIME_RE = '"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)"';

/** SQL: one row per (type, schema_version, field), plus the event counts per group. */
export function inferSql(source = 'events'): string {
  // The field's JSON kind from its raw text's first character: no second parse.
  const kind = `CASE left(val, 1) WHEN '"' THEN ${KIND_BITS.string} WHEN '{' THEN ${KIND_BITS.object} WHEN '[' THEN ${KIND_BITS.array}
      WHEN 't' THEN ${KIND_BITS.boolean} WHEN 'f' THEN ${KIND_BITS.boolean} WHEN 'n' THEN ${KIND_BITS.null}
      ELSE CASE WHEN contains(val, '.') OR contains(val, 'e') OR contains(val, 'E') THEN ${KIND_BITS.number} ELSE ${KIND_BITS.integer} END END`;
  return `WITH m AS (
      SELECT type, schema_version, TRY_CAST(data AS MAP(VARCHAR, JSON)) AS m FROM ${source}
    ), kv AS (
      SELECT type, schema_version, unnest(map_keys(m)) AS key, unnest(map_values(m))::VARCHAR AS val FROM m WHERE m IS NOT NULL
    )
    SELECT type, schema_version, key, count(*) AS present,
      bit_or(${kind}) AS kinds,
      count(*) FILTER (WHERE left(val, 1) = '"') AS strings,
      approx_top_k(val, ${ENUM_MAX_VALUES + 1}) FILTER (WHERE left(val, 1) = '"') AS top_strings,
      -- The regex only for strings shaped like a date ('"YYYY-…'): most strings fail the cheap test.
      count(*) FILTER (WHERE left(val, 1) = '"' AND NOT (substr(val, 6, 1) = '-' AND regexp_full_match(val, '${DATE_TIME_RE}'))) AS not_date_time
    FROM kv GROUP BY ALL`;
}

/**
 * SQL: per group, the event count, how many have an object as data (its text starts with '{':
 * no parse), the seq of its first event, the time range.
 */
export function groupSql(source = 'events'): string {
  return `SELECT type, schema_version, count(*) AS events, count(*) FILTER (WHERE starts_with(ltrim(data::VARCHAR), '{')) AS objects,
      min(seq) AS first_seq, min(ts)::VARCHAR AS first_ts, max(ts)::VARCHAR AS last_ts
    FROM ${source} GROUP BY ALL ORDER BY type, schema_version`;
}

/** SQL: the field order of the groups' first events (few rows, found by seq). */
export function firstKeysSql(seqs: string[], source = 'events'): string {
  return `SELECT seq, CASE WHEN json_type(data) = 'OBJECT' THEN json_keys(data) END AS keys FROM ${source} WHERE seq IN (${seqs.map((s) => String(BigInt(s))).join(', ') || 'NULL'})`;
}

export interface FieldStats {
  key: string;
  present: number;
  kinds: number;
  strings: number;
  /** The most frequent string values (raw JSON text); all of them when there are at most ENUM_MAX_VALUES. */
  topStrings: string[] | null;
  notDateTime: number;
}

export interface GroupStats {
  type: string;
  version: number;
  events: number;
  /** Events whose data is a JSON object (the others break any inferred schema). */
  objects: number;
  /** Field order of the group's first event: producers keep one order, and check's fast path follows it. */
  firstKeys: string[];
}

const kindsOf = (bits: number): Kind[] => (Object.keys(KIND_BITS) as Kind[]).filter((k) => (bits & KIND_BITS[k]) !== 0);

/** The JSON Schema (2020-12) of one group, from its field statistics. Pure. */
export function buildSchema(group: GroupStats, fields: FieldStats[]): { [key: string]: unknown } {
  const order = new Map(group.firstKeys.map((k, i) => [k, i]));
  const sorted = [...fields].sort((a, b) => (order.get(a.key) ?? Infinity) - (order.get(b.key) ?? Infinity) || b.present - a.present || a.key.localeCompare(b.key));
  const properties: Record<string, JsonSchema> = {};
  const presence: Record<string, { count: number; share: number }> = {};
  const required: string[] = [];
  for (const f of sorted) {
    properties[f.key] = propertySchema(f);
    presence[f.key] = { count: f.present, share: group.objects === 0 ? 0 : Math.round((f.present / group.objects) * 10000) / 10000 };
    if (f.present === group.objects) required.push(f.key);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${group.type} v${group.version}`,
    description: `Inferred by evtrail schema infer from ${group.events} stored event(s).`,
    'x-evtrail-type': group.type,
    'x-evtrail-version': group.version,
    'x-evtrail-inferred': {
      events: group.events,
      objects: group.objects,
      enumThreshold: { maxValues: ENUM_MAX_VALUES, minEventsPerValue: ENUM_MIN_EVENTS_PER_VALUE },
      presence,
    },
    type: 'object',
    required,
    properties,
  };
}

function propertySchema(f: FieldStats): JsonSchema {
  let kinds = kindsOf(f.kinds);
  // integer ⊂ number: a field with both is a number.
  if (kinds.includes('number')) kinds = kinds.filter((k) => k !== 'integer');
  const onlyStrings = kinds.length === 1 && kinds[0] === 'string';
  if (onlyStrings && f.topStrings !== null && f.topStrings.length <= ENUM_MAX_VALUES && f.strings >= ENUM_MIN_EVENTS_PER_VALUE * f.topStrings.length) {
    const values = f.topStrings.map((t) => JSON.parse(t) as string).sort();
    return { type: 'string', enum: values };
  }
  const type = kinds.length === 1 ? kinds[0]! : kinds;
  if (onlyStrings && f.notDateTime === 0 && f.strings > 0) return { type, format: 'date-time' };
  return { type };
}
