import { ENVELOPE_FIELDS, FIELD_KIND, type EnvelopeField } from '../core/envelope.js';
import { RecordAccess, rawFieldExprs } from './mapping.js';
import type { Preset, PresetContext } from './presets/preset.js';

/**
 * The SQL that maps the staged records (view `stage(pos, line)`) to envelope rows with a
 * reject reason (NULL when the record is good) and a `blank` flag for empty lines. Three layers: parse each record once into a
 * struct, pick the raw value of every field, then convert and check types.
 */
export function buildMapSql(
  preset: Preset,
  userMap: Partial<Record<EnvelopeField, string>>,
  ctx: PresetContext,
): string {
  const access = new RecordAccess();
  const candidates = { ...preset.candidates };
  for (const [field, path] of Object.entries(userMap)) candidates[field as EnvelopeField] = [path];
  // A field the user mapped by hand wins over the preset's computed expression.
  const overrides = Object.fromEntries(
    Object.entries(preset.expressions?.(access, ctx) ?? {}).filter(([field]) => !(field in userMap)),
  );
  const raw = rawFieldExprs(access, candidates, overrides);
  const validation = preset.validate?.(access) ?? 'NULL';
  const required = new Set<EnvelopeField>(preset.required);

  const rawCols = ENVELOPE_FIELDS.map((f) => `${raw[f]} AS raw_${f}`).join(',\n      ');
  const typed = ENVELOPE_FIELDS.map((f) => `${convert(f, `raw_${f}`)} AS ${f}`).join(',\n      ');
  const checks: string[] = [];
  for (const f of ENVELOPE_FIELDS) {
    const kind = FIELD_KIND[f];
    if (required.has(f)) checks.push(`CASE WHEN raw_${f} IS NULL OR raw_${f}::VARCHAR = '' THEN 'missing ${f}' END`);
    if (kind === 'integer') {
      checks.push(`CASE WHEN raw_${f} IS NOT NULL AND ${f} IS NULL THEN '${f}: expected an integer, got ' || left(raw_${f}, 60) END`);
    } else if (kind === 'time') {
      checks.push(`CASE WHEN raw_${f} IS NOT NULL AND ${f} IS NULL THEN '${f}: cannot read ' || left(raw_${f}, 60) || ' as a time' END`);
    } else if (kind === 'text') {
      checks.push(`CASE WHEN left(raw_${f}, 1) IN ('{', '[') AND json_valid(raw_${f}) THEN '${f}: expected a string, got ' || left(raw_${f}, 60) END`);
    }
  }

  const reasons = `nullif(concat_ws('; ', preset_reason, ${checks.join(',\n        ')}), '')`;
  const sql = `
  WITH parsed AS (
    SELECT pos, line, coalesce(length(line) <= 8 AND trim(line) = '', true) AS blank,
      try(${access.transform('line')}) AS r FROM stage
  ), rawv AS (
    SELECT pos, line, blank, r IS NULL AS unparsable,
      ${rawCols},
      ${validation} AS preset_reason
    FROM parsed
  ), typed AS (
    SELECT pos, line, blank, unparsable, preset_reason, ${ENVELOPE_FIELDS.map((f) => `raw_${f}`).join(', ')},
      ${typed}
    FROM rawv
  )
  SELECT pos, ${ENVELOPE_FIELDS.join(', ')}, blank,
    CASE
      WHEN blank THEN NULL
      WHEN unparsable THEN CASE WHEN json_valid(line) THEN 'not a JSON object' ELSE 'not valid JSON' END
      WHEN raw_id IS NULL AND raw_type IS NULL THEN CASE WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' ELSE ${reasons} END
      ELSE ${reasons}
    END AS reason,
    line
  FROM typed`;
  return access.finish(sql);
}

function convert(field: EnvelopeField, rawCol: string): string {
  switch (FIELD_KIND[field]) {
    case 'text':
      return `nullif(${rawCol}, '')`;
    case 'integer':
      return field === 'schema_version'
        ? `TRY_CAST(${rawCol} AS INTEGER)`
        : `TRY_CAST(${rawCol} AS BIGINT)`;
    case 'time':
      return `evt_ts(${rawCol})`;
    case 'json':
      return `${rawCol}::JSON`;
  }
}
