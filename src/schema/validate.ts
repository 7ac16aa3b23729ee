/**
 * Validating stored events against JSON Schemas: the engine of `schema check` and
 * `schema compat --against-log`.
 *
 * Two steps, as in the audit's schema-violation rule (src/audit/json-schema.ts), whose SQL
 * this reuses:
 * 1. DuckDB finds the *suspects* in one pass over data: for a schema inside the subset the
 *    audit translates to SQL (parseEventSchema), the audit's cheap test (fastPathRegex, one
 *    regular expression over the data text, or okSql, the fields extracted once); a schema
 *    outside it (nested properties, $ref, combiners, formats other than date-time, …) makes
 *    every event of its (type, version) a suspect. The cheap test never passes an event the
 *    exact check refuses, so nothing is missed; it may fail one the exact check accepts.
 * 2. Ajv (draft-07 / 2020-12, formats from ajv-formats) judges each suspect exactly and says
 *    where and why. Almost every event passes step 1, so JavaScript touches only the few.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { fastPathRegex, okSql, parseEventSchema, type EventSchema } from '../audit/json-schema.js';
import { combine, join, list, sql, sqlString, type Fragment } from '../store/sql.js';
import type { Store } from '../store/store.js';
import type { JsonSchema } from './compat.js';
import { compileSchema } from './registry.js';

/** Which events one schema judges: a type and one version, or every version (null). */
export interface Target {
  type: string;
  version: number | null;
  file: string;
  schema: JsonSchema;
}

export interface Violation {
  eventId: string;
  seq: number;
  stream: string | null;
  type: string;
  version: number;
  /** JSON pointer into the event's data, e.g. "/qty" ("" for data itself). */
  path: string;
  message: string;
}

export interface TargetResult {
  type: string;
  /** null: the target judged every version of its type. */
  version: number | null;
  schema: string;
  events: number;
  /** Events with at least one violation. */
  violating: number;
  /** How step 1 ran for this schema: one regex, the fields in SQL, or every event to Ajv. */
  prefilter: 'regex' | 'sql' | 'none';
  /** Per stored schema_version of the type (one entry when the target has a version). */
  versions: { version: number; events: number; violating: number }[];
}

export interface ValidationResult {
  targets: TargetResult[];
  /** Violations in seq order, at most `limit` events' worth (every one of an event listed is kept). */
  violations: Violation[];
  violatingEvents: number;
  errors: number;
  /** Events step 1 could not pass (Ajv judged them). */
  suspects: number;
}

/** A string the conservative date-time test accepts is a valid RFC 3339 date-time for ajv-formats too (days 29-31 go to Ajv). */
export const SAFE_DATE_TIME_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';

/**
 * The schema as the audit's SQL subset, for step 1; null when it says more than the subset
 * can (then step 1 passes nothing and Ajv sees every event). Annotations (x-*) are dropped;
 * `format: date-time` becomes a conservative pattern, any other checked format means null.
 */
export function sqlSubset(target: Target): EventSchema | null {
  const s = target.schema;
  if (typeof s !== 'object') return null;
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (!k.startsWith('x-')) top[k] = v;
  top['x-evtrail-type'] = target.type;
  top['x-evtrail-version'] = target.version ?? 1;
  const props = top.properties;
  if (props !== undefined) {
    if (typeof props !== 'object' || props === null || Array.isArray(props)) return null;
    const copy: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(props as Record<string, unknown>)) {
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return null;
      const q: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p)) if (!k.startsWith('x-')) q[k] = v;
      if ('format' in q) {
        if (q.format !== 'date-time' || 'pattern' in q) return null;
        delete q.format;
        q.pattern = SAFE_DATE_TIME_PATTERN;
      }
      copy[name] = q;
    }
    top.properties = copy;
  } else top.properties = {};
  try {
    return parseEventSchema(target.file, top);
  } catch {
    return null;
  }
}

/** Events sampled from the start of the log to choose the regex fast path (as the audit does). */
const FAST_PATH_SAMPLE = 20000;

/** The events a target covers; its type (a file's or --type's) bound. */
const whereOf = (t: Target): Fragment => sql`type = ${t.type}`.map((w) => (t.version === null ? w : `${w} AND schema_version = ${t.version}`));

/**
 * Validates every event of `source` (a table or view with the events table's columns) that a
 * target covers. Targets must not overlap. `limit`: the events whose violations are listed
 * (0: all); the counts are always exact.
 */
export async function validateEvents(store: Store, targets: Target[], options: { source?: string; limit?: number } = {}): Promise<ValidationResult> {
  const source = options.source ?? 'events';
  const limit = options.limit ?? 0;
  const result: ValidationResult = { targets: [], violations: [], violatingEvents: 0, errors: 0, suspects: 0 };
  if (targets.length === 0) return result;

  // One compiled validator and one SQL-subset schema per target; bad schemas stop here, before any scan.
  const compiled = targets.map((t) => ({ target: t, validate: compileSchema(t.file, t.schema), subset: sqlSubset(t) }));
  const fast = new Set<EventSchema>();
  // The regex fast path only where it passes at least 90% of a sample from the start of the
  // log (a producer writing its fields in another order would only add a failed match).
  const regexed = compiled.filter((c) => c.subset !== null && fastPathRegex(c.subset) !== null);
  if (regexed.length) {
    const cols = regexed.map((c, i) => whereOf(c.target).map((w) => `count(*) FILTER (WHERE ${w}) AS n${i}, count(*) FILTER (WHERE ${w} AND regexp_full_match(data, ${sqlString(fastPathRegex(c.subset!)!)})) AS hit${i}`));
    const row = (await store.all(join(cols, ', ').map((c) => `SELECT ${c} FROM (SELECT type, schema_version, data::VARCHAR AS data FROM ${source} LIMIT ${FAST_PATH_SAMPLE})`)))[0] ?? {};
    regexed.forEach((c, i) => {
      const n = Number(row[`n${i}`] ?? 0);
      if (n === 0 || Number(row[`hit${i}`] ?? 0) >= 0.9 * n) fast.add(c.subset!);
    });
  }
  const test = (c: (typeof compiled)[number]): string =>
    c.subset === null ? 'FALSE' : fast.has(c.subset) ? `regexp_full_match(data, ${sqlString(fastPathRegex(c.subset)!)})` : okSql(c.subset, 'data');
  const cases = join(compiled.map((c) => whereOf(c.target).map((w) => `WHEN ${w} THEN ${test(c)}`)), '\n      ');
  const types = list([...new Set(targets.map((t) => t.type))]);
  await store.run(combine([types, join(targets.map((t) => whereOf(t).map((w) => `(${w})`)), ' OR '), cases], (typeList, covered, whens) => `CREATE OR REPLACE TEMP TABLE evt_schema_suspects AS
    SELECT seq, id, stream, type, schema_version, data::VARCHAR AS data FROM ${source}
    WHERE type IN (${typeList})
      AND (${covered})
      AND NOT coalesce(CASE ${whens} END, FALSE)`));
  const counts = await store.all(types.map((typeList) => `SELECT type, schema_version, count(*) AS n FROM ${source} WHERE type IN (${typeList}) GROUP BY ALL`));

  const violating = new Map<Target, Map<number, number>>();
  const stream = await store.stream(`SELECT seq, id, stream, type, schema_version, data FROM evt_schema_suspects ORDER BY seq`);
  try {
    for await (const rows of stream.yieldRowObjectJson()) {
      for (const row of rows) {
        result.suspects++;
        const type = String(row.type);
        const version = Number(row.schema_version);
        const c = compiled.find((x) => x.target.type === type && (x.target.version === null || x.target.version === version));
        if (!c) continue;
        const errors = judge(c.validate, row.data === null ? null : String(row.data));
        if (errors.length === 0) continue;
        result.violatingEvents++;
        result.errors += errors.length;
        const perVersion = violating.get(c.target) ?? violating.set(c.target, new Map()).get(c.target)!;
        perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
        if (limit === 0 || result.violatingEvents <= limit) {
          for (const e of errors) {
            result.violations.push({ eventId: String(row.id), seq: Number(row.seq), stream: row.stream === null ? null : String(row.stream), type, version, ...e });
          }
        }
      }
    }
  } finally {
    await store.run('DROP TABLE IF EXISTS evt_schema_suspects');
  }
  for (const c of compiled) {
    const t = c.target;
    const mine = counts.filter((r) => r.type === t.type && (t.version === null || Number(r.schema_version) === t.version));
    const bad = violating.get(t) ?? new Map<number, number>();
    const versions = mine.map((r) => ({ version: Number(r.schema_version), events: Number(r.n), violating: bad.get(Number(r.schema_version)) ?? 0 })).sort((a, b) => a.version - b.version);
    result.targets.push({
      type: t.type,
      version: t.version,
      schema: t.file,
      events: versions.reduce((a, v) => a + v.events, 0),
      violating: versions.reduce((a, v) => a + v.violating, 0),
      prefilter: c.subset === null ? 'none' : fast.has(c.subset) ? 'regex' : 'sql',
      versions,
    });
  }
  return result;
}

/** Ajv's verdict on one event's data text, as (path, message) pairs; [] when valid. */
export function judge(validate: ValidateFunction, dataText: string | null): { path: string; message: string }[] {
  let data: unknown = null;
  if (dataText !== null) {
    try {
      data = JSON.parse(dataText);
    } catch {
      return [{ path: '', message: 'data is not valid JSON' }];
    }
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => describe(e, data));
}

const shown = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** One Ajv error in plain words, with the path of the offending field (a missing one included). */
function describe(e: ErrorObject, data: unknown): { path: string; message: string } {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return { path: `${e.instancePath}/${String(params.missingProperty)}`, message: `missing required property ${String(params.missingProperty)}` };
  if (e.keyword === 'additionalProperties') return { path: `${e.instancePath}/${String(params.additionalProperty)}`, message: 'property not allowed (additionalProperties is false)' };
  const value = valueAt(data, e.instancePath);
  const got = value === undefined ? '' : ` (got ${shown(value)})`;
  if (e.keyword === 'enum') return { path: e.instancePath, message: `must be one of ${(params.allowedValues as unknown[]).map(shown).join(', ')}${got}` };
  return { path: e.instancePath, message: `${e.message ?? e.keyword}${got}` };
}

function valueAt(data: unknown, pointer: string): unknown {
  let v: unknown = data;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
