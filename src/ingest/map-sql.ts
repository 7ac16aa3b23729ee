import { ENVELOPE_FIELDS, FIELD_KIND, type EnvelopeField } from '../core/envelope.js';
import { RecordAccess, rawFieldExprs, rowJsonSql, type RecordColumn } from './mapping.js';
import type { Preset, PresetContext } from './presets/preset.js';

/**
 * The SQL that maps records (a relation `(pos, line)`) to envelope rows with a
 * reject reason (NULL when the record is good) and a `blank` flag for empty lines. Four layers: parse each record once into a
 * struct, extract the text paths below each of its keys in one parse of that key (RecordAccess.pathColumns),
 * pick the raw value of every field, then convert and check types.
 */
export function buildMapSql(
  preset: Preset,
  userMap: Partial<Record<EnvelopeField, string>>,
  ctx: PresetContext,
  /** The records: a relation with columns pos and line (a JSON record), or pos and `columns`. */
  input = 'stage',
  /** The records are table rows, one stage column per table column, instead of JSON text. */
  columns?: readonly RecordColumn[],
): string {
  const access = new RecordAccess();
  const candidates = { ...preset.candidates };
  for (const [field, path] of Object.entries(userMap)) candidates[field as EnvelopeField] = [path];
  // A field the user mapped by hand wins over the preset's computed expression.
  const overrides = Object.fromEntries(
    Object.entries(preset.expressions?.(access, ctx) ?? {}).filter(([field]) => !(field in userMap)),
  );
  const raw = rawFieldExprs(access, candidates, overrides);
  const validation = preset.validate?.(access, ctx) ?? 'NULL';
  const required = new Set<EnvelopeField>(preset.required);

  const rawCols = ENVELOPE_FIELDS.map((f) => `${raw[f]} AS raw_${f}`).join(',\n      ');
  const typed = ENVELOPE_FIELDS.map((f) => `${convert(f, `raw_${f}`)} AS ${f}`).join(',\n      ');
  // Each check as a cheap boolean (true = fine) and the sentence that explains it. The
  // sentences are only built for records that fail: most records pass every check.
  const checks: { ok: string; reason: string }[] = [];
  for (const f of ENVELOPE_FIELDS) {
    const kind = FIELD_KIND[f];
    const raw = `raw_${f}`;
    if (required.has(f)) checks.push({ ok: `coalesce(${raw}::VARCHAR <> '', false)`, reason: `'missing ${f}'` });
    if (kind === 'integer') {
      checks.push({ ok: `(${raw} IS NULL OR ${f} IS NOT NULL)`, reason: `'${f}: expected an integer, got ' || left(${raw}, 60)` });
    } else if (kind === 'time') {
      checks.push({ ok: `(${raw} IS NULL OR ${f} IS NOT NULL)`, reason: `'${f}: cannot read ' || left(${raw}, 60) || ' as a time'` });
    } else if (kind === 'text') {
      // An object or array where a string belongs (text values of JSON objects start with { or [).
      // (CASE, not AND: DuckDB evaluates both sides of an AND on every row.)
      const nested = `CASE WHEN starts_with(${raw}, '{') OR starts_with(${raw}, '[') THEN json_valid(${raw}) ELSE false END`;
      checks.push({ ok: `NOT coalesce(${nested}, false)`, reason: `'${f}: expected a string, got ' || left(${raw}, 60)` });
    }
  }
  const allOk = ['preset_reason IS NULL', ...checks.map((c) => c.ok)].join('\n        AND ');
  const reasons = `nullif(concat_ws('; ', preset_reason, ${checks.map((c) => `CASE WHEN NOT (${c.ok}) THEN ${c.reason} END`).join(',\n        ')}), '')`;
  // JSON records are parsed once into the struct r; table rows give r from their columns (no
  // JSON text to build or parse) and keep the row (src) for the rejects' raw text.
  const parsed = columns
    ? `SELECT pos, s AS src, false AS blank, ${access.fromColumns(columns, 's')} AS r FROM ${input} s`
    : `SELECT pos, line, CASE WHEN line IS NULL THEN true WHEN strlen(line) > 8 THEN false ELSE trim(line) = '' END AS blank,
      -- json_valid first instead of try(): try() makes DuckDB evaluate row by row (measured
      -- 1.5x slower); with only VARCHAR and JSON targets, json_transform cannot fail on valid JSON.
      CASE WHEN json_valid(line) THEN ${access.transform('line')} END AS r FROM ${input}`;
  const carried = columns ? 'src' : 'line';
  const reason = columns
    ? `CASE WHEN ${allOk} THEN NULL ELSE ${reasons} END`
    : `CASE
      WHEN blank THEN NULL
      WHEN NOT unparsable AND ${allOk} THEN NULL
      WHEN unparsable THEN CASE WHEN json_valid(line) THEN 'not a JSON object' ELSE 'not valid JSON' END
      WHEN raw_id IS NULL AND raw_type IS NULL THEN CASE WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' ELSE ${reasons} END
      ELSE ${reasons}
    END`;
  const mapped = `
  WITH parsed AS (
    ${parsed}
  ), paths AS (
    SELECT *${access.pathColumns().map((c) => `, ${c}`).join('')} FROM parsed
  ), rawv AS (
    SELECT pos, ${carried}, blank, r IS NULL AS unparsable,
      ${rawCols},
      ${validation} AS preset_reason
    FROM paths
  ), typed AS (
    SELECT pos, ${carried}, blank, unparsable, preset_reason, ${ENVELOPE_FIELDS.map((f) => `raw_${f}`).join(', ')},
      ${typed}
    FROM rawv
  )
  SELECT pos, ${ENVELOPE_FIELDS.join(', ')}, blank, ${reason} AS reason, ${carried}
  FROM typed`;
  // A table row's raw text is only written out for the rows that are rejected.
  const sql = columns
    ? `SELECT * EXCLUDE (src), CASE WHEN reason IS NULL THEN NULL ELSE ${rowJsonSql(columns, 'src')} END AS line FROM (${mapped})`
    : mapped;
  return access.finish(sql);
}

function convert(field: EnvelopeField, rawCol: string): string {
  switch (FIELD_KIND[field]) {
    case 'text':
      return `nullif(${rawCol}, '')`;
    case 'integer': {
      // Only whole numbers written as such: DuckDB's cast would round 12.5 and read 1e3 or 0x10.
      const type = field === 'schema_version' ? 'INTEGER' : 'BIGINT';
      return `CASE WHEN TRY_CAST(${rawCol} AS ${type})::VARCHAR = ${rawCol} THEN TRY_CAST(${rawCol} AS ${type}) END`;
    }
    case 'time':
      return `evt_ts(${rawCol})`;
    case 'json':
      return `${rawCol}::JSON`;
  }
}
