import { ENVELOPE_FIELDS, FIELD_KIND, type EnvelopeField } from '../core/envelope.js';
import { sqlIdent, sqlString } from '../store/sql.js';
import { allKeysOkSql, depthOkSql, mayRespellSql, MAX_DEPTH, nestedDupKeySql, nestedKeysOkSql, protectNumbersSql, suspectSql, unprotectNumbersSql, unprotectTextSql } from './exact-json.js';
import { compileUserSql, NONE, parseRecordPath, RecordAccess, rawFieldExprs, rowJsonSql, SQL_PREFIX, takenKeys, WHOLE_RECORD, type RecordColumn } from './mapping.js';
import type { Preset, PresetContext } from './presets/preset.js';

/**
 * The SQL that maps records (a relation `(pos, line)`) to envelope rows with a
 * reject reason (NULL when the record is good) and a `blank` flag for empty lines. Layers: parse each record once into a
 * struct (a record with a number DuckDB would re-spell is protected first, exact-json.ts),
 * extract the text paths below each of its keys in one parse of that key (RecordAccess.pathColumns),
 * pick the raw value of every field, keep the fields the envelope did not take (in data, or
 * in meta's `evtrail_unmapped`), then convert and check types.
 */
export function buildMapSql(
  preset: Preset,
  userMap: Partial<Record<EnvelopeField, string>>,
  ctx: PresetContext,
  /** The records: a relation with columns pos and line (a JSON record), or pos and `columns`. */
  input = 'stage',
  /** The records are table rows, one stage column per table column, instead of JSON text. */
  columns?: readonly RecordColumn[],
  /** Records that become several events (`each`) and records to skip (`skip`): JSON lines only. */
  shape: MapShape = {},
): string {
  const access = new RecordAccess();
  const fromLines = !columns;
  const each = fromLines && shape.each?.length ? shape.each : undefined;
  const skip = fromLines ? shape.skip : undefined;
  const shaped = !!(each || skip);
  const candidates = { ...preset.candidates };
  const computed: Partial<Record<EnvelopeField, string>> = {};
  for (const [field, mapping] of Object.entries(userMap) as [EnvelopeField, string][]) {
    if (mapping === NONE) candidates[field] = [];
    else if (mapping.startsWith(SQL_PREFIX)) {
      candidates[field] = [];
      // try(): a value the expression cannot compute for one record (a failed cast) is NULL
      // for that record (then a reject when the field is required), not the ingest's end.
      const value = `try(${compileUserSql(mapping.slice(SQL_PREFIX.length), { access, each: !!each, line: !!shape.numbered || !!preset.usesPosition, frame: !!each })})`;
      computed[field] = FIELD_KIND[field] === 'json' ? `to_json(${value})` : `CAST(${value} AS VARCHAR)`;
    } else candidates[field] = [mapping];
  }
  // A field the user mapped by hand wins over the preset's computed expression.
  const overrides = {
    ...Object.fromEntries(Object.entries(preset.expressions?.(access, ctx) ?? {}).filter(([field]) => !(field in userMap))),
    ...computed,
  };
  const raw = rawFieldExprs(access, candidates, overrides);
  const validation = preset.validate?.(access, ctx) ?? 'NULL';
  // A field mapped to `none` may be absent (ts NULL; an id derived from the source and line, ingest.ts).
  const required = new Set<EnvelopeField>(preset.required.filter((f) => userMap[f] !== NONE));
  if (shaped) input = `(${shapeSql(input, each, skip, !!shape.numbered)})`;
  // The preset's own columns of the input, carried to the layer that computes the fields.
  const stageColumns = fromLines ? preset.stageColumns ?? [] : [];
  if (shaped && stageColumns.length > 0) throw new Error(`${preset.name}: stage columns with --each or --skip`);
  const stageCols = stageColumns.map((c) => `${c}, `).join('');

  // What of the record the envelope takes; every other top-level key is kept (docs/reference.md, Ingest:
  // "where every input field goes"). Table rows: the store presets keep their own columns.
  const keepsAll = !!preset.keepsEveryField || candidates.data?.[0] === WHOLE_RECORD || candidates.meta?.[0] === WHOLE_RECORD;
  const taken = takenKeys(candidates, preset.takesKeys);
  const untaken = fromLines && !keepsAll ? untakenKeysSql(access, taken) : 'NULL::VARCHAR[]';
  const readsKeys = fromLines && !preset.csvColumns;
  // The usual record (evtrail's own spelling) lists some of the fields' first keys, each once.
  // Settled without looking at the key list: when it is as long as the number of first keys
  // that r holds a value for, every key is one of them, once (a key twice or another key
  // makes the list longer; json_transform matches keys exactly). Records with a first key
  // whose value is null (r cannot tell it from absent) are settled by one regular expression
  // over the key list, in envelope order; the rest (list_has_all and list_distinct, 0.5 s more
  // per 1M lines) is for records that fail both. A key can only hold the separator (chr(31))
  // if the record escapes it (\u001f or \u001F), so a record with such an escape is looked at
  // fully; each key is followed by a separator, so an empty key cannot hide either.
  // (The regular expression alone, with the separators counted, cost 0.2 CPU-s per 200k lines.)
  const ordered = [...new Set(takenKeys(candidates).map((keys) => keys[0]!))];
  const plainKeys = readsKeys
    ? `CASE WHEN keys IS NULL THEN false
        WHEN len(keys) = ${ordered.length ? ordered.map((k) => `${access.present(k)}::INTEGER`).join(' + ') : '0'} THEN true
        ELSE regexp_full_match(array_to_string(keys, chr(31)) || chr(31), ${sqlString(ordered.map((k) => `(?:${regexQuote(k)}\\x1f)?`).join(''))})
          AND NOT contains(line, '\\u001') END`
    : 'false';

  // A key twice in an object below the top level (exact-json.ts). A frame exploded with --each
  // is looked at whole (its own keys too). At most MAX_DEPTH deep: json_keys recurses.
  // Their key lists are read from r's JSON members (already parsed out of the record: only their
  // text is parsed again, 0.07-0.09 CPU-s less per 200k lines than json_keys over the line's paths).
  const objectKeys = [...new Set(ENVELOPE_FIELDS.filter((f) => FIELD_KIND[f] === 'json').flatMap((f) => candidates[f]?.slice(0, 1) ?? []))]
    // Plain keys only: each object listed once (an object the list misses makes the count fall short: the exact test).
    .filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  const nestedOk = `CASE WHEN valid AND deep_ok THEN ${shaped
    ? `CASE WHEN ${depthOkSql('frame')} THEN ${allKeysOkSql('frame', true)} END`
    : readsKeys ? `CASE WHEN plain_keys THEN ${nestedKeysOkSql('line', objectKeys.length ? `[${objectKeys.map((k) => `json_keys(r.${sqlIdent(k)})`).join(', ')}]` : '[]::VARCHAR[][]')} ELSE ${nestedKeysOkSql('line')} END` : nestedKeysOkSql('line')} END`;

  // A text value read from a protected record gets its number back (exact-json.ts).
  const rawCols = ENVELOPE_FIELDS.map((f) => {
    const value = fromLines && FIELD_KIND[f] !== 'json' ? `CASE WHEN exact THEN ${unprotectTextSql(`(${raw[f]})`)} ELSE ${raw[f]} END` : raw[f];
    return `${value} AS raw_${f}`;
  }).join(',\n      ');
  const typed = ENVELOPE_FIELDS.map((f) => `${f === 'meta' && each ? eachMetaSql(convert(f, `raw_${f}`, fromLines)) : convert(f, `raw_${f}`, fromLines)} AS ${f}`).join(',\n      ');
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
  const topKeysOk = `CASE WHEN plain_keys OR keys IS NULL THEN true ELSE len(keys) = len(list_distinct(keys)) END`;
  if (readsKeys) {
    checks.push({
      // CASE, not OR: DuckDB evaluates both sides of an OR on every row.
      ok: topKeysOk,
      reason: `'key "' || list_filter(keys, (k, i) -> list_position(keys, k) < i)[1] || '" occurs more than once (JSON readers disagree on which value counts)'`,
    });
  }
  if (fromLines) {
    // Said once: a key twice at the top level of an exploded element is also one in its frame.
    checks.push({ ok: readsKeys ? `CASE WHEN ${topKeysOk} THEN coalesce(nested_ok, true) ELSE true END` : 'coalesce(nested_ok, true)', reason: nestedDupReasonSql(shaped) });
    checks.push({ ok: `coalesce(deep_ok, true)`, reason: `'nested deeper than ${MAX_DEPTH} levels'` });
    checks.push({
      // The mark of a protected number (exact-json.ts): a string holding it would be read back as a number.
      ok: `CASE WHEN exact THEN NOT contains(line, '\\u0001N:') ELSE true END`,
      reason: `'holds the text \\u0001N:, the mark evtrail keeps long numbers exact with (a string holding it would read back as a number)'`,
    });
    checks.push({ ok: `NOT coalesce(unmapped_clash, false)`, reason: `'meta already has a key evtrail_unmapped, where evtrail keeps the fields it does not map'` });
  }
  // Table rows: a json column (PostgreSQL's json keeps its text as written) with a key twice.
  for (const c of columns?.filter((c) => c.kind === 'json' && c.asWritten) ?? []) {
    const x = `src.${sqlIdent(c.stage)}`;
    checks.push({
      ok: `CASE WHEN ${x} IS NULL THEN true WHEN ${depthOkSql(x)} THEN ${allKeysOkSql(x, true)} ELSE true END`,
      reason: `${sqlString(`column ${c.name}: key "`)} || ${nestedDupKeySql(x, true)} || '" occurs more than once (JSON readers disagree on which value counts)'`,
    });
  }
  const allOk = ['preset_reason IS NULL', ...checks.map((c) => c.ok)].join('\n        AND ');
  const reasons = `nullif(concat_ws('; ', preset_reason, ${checks.map((c) => `CASE WHEN NOT (${c.ok}) THEN ${c.reason} END`).join(',\n        ')}), '')`;
  // JSON records are parsed once into the struct r; table rows give r from their columns (no
  // JSON text to build or parse) and keep the row (src) for the rejects' raw text.
  const parsed = columns
    ? `SELECT pos, s AS src, false AS blank, ${access.fromColumns(columns, 's')} AS r FROM ${input} s`
    : `SELECT pos, line, ${stageCols}blank, exact, pline, ${shaped ? 'skipped, pframe, frame, each_path, each_key, each_index, elem, no_elems' : SHAPE_NONE},
      -- json_valid first instead of try(): try() makes DuckDB evaluate row by row (measured
      -- 1.5x slower); with only VARCHAR and JSON targets, json_transform cannot fail on valid JSON.
      CASE WHEN valid THEN ${each ? `coalesce(${access.transform('pline')}, ${access.transform("'{}'")})` : access.transform('pline')} END AS r,
      keys, deep_ok, valid
    FROM (
      SELECT *, CASE WHEN exact THEN ${protectNumbersSql('line')} ELSE line END AS pline,
        CASE WHEN exact THEN ${depthOkSql('line')} ELSE true END AS deep_ok FROM (
        SELECT pos, line, ${stageCols}${shaped ? `${SHAPE_COLS}, ` : ''}CASE WHEN line IS NULL THEN true WHEN strlen(line) > 8 THEN false ELSE trim(line) = '' END AS blank,
          json_valid(line) AS valid,
          -- A record that may need protecting, or measuring (exact-json.ts); the others, nearly
          -- all, are read as they are.
          coalesce(valid AND ${suspectSql('line')}, false) AS exact,
          ${readsKeys ? `CASE WHEN valid THEN json_keys(line) END` : 'NULL::VARCHAR[]'} AS keys
        FROM ${input}))`;
  const carried = columns ? 'src' : 'line';
  const lineCols = fromLines ? `exact, pline, keys, plain_keys, deep_ok, nested_ok, ${SHAPE_COLS}, ` : '';
  const reason = columns
    ? `CASE WHEN ${allOk} THEN NULL ELSE ${reasons} END`
    : `CASE
      WHEN blank OR skipped THEN NULL
      WHEN no_elems THEN ${sqlString(`no elements at ${(each ?? []).join(', ')} (--each); skip such records with --skip`)}
      WHEN NOT unparsable AND ${allOk} THEN NULL
      WHEN unparsable THEN CASE WHEN json_valid(line) THEN 'not a JSON object' ELSE 'not valid JSON' END
      WHEN raw_id IS NULL AND raw_type IS NULL THEN CASE WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object' ELSE ${reasons} END
      ELSE ${each ? `CASE WHEN elem IS NULL THEN ${reasons} ELSE 'at ' || each_path || '[' || each_index || ']: ' || ${reasons} END` : reasons}
    END`;
  const mapped = `
  WITH parsed AS (
    ${parsed}
  ), paths AS (
    ${fromLines ? `SELECT *, ${nestedOk} AS nested_ok FROM (` : ''}SELECT *${fromLines ? `, ${plainKeys} AS plain_keys` : ''}${access.pathColumns().map((c) => `, ${c}`).join('')} FROM parsed${fromLines ? ')' : ''}
  ), rawv AS (
    SELECT pos, ${carried}, blank, ${lineCols}r IS NULL AS unparsable,
      ${rawCols},
      ${validation} AS preset_reason,
      ${untaken} AS untaken
    FROM paths
  ), kept AS (
    ${fromLines ? keptSql(readsKeys && !keepsAll) : 'SELECT *, NULL AS unmapped_clash FROM rawv'}
  ), typed AS (
    SELECT pos, ${carried}, blank, ${lineCols}unparsable, preset_reason, unmapped_clash, ${ENVELOPE_FIELDS.map((f) => `raw_${f}`).join(', ')},
      ${typed}
    FROM kept
  )
  SELECT pos, ${ENVELOPE_FIELDS.join(', ')}, blank, ${reason} AS reason, ${carried}${fromLines ? ', skipped, elem' : ''}
  FROM typed`;
  // A table row's raw text is only written out for the rows that are rejected.
  const sql = columns
    ? `SELECT * EXCLUDE (src), CASE WHEN reason IS NULL THEN NULL ELSE ${rowJsonSql(columns, 'src')} END AS line FROM (${mapped})`
    : mapped;
  return access.finish(sql, columns ? `${rowJsonSql(columns, 'src')}::JSON` : 'pline::JSON');
}

/**
 * SQL for the top-level keys of the record (column `keys`) that the envelope did not take, or
 * NULL when there are none. A key is taken when it is a field's candidate and either the one
 * that gave the field its value or null (the field's NULL stands for it); a candidate behind
 * one that won (`eventId` beside `id`) is kept. Records whose keys are all first candidates
 * (evtrail's own spelling) are settled with one list test.
 */
function untakenKeysSql(access: RecordAccess, taken: readonly string[][]): string {
  const list = (keys: readonly string[]) => `[${keys.map(sqlString).join(', ')}]::VARCHAR[]`;
  const firsts = [...new Set(taken.map((keys) => keys[0]!))];
  const all = [...new Set(taken.flat())];
  // A candidate with a value behind an earlier one with a value.
  const shadowed = taken.flatMap((keys) =>
    keys.slice(1).map((k, i) => `CASE WHEN ${access.present(k)} AND (${keys.slice(0, i + 1).map((e) => access.present(e)).join(' OR ')}) THEN ${sqlString(k)} END`));
  const behind = shadowed.length ? `list_filter([${shadowed.join(', ')}], k -> k IS NOT NULL)` : '[]::VARCHAR[]';
  return `CASE WHEN keys IS NULL OR plain_keys THEN NULL WHEN list_has_all(${list(firsts)}, keys) THEN NULL
      ELSE nullif(list_concat(list_filter(keys, k -> NOT list_contains(${list(all)}, k)), ${behind}), []::VARCHAR[]) END`;
}

/**
 * The kept fields (`remainder`, an object's text). With no payload (data NULL) they are data;
 * with one, they go into meta. Either way meta's `evtrail_unmapped` says where they are: the
 * object of them, or "data" (so a rebuild can tell a payload from kept fields). It is written
 * first in a meta that is a non-empty object; any other meta (empty, an array, a scalar) is
 * kept beside it as `evtrail_meta`. Built as text: json_merge_patch would drop their nulls.
 * `arrays`: a record that is not an object (a JSON array, an exploded element that is a
 * number or a string) has no keys to take: it is kept whole, unless data is the record itself.
 */
function keptSql(arrays: boolean): string {
  const mark = `'{"evtrail_unmapped":' || CASE WHEN raw_data IS NULL THEN '"data"' ELSE remainder END`;
  return `SELECT * REPLACE (
      CASE WHEN remainder IS NOT NULL AND raw_data IS NULL THEN remainder::JSON ELSE raw_data END AS raw_data,
      CASE WHEN remainder IS NULL THEN raw_meta
        WHEN raw_meta IS NULL THEN (${mark} || '}')::JSON
        WHEN json_type(raw_meta) = 'OBJECT' AND raw_meta::VARCHAR <> '{}' THEN (${mark} || ',' || substr(raw_meta::VARCHAR, 2))::JSON
        ELSE (${mark} || ',"evtrail_meta":' || raw_meta::VARCHAR || '}')::JSON END AS raw_meta),
      -- CASE, not AND: DuckDB evaluates every side of an AND on every row (two parses of meta each).
      CASE WHEN remainder IS NULL THEN false WHEN json_type(raw_meta) = 'OBJECT' THEN json_exists(raw_meta, '$.evtrail_unmapped') ELSE false END AS unmapped_clash
    FROM (
      SELECT *, CASE ${arrays ? `WHEN CASE WHEN unparsable OR len(keys) > 0 THEN false WHEN starts_with(ltrim(pline), '{') THEN false ELSE raw_data::VARCHAR IS DISTINCT FROM pline END THEN pline ` : ''}WHEN untaken IS NOT NULL THEN to_json(map_from_entries(list_filter(
          map_entries(json_transform(pline, '"MAP(VARCHAR, JSON)"')), e -> list_contains(untaken, e.key))))::VARCHAR END AS remainder
      FROM rawv)`;
}

/**
 * The reason for a key twice below the top level: the key, and where when it is one level down
 * (`$.data`); deeper, "in a nested object". Built only for the records that fail.
 */
function nestedDupReasonSql(shaped: boolean): string {
  const readers = `' (JSON readers disagree on which value counts)'`;
  if (shaped) return `'key "' || ${nestedDupKeySql('frame', true)} || '" occurs more than once in an object of the record' || ${readers}`;
  const lists = `json_keys(line, '$.*')`;
  const at = `list_position(list_transform(${lists}, l -> len(l) > len(list_distinct(l))), true)`;
  const member = `json_keys(line)[${at}]`;
  const path = `CASE WHEN regexp_full_match(${member}, '[A-Za-z_][A-Za-z0-9_]*') THEN '$.' || ${member} ELSE '$[' || to_json(${member})::VARCHAR || ']' END`;
  const firstDup = (list: string) => `list_filter(${list}, (k, i) -> list_position(${list}, k) < i)[1]`;
  return `CASE WHEN ${at} IS NOT NULL THEN 'key "' || ${firstDup(`${lists}[${at}]`)} || '" occurs more than once in ' || ${path}
    ELSE 'key "' || ${nestedDupKeySql('line', false)} || '" occurs more than once in a nested object' END || ${readers}`;
}

function regexQuote(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function convert(field: EnvelopeField, rawCol: string, fromLines = false): string {
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
      // A protected record's JSON gets its numbers back as written.
      return fromLines ? `CASE WHEN exact THEN (${unprotectNumbersSql(`${rawCol}::VARCHAR`)})::JSON ELSE ${rawCol}::JSON END` : `${rawCol}::JSON`;
  }
}

/** Records that become several events and records to skip (README, Ingest: "Any shape"). */
export interface MapShape {
  /** Paths to arrays: each element is an event, `$` in the mapping, its record `$frame`. */
  each?: readonly string[];
  /** A SQL condition over the record: true skips it (counted, not an event, not a reject). */
  skip?: string;
  /** The records come numbered (pos known while mapping): `$line` can be read. */
  numbered?: boolean;
}

/** The columns the shaping stage adds, carried through every layer of the mapping. */
const SHAPE_COLS = 'skipped, pframe, frame, each_path, each_key, each_index, elem, no_elems';
const SHAPE_NONE = `false AS skipped, NULL::VARCHAR AS pframe, NULL::VARCHAR AS frame, NULL::VARCHAR AS each_path,
      NULL::VARCHAR AS each_key, NULL::BIGINT AS each_index, NULL::BIGINT AS elem, false AS no_elems`;

/**
 * The records (pos, line) shaped before mapping: `skip` marks the records its condition holds
 * for (evaluated on the whole record, before any explode), and `each` turns a record into one
 * row per element of the arrays at its paths, in path order then element order: `line` is the
 * element's text (numbers as written: taken from the protected record, exact-json.ts), `frame`
 * the record's, `elem` the element's number in its record (0-based), `each_path` / `each_key` /
 * `each_index` where it came from. A record with no element (no array at any path, or empty
 * ones) stays one row with `no_elems` (a reject); one that is not valid JSON stays as it is.
 */
function shapeSql(input: string, each: readonly string[] | undefined, skip: string | undefined, numbered: boolean): string {
  let skipped = 'false';
  let withSkip = `SELECT pos, line, false AS skipped FROM ${input}`;
  if (skip !== undefined) {
    const access = new RecordAccess();
    const cond = compileUserSql(skip, { access, each: false, line: numbered, frame: false });
    skipped = `coalesce(try(CASE WHEN r IS NOT NULL THEN (${cond})::BOOLEAN END), false)`;
    withSkip = access.finish(`SELECT pos, line, ${skipped} AS skipped FROM (
        SELECT pos, line, CASE WHEN json_valid(line) THEN ${access.transform('line')} END AS r FROM ${input})`, 'line::JSON');
  }
  if (!each) {
    return `SELECT pos, line, skipped, NULL::VARCHAR AS pframe, NULL::VARCHAR AS frame, NULL::VARCHAR AS each_path,
      NULL::VARCHAR AS each_key, NULL::BIGINT AS each_index, NULL::BIGINT AS elem, false AS no_elems FROM (${withSkip})`;
  }
  const lists = each.map((p) => {
    const parsed = parseRecordPath(p);
    const jp = sqlString('$' + parsed.segments.map((k) => (typeof k === 'number' ? `[${k}]` : `.${JSON.stringify(k)}`)).join(''));
    const last = parsed.segments[parsed.segments.length - 1];
    const key = sqlString(last === undefined ? '$' : String(last));
    return `CASE WHEN json_type(json_extract(pframe, ${jp})) = 'ARRAY' THEN list_transform(json_extract(pframe, ${jp})::JSON[],
        (x, i) -> struct_pack(at := ${sqlString(p)}, key := ${key}, idx := i - 1, v := coalesce(x::VARCHAR, 'null'))) END`;
  });
  const elems = lists.reduce((a, b) => `list_concat(${a}, ${b})`);
  return `SELECT pos,
      CASE WHEN e IS NULL THEN frame WHEN fx THEN ${unprotectNumbersSql('e.v')} ELSE e.v END AS line,
      skipped, pframe, frame, e.at AS each_path, e.key AS each_key, e.idx AS each_index, k AS elem,
      (e IS NULL AND valid AND NOT skipped) AS no_elems
    FROM (
      SELECT *, unnest(CASE WHEN len(elems) > 0 THEN elems ELSE [NULL] END) AS e,
        unnest(CASE WHEN len(elems) > 0 THEN range(len(elems)) ELSE [NULL] END) AS k
      FROM (
        SELECT *, CASE WHEN valid AND NOT skipped THEN ${lists.length === 1 ? elems : elems} END AS elems FROM (
          SELECT pos, line AS frame, skipped, valid, fx, CASE WHEN fx THEN ${protectNumbersSql('line')} ELSE line END AS pframe
          FROM (SELECT *, json_valid(line) AS valid, coalesce(json_valid(line) AND ${mayRespellSql('line')}, false) AS fx FROM (${withSkip})))))`;
}

/**
 * An exploded element's meta: `evtrail_each` (the array's path and the element's index) first,
 * then `evtrail_frame`, the whole record as written, on the record's first element only (so a
 * record is kept once, and rebuilds from its events); the element's own meta after them as
 * members (an object) or as `evtrail_meta` (anything else).
 */
function eachMetaSql(meta: string): string {
  return `CASE WHEN elem IS NULL THEN ${meta} ELSE ('{"evtrail_each":{"path":' || to_json(each_path)::VARCHAR || ',"index":' || each_index::VARCHAR || '}'
      || CASE WHEN elem = 0 THEN ',"evtrail_frame":' || frame ELSE '' END
      || CASE WHEN (${meta}) IS NULL THEN '}' WHEN json_type(${meta}) = 'OBJECT' AND (${meta})::VARCHAR <> '{}' THEN ',' || substr((${meta})::VARCHAR, 2)
        ELSE ',"evtrail_meta":' || (${meta})::VARCHAR || '}' END)::JSON END`;
}
