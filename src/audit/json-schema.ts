/**
 * The event data schemas a pack ships (JSON Schema, a subset) and their translation into one
 * SQL expression per schema that DuckDB evaluates for every event in a single pass. Pure: no
 * DuckDB, no files.
 *
 * Supported: an object schema with `properties`, `required`, and per property `type` (one or a
 * list of string, integer, number, boolean, object, array, null), `enum`, `const`, `minimum`,
 * `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`, `pattern`;
 * annotations (`title`, `description`, `format`, `examples`, `$comment`) are accepted and not
 * checked. Anything else is refused when the schema is loaded, so a constraint is never
 * silently ignored. Which event a schema is for: `x-evtrail-type` and `x-evtrail-version`.
 */
import { z } from 'zod';
import { jsonPath, sqlString } from '../store/sql.js';

const JSON_TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'] as const;
type JsonType = (typeof JSON_TYPES)[number];

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const propertySchema = z
  .object({
    type: z.union([z.enum(JSON_TYPES), z.array(z.enum(JSON_TYPES)).min(1)]).optional(),
    enum: z.array(scalar).min(1).optional(),
    const: scalar.optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(0).optional(),
    pattern: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    format: z.string().optional(),
    examples: z.array(z.unknown()).optional(),
    $comment: z.string().optional(),
  })
  .strict();

export const eventSchemaSchema = z
  .object({
    $schema: z.string().optional(),
    $id: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    $comment: z.string().optional(),
    'x-evtrail-type': z.string().min(1),
    'x-evtrail-version': z.number().int().min(1),
    type: z.literal('object'),
    required: z.array(z.string()).default([]),
    properties: z.record(z.string(), propertySchema),
    additionalProperties: z.literal(true, { error: 'only true is supported (extra fields are allowed)' }).optional(),
  })
  .strict();

export type EventSchemaJson = z.infer<typeof eventSchemaSchema>;
type PropertyJson = z.infer<typeof propertySchema>;

export interface EventSchema {
  type: string;
  version: number;
  file: string;
  json: EventSchemaJson;
}

/** Parses a schema file's JSON; throws an Error "field: reason" (the caller adds the file). */
export function parseEventSchema(file: string, json: unknown): EventSchema {
  const result = eventSchemaSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'schema';
    const reason = issue.code === 'unrecognized_keys' ? `not supported: ${issue.keys.join(', ')}` : issue.message;
    throw new Error(`${where}: ${reason}`);
  }
  const s = result.data;
  for (const name of s.required) {
    if (!(name in s.properties)) throw new Error(`required: ${name} is not in properties`);
  }
  for (const [name, p] of Object.entries(s.properties)) {
    if (p.pattern !== undefined) {
      try {
        new RegExp(p.pattern, 'u');
      } catch {
        throw new Error(`properties.${name}.pattern: not a valid regular expression`);
      }
    }
  }
  return { type: s['x-evtrail-type'], version: s['x-evtrail-version'], file, json: s };
}

/** JSON path of a top-level property as an SQL literal (store/sql.ts jsonPath quotes any name). */
function propertyPath(name: string): string {
  return sqlString(jsonPath([name]));
}

/** SQL: is the raw JSON text `r` (never SQL NULL here) of this JSON type? */
function typeTest(r: string, type: JsonType): string {
  switch (type) {
    case 'string':
      return `left(${r}, 1) = '"'`;
    case 'number':
      return `evt_json_is_number(${r})`;
    case 'integer':
      return `(evt_json_is_number(${r}) AND (NOT regexp_matches(${r}, '[.eE]') OR TRY_CAST(${r} AS DOUBLE) = trunc(TRY_CAST(${r} AS DOUBLE))))`;
    case 'boolean':
      return `(${r} = 'true' OR ${r} = 'false')`;
    case 'null':
      return `${r} = 'null'`;
    case 'object':
      return `left(${r}, 1) = '{'`;
    case 'array':
      return `left(${r}, 1) = '['`;
  }
}

/**
 * SQL for one property: a problem text, or NULL when the value is fine. `r` is the raw JSON
 * text of the value (SQL NULL when the field is absent).
 */
function propertyCheck(name: string, p: PropertyJson, required: boolean, r: string): string {
  const shown = `evt_json_shown(${r})`;
  const is = sqlString(`${name} is `);
  const branches: string[] = [];
  branches.push(`WHEN ${r} IS NULL THEN ${required ? sqlString(`missing required field ${name}`) : 'NULL'}`);
  const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  if (types.length) {
    branches.push(`WHEN NOT (${types.map((t) => typeTest(r, t)).join(' OR ')}) THEN ${is} || ${shown} || ${sqlString(`, expected ${types.join(' or ')}`)}`);
  }
  const allowed = p.const !== undefined ? [p.const] : p.enum;
  if (allowed) {
    // Text, booleans and null compare as the JSON text json_extract writes (compact); numbers by value.
    const texts = allowed.filter((v) => typeof v !== 'number').map((v) => `${r} = ${sqlString(JSON.stringify(v))}`);
    const numbers = allowed.filter((v): v is number => typeof v === 'number').map((v) => `TRY_CAST(${r} AS DOUBLE) = ${v}`);
    const tests = [...texts, ...numbers];
    const list = allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
    branches.push(`WHEN NOT (${tests.join(' OR ')}) THEN ${is} || ${shown} || ${sqlString(allowed.length === 1 ? `, expected ${list}` : `, expected one of ${list}`)}`);
  }
  const num = `TRY_CAST(${r} AS DOUBLE)`;
  const bounds: [number | undefined, string, string][] = [
    [p.minimum, '<', 'at least'],
    [p.exclusiveMinimum, '<=', 'more than'],
    [p.maximum, '>', 'at most'],
    [p.exclusiveMaximum, '>=', 'less than'],
  ];
  for (const [bound, op, words] of bounds) {
    if (bound === undefined) continue;
    branches.push(`WHEN evt_json_is_number(${r}) AND ${num} ${op} ${bound} THEN ${is} || ${r} || ${sqlString(`, expected ${words} ${bound}`)}`);
  }
  const str = `(${r}->>'$')`;
  // The raw text of a string is never shorter than its value (escapes only add characters), so
  // the value is decoded only when the raw length cannot decide.
  if (p.minLength !== undefined) {
    const n = p.minLength;
    branches.push(`WHEN left(${r}, 1) = '"' AND (length(${r}) - 2 < ${n} OR (strpos(${r}, '\\') > 0 AND length(${str}) < ${n})) THEN ${is} || ${shown} || ${sqlString(`, expected at least ${n} character${n === 1 ? '' : 's'}`)}`);
  }
  if (p.maxLength !== undefined) {
    const n = p.maxLength;
    branches.push(`WHEN left(${r}, 1) = '"' AND length(${r}) - 2 > ${n} AND length(${str}) > ${n} THEN ${is} || ${shown} || ${sqlString(`, expected at most ${n} characters`)}`);
  }
  if (p.pattern !== undefined) {
    branches.push(`WHEN left(${r}, 1) = '"' AND NOT regexp_matches(${str}, ${sqlString(p.pattern)}) THEN ${is} || ${shown} || ${sqlString(`, expected to match ${p.pattern}`)}`);
  }
  return `CASE ${branches.join(' ')} END`;
}

/**
 * SQL: a cheap test that a property is certainly fine (no strings built, no JSON parsed), so
 * that the full check, which builds the messages, runs only on the few events that fail it.
 * It may say false for a value the full check accepts (1.0 as an integer, a string with
 * escapes); never true for one it refuses.
 */
function propertyOk(p: PropertyJson, required: boolean, r: string): string {
  // Only comparisons and substring searches: no casts, no decoding. The value is valid JSON
  // (it was parsed out of data), so a text starting with a digit or '-' is a number, one
  // starting with 1-9 a positive one (JSON has no leading zeros), one without '.', 'e' or 'E'
  // a whole one.
  const digitStart = `(${r} >= '0' AND ${r} < ':')`;
  const number = `(${digitStart} OR starts_with(${r}, '-'))`;
  const whole = `NOT (contains(${r}, '.') OR contains(${r}, 'e') OR contains(${r}, 'E'))`;
  const positive = `(${r} >= '1' AND ${r} < ':')`;
  const tests: string[] = [];
  const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  const typeOk: Record<JsonType, string> = {
    string: `starts_with(${r}, '"')`,
    integer: `(${number} AND ${whole})`,
    number,
    boolean: `(${r} = 'true' OR ${r} = 'false')`,
    null: `${r} = 'null'`,
    object: `starts_with(${r}, '{')`,
    array: `starts_with(${r}, '[')`,
  };
  const numeric = types.length > 0 && types.every((t) => t === 'integer' || t === 'number');
  const isInteger = types.length === 1 && types[0] === 'integer';
  let boundsDone = false;
  // The common bounds of quantities and prices, without a cast.
  if (numeric && p.minimum === undefined && p.maximum === undefined && p.exclusiveMaximum === undefined && p.exclusiveMinimum === 0) {
    tests.push(isInteger ? `(${positive} AND ${whole})` : positive);
    boundsDone = true;
  } else if (numeric && p.exclusiveMinimum === undefined && p.maximum === undefined && p.exclusiveMaximum === undefined && p.minimum === 0) {
    tests.push(isInteger ? `(${digitStart} AND ${whole})` : digitStart);
    boundsDone = true;
  } else if (types.length) {
    tests.push(types.length === 1 ? typeOk[types[0]!] : `(${types.map((t) => typeOk[t]).join(' OR ')})`);
  }
  const allowed = p.const !== undefined ? [p.const] : p.enum;
  if (allowed) {
    // Equality chains, not IN: DuckDB plans a long IN list as a join over every row.
    if (allowed.every((v) => typeof v === 'string')) tests.push(`(${allowed.map((v) => `${r} = ${sqlString(JSON.stringify(v))}`).join(' OR ')})`);
    else tests.push('FALSE');
  }
  if (!boundsDone) {
    const num = `TRY_CAST(${r} AS DOUBLE)`;
    if (p.minimum !== undefined) tests.push(`${num} >= ${p.minimum}`);
    if (p.exclusiveMinimum !== undefined) tests.push(`${num} > ${p.exclusiveMinimum}`);
    if (p.maximum !== undefined) tests.push(`${num} <= ${p.maximum}`);
    if (p.exclusiveMaximum !== undefined) tests.push(`${num} < ${p.exclusiveMaximum}`);
  }
  const plain = `NOT contains(${r}, '\\')`;
  if (p.minLength !== undefined) tests.push(p.minLength === 1 ? `${r} <> '""'` : `(${plain} AND length(${r}) - 2 >= ${p.minLength})`);
  if (p.maxLength !== undefined) tests.push(`length(${r}) - 2 <= ${p.maxLength}`);
  if (p.pattern !== undefined) tests.push(`(${plain} AND regexp_matches(substr(${r}, 2, length(${r}) - 2), ${sqlString(p.pattern)}))`);
  const when = tests.length ? tests.join(' AND ') : 'TRUE';
  return required ? `(${r} IS NOT NULL AND ${when})` : `(${r} IS NULL OR (${when}))`;
}

/**
 * The raw values of one event are extracted once per check and read through a lambda with
 * the position of each value: a query that names the extracted list more than once gets the
 * extraction (a JSON parse) repeated by DuckDB's optimizer for every mention.
 */
function perValue(schema: EventSchema, data: string, f: (name: string, p: PropertyJson, required: boolean, v: string) => string): string {
  const required = new Set(schema.json.required);
  const names = schemaPaths(schema);
  const cases = names.map((name, i) => `WHEN ${i + 1} THEN ${f(name, schema.json.properties[name]!, required.has(name), 'evt_v')}`).join(' ');
  return `list_transform(${extractSql(schema, data)}, (evt_v, evt_i) -> CASE evt_i ${cases} END)`;
}

/** SQL: TRUE when the event certainly matches the schema (see propertyOk); one parse of data. */
export function okSql(schema: EventSchema, data = 'data'): string {
  return `(starts_with(${data}, '{') AND list_bool_and(${perValue(schema, data, (_n, p, req, v) => `coalesce(${propertyOk(p, req, v)}, FALSE)`)}))`;
}

// ---------------------------------------------------------------------------------------------
// The fast path: one regular expression per schema over the data text

const reEscape = (t: string): string => t.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
const RE_STRING = '"(?:[^"\\\\]|\\\\.)*"';
const RE_NONEMPTY_STRING = '"(?:[^"\\\\]|\\\\.)+"';
const RE_FRACTION = '(?:\\.[0-9]+)?';
/** A pattern whose inner part can only match plain characters: no quote, no backslash. */
const SAFE_PATTERN = /^\^((?:[A-Za-z0-9_ -]|\[[A-Za-z0-9_-]+\]|\{\d+(?:,\d*)?\}|[+*?])+)\$$/;

/** A regular expression for the raw JSON text of a value that certainly satisfies p, or null. */
function valueRegex(p: PropertyJson): string | null {
  const types = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  const allowed = p.const !== undefined ? [p.const] : p.enum;
  if (allowed) {
    if (!allowed.every((v) => typeof v === 'string') || (types.length > 0 && !types.includes('string'))) return null;
    return `(?:${allowed.map((v) => reEscape(JSON.stringify(v))).join('|')})`;
  }
  if (types.length !== 1) return null;
  const bounds = [p.minimum, p.maximum, p.exclusiveMinimum, p.exclusiveMaximum].filter((b) => b !== undefined).length;
  switch (types[0]!) {
    case 'string': {
      if (p.maxLength !== undefined || (p.minLength ?? 0) > 1) return null;
      if (p.pattern !== undefined) {
        const m = SAFE_PATTERN.exec(p.pattern);
        return m ? `"${m[1]}"` : null;
      }
      return p.minLength === 1 ? RE_NONEMPTY_STRING : RE_STRING;
    }
    case 'integer':
      if (bounds === 0) return '-?(?:0|[1-9][0-9]*)';
      if (bounds === 1 && p.exclusiveMinimum === 0) return '[1-9][0-9]*';
      if (bounds === 1 && p.minimum === 0) return '(?:0|[1-9][0-9]*)';
      return null;
    case 'number':
      if (bounds === 0) return `-?(?:0|[1-9][0-9]*)${RE_FRACTION}`;
      if (bounds === 1 && p.exclusiveMinimum === 0) return `(?:[1-9][0-9]*${RE_FRACTION}|0\\.[0-9]*[1-9][0-9]*)`;
      if (bounds === 1 && p.minimum === 0) return `(?:0|[1-9][0-9]*)${RE_FRACTION}`;
      return null;
    case 'boolean':
      return '(?:true|false)';
    case 'null':
      return 'null';
    default:
      return null;
  }
}

/**
 * A regular expression that matches the compact JSON text of an object with the schema's
 * properties in the schema's order (optional ones may be absent) and values that certainly
 * satisfy it; null when the schema has a constraint the fast path cannot express. Most
 * producers write their fields in one fixed order, so for most events one match decides,
 * without parsing. It never accepts an event the full check refuses (a value in another
 * order, with spaces, extra fields or exponents simply goes to the full check).
 */
export function fastPathRegex(schema: EventSchema): string | null {
  const names = schemaPaths(schema);
  const required = new Set(schema.json.required);
  if (names.length === 0 || !required.has(names[0]!)) return null;
  let re = '\\{';
  for (const [i, name] of names.entries()) {
    const v = valueRegex(schema.json.properties[name]!);
    if (v === null) return null;
    const part = `${i === 0 ? '' : ','}${reEscape(JSON.stringify(name))}:${v}`;
    re += required.has(name) ? part : `(?:${part})?`;
  }
  return `${re}\\}`;
}

/** The property names a schema checks, in the order of its raw-value list. */
export function schemaPaths(schema: EventSchema): string[] {
  return Object.keys(schema.json.properties);
}

/** SQL: the list of raw JSON texts of the schema's properties, from `data` (one parse). */
export function extractSql(schema: EventSchema, data = 'data'): string {
  return `json_extract(${data}, [${schemaPaths(schema).map(propertyPath).join(', ')}])::VARCHAR[]`;
}

/** SQL: the problems of an event against the schema, as one text ("; "-separated), '' when there are none. */
export function checkSql(schema: EventSchema, data = 'data'): string {
  return `CASE WHEN ${data} IS NULL THEN 'data is missing' WHEN NOT starts_with(ltrim(${data}::VARCHAR), '{') THEN 'data is not a JSON object'
    ELSE array_to_string(${perValue(schema, data, (name, p, req, v) => propertyCheck(name, p, req, v))}, '; ') END`;
}

function branches(schemas: EventSchema[], f: (s: EventSchema) => string): string {
  return schemas.map((s) => `WHEN type = ${sqlString(s.type)} AND schema_version = ${s.version} THEN ${f(s)}`).join('\n    ');
}

/**
 * SQL, step 1 of the schema check: the events of `source` that a cheap test cannot pass, with
 * their data. One pass over data. For a schema in `fast`, the test is fastPathRegex on the
 * data text; for the others okSql (the fields extracted in one parse, tested by position).
 * Almost every event passes, so the messages (step 2) are built for few.
 */
export function schemaSuspectsSql(schemas: EventSchema[], source = 'audit_events', fast: ReadonlySet<EventSchema> = new Set()): string {
  if (schemas.length === 0) return `SELECT seq, id, stream, ts, type, schema_version, data FROM ${source} WHERE FALSE`;
  const types = [...new Set(schemas.map((s) => s.type))];
  const test = (s: EventSchema) => (fast.has(s) ? `regexp_full_match(data, ${sqlString(fastPathRegex(s)!)})` : okSql(s, 'data'));
  return `SELECT seq, id, stream, ts, type, schema_version, data
    FROM ${source}
    WHERE type IN (${types.map(sqlString).join(', ')})
      AND NOT coalesce(CASE ${branches(schemas, test)} END, FALSE)`;
}

/** SQL: for a sample, per schema (type, schema_version), how many events the fast path passes. */
export function fastPathSampleSql(schemas: EventSchema[], sample: string): string {
  const withRe = schemas.filter((s) => fastPathRegex(s) !== null);
  if (withRe.length === 0) return `SELECT NULL AS type, NULL AS schema_version, 0 AS n, 0 AS hit WHERE FALSE`;
  return `SELECT type, schema_version, count(*) AS n,
      count(*) FILTER (WHERE coalesce(CASE ${branches(withRe, (s) => `regexp_full_match(data, ${sqlString(fastPathRegex(s)!)})`)} END, FALSE)) AS hit
    FROM ${sample} GROUP BY ALL`;
}

/**
 * SQL, step 2: the problems of the suspects (a query or table with step 1's columns) against
 * their schema; an event whose type has schemas but not for its version is a problem too.
 * Only events with problems are kept.
 */
export function schemaProblemsSql(schemas: EventSchema[], suspects: string): string {
  if (schemas.length === 0) return `SELECT seq, id, stream, ts, type, schema_version, ''::VARCHAR AS problems FROM ${suspects} WHERE FALSE`;
  const types = [...new Set(schemas.map((s) => s.type))];
  const unknownVersion = types
    .map((t) => {
      const versions = schemas.filter((s) => s.type === t).map((s) => s.version).sort((a, b) => a - b);
      return `WHEN type = ${sqlString(t)} THEN ${sqlString(`no schema is registered for this version (registered: ${versions.map((v) => `v${v}`).join(', ')})`)}`;
    })
    .join('\n    ');
  return `SELECT seq, id, stream, ts, type, schema_version, problems FROM (
    SELECT seq, id, stream, ts, type, schema_version,
      CASE ${branches(schemas, (s) => checkSql(s))}
      ${unknownVersion}
      END AS problems
    FROM ${suspects}
  ) WHERE problems <> ''`;
}

/** Macros the generated SQL uses (TEMP, defined on the audit's connection). */
export const SCHEMA_MACROS_SQL = `
-- (No IN list: DuckDB plans a long IN list as a join, evaluated on every row.)
CREATE OR REPLACE TEMP MACRO evt_json_is_number(r) AS (r >= '0' AND r < ':') OR starts_with(r, '-');
CREATE OR REPLACE TEMP MACRO evt_json_kind(r) AS CASE
  WHEN left(r, 1) = '"' THEN 'the string' WHEN r IN ('true', 'false') THEN 'the boolean' WHEN r = 'null' THEN 'null'
  WHEN left(r, 1) = '{' THEN 'an object' WHEN left(r, 1) = '[' THEN 'an array' ELSE 'the number' END;
CREATE OR REPLACE TEMP MACRO evt_json_shown(r) AS
  evt_json_kind(r) || CASE WHEN r = 'null' OR left(r, 1) IN ('{', '[') THEN '' ELSE ' ' || CASE WHEN length(r) > 40 THEN left(r, 39) || '…' ELSE r END END;
`;
