import { ENVELOPE_FIELDS, FIELD_KIND, type EnvelopeField } from '../core/envelope.js';
import { jsonPath, sqlIdent, sqlString } from '../store/sql.js';
import { unprotectTextSql } from './exact-json.js';

/**
 * A path into a record (README, Ingest: "Mapping by hand"): keys separated by dots
 * (`metadata.correlationId`, `meta["a.b"]` for a key holding a dot) and array elements by
 * index (`data.b[0]`), optionally written from the record's root `$` (`$[1][0]`, `$.data.b[0]`).
 * `$frame…` is the whole record an element was exploded from (`--each`): with `--each`, `$`
 * is the element. `$` alone is the whole record.
 */
export interface RecordPath {
  root: 'record' | 'frame';
  segments: (string | number)[];
}

export function parseRecordPath(path: string): RecordPath {
  let rest = path;
  let root: RecordPath['root'] = 'record';
  let rooted = false;
  if (/^\$frame(?![A-Za-z0-9_])/.test(rest)) {
    root = 'frame';
    rest = rest.slice(6);
    rooted = true;
  } else if (rest === '$' || rest.startsWith('$.') || rest.startsWith('$[')) {
    rest = rest.slice(1);
    rooted = true;
  }
  const segments: (string | number)[] = [];
  const re = /\.?([^.[\]]+)|\["((?:[^"\\]|\\.)*)"\]|\[([0-9]+)\]/y;
  let first = true;
  while (rest.length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw new Error(`bad path "${path}"`);
    // A bare key starts an unrooted path; after that, keys follow a dot.
    if (m[1] !== undefined && !m[0].startsWith('.') && !(first && !rooted)) throw new Error(`bad path "${path}"`);
    if (m[1] !== undefined && m[0].startsWith('.') && first && !rooted) throw new Error(`bad path "${path}"`);
    segments.push(m[1] ?? (m[2] !== undefined ? (JSON.parse(`"${m[2]}"`) as string) : Number(m[3])));
    rest = rest.slice(m[0].length);
    first = false;
  }
  if (segments.length === 0 && !rooted) throw new Error(`bad path "${path}"`);
  return { root, segments };
}

/** Candidate paths per envelope field: the first one present in a record wins. */
export type FieldCandidates = Partial<Record<EnvelopeField, readonly string[]>>;

/**
 * Builds the SQL that maps staged records (a JSON object per row, column `rec`) to envelope
 * columns. The record is parsed once per row with json_transform into a struct `r` holding
 * every top-level key any candidate path starts with; fields are then read from `r`.
 * Keys that are read as a whole value stay text (VARCHAR); keys that are descended into or
 * kept as JSON (data, meta) are JSON.
 */
export class RecordAccess {
  private readonly keys = new Map<string, 'VARCHAR' | 'JSON'>();
  /** The paths below each top-level key read as text (text()), in the order first asked for. */
  private readonly nested = new Map<string, string[]>();
  /** How many of those every record reads (not a fallback candidate behind another one). */
  private readonly alwaysRead = new Map<string, number>();

  /**
   * SQL for the value at `path` as text (a string unquoted; numbers and objects as JSON text).
   * `always`: every record reads it (false for a candidate tried only when those before it are
   * absent; decides pathColumns).
   */
  text(path: string, always = true): string {
    const direct = this.direct(path, 'text');
    if (direct) return direct;
    const [head, ...rest] = parseRecordPath(path).segments as [string, ...(string | number)[]];
    if (rest.length === 0) {
      if (!this.keys.has(head!)) this.keys.set(head!, 'VARCHAR');
      return this.column(head!, 'text');
    }
    this.keys.set(head!, 'JSON');
    const paths = this.nested.get(head!) ?? [];
    this.nested.set(head!, paths);
    const json = jsonPath(rest);
    if (!paths.includes(json)) paths.push(json);
    if (always) this.alwaysRead.set(head!, (this.alwaysRead.get(head!) ?? 0) + 1);
    // Resolved by finish(), once every path below this key is known.
    return `{{nested:${[...this.nested.keys()].indexOf(head!)}:${paths.indexOf(json)}}}`;
  }

  /**
   * Columns for a layer between the parsed records (struct r) and the raw fields: a key with
   * two or more paths that every record reads gets one json_extract_string over the list of
   * all its paths, so its JSON is parsed once per record instead of once per path (Message DB's
   * metadata: 0.5 s of CPU less per 1M rows). Not for keys read only as fallbacks: coalesce
   * stops at the first candidate present, so most of those paths are never looked up (the
   * canonical preset's sixty aliases, 0.1–0.25 s slower as lists). finish() points the paths at
   * these lists.
   */
  pathColumns(): string[] {
    return [...this.nested].flatMap(([head, paths], k) =>
      this.listed(head) ? [`json_extract_string(r.${sqlIdent(head)}, [${paths.map(sqlString).join(', ')}]) AS evt_paths_${k}`] : []);
  }

  private listed(head: string): boolean {
    return (this.alwaysRead.get(head) ?? 0) >= 2;
  }

  /** SQL for the value at `path` as JSON (NULL when absent or null); `$` is the whole record. */
  json(path: string): string {
    if (path === WHOLE_RECORD) return '{{record}}';
    const direct = this.direct(path, 'json');
    if (direct) return direct;
    const [head, ...rest] = parseRecordPath(path).segments as [string, ...(string | number)[]];
    this.keys.set(head!, 'JSON');
    if (rest.length === 0) return `r.${sqlIdent(head!)}`;
    return `nullif(json_extract(r.${sqlIdent(head!)}, ${sqlString(jsonPath(rest))}), 'null'::JSON)`;
  }

  /**
   * A path the struct r cannot serve: one starting with an index (the record is an array) or
   * into the frame an element was exploded from (`$frame`). Read from the record's (protected)
   * text; a text value gets a protected number back (exact-json.ts).
   */
  private direct(path: string, as: 'text' | 'json'): string | undefined {
    const p = parseRecordPath(path);
    if (p.root === 'record' && typeof p.segments[0] === 'string') return undefined;
    const from = p.root === 'frame' ? 'pframe' : '{{record}}';
    const jp = jsonPath(p.segments);
    // Only for a record that parsed (r): the JSON functions fail on invalid text.
    if (as === 'text') return `CASE WHEN r IS NOT NULL THEN ${unprotectTextSql(`json_extract_string(${from}, ${sqlString(jp)})`)} END`;
    return `CASE WHEN r IS NOT NULL THEN nullif(json_extract(${from}, ${sqlString(jp)}), 'null'::JSON) END`;
  }

  private column(head: string, as: 'text'): string {
    // Resolved at build time: a key first registered as VARCHAR may later become JSON.
    return `{{${as}:${head}}}`;
  }

  /** The json_transform call producing struct r. */
  transform(recColumn: string): string {
    const spec: Record<string, string> = {};
    for (const [key, type] of this.keys) spec[key] = type;
    // No key read (every path is an index into an array record): a struct that only says the record parsed.
    if (this.keys.size === 0) return `struct_pack(evt_parsed := true)`;
    return `json_transform(${recColumn}, ${sqlString(JSON.stringify(spec))})`;
  }

  /**
   * The struct r built from the columns of a table row (an event store's) instead of parsed
   * from a JSON record: the same keys with the same types json_transform would give for the
   * row as a JSON object, each converted from the column's text by its kind.
   */
  fromColumns(columns: readonly RecordColumn[], alias: string): string {
    const byName = new Map(columns.map((c) => [c.name, c]));
    const members = [...this.keys].map(([key, type]) => {
      const c = byName.get(key);
      const x = c ? `${alias}.${sqlIdent(c.stage)}` : '';
      let expr: string;
      if (!c) expr = `NULL::${type}`;
      else if (type === 'VARCHAR') expr = c.kind === 'json' ? `json_extract_string(${x}, '$')` : x;
      else expr = columnJson(c, x, true);
      return `${sqlIdent(key)} := ${expr}`;
    });
    return members.length === 0 ? 'NULL' : `struct_pack(${members.join(', ')})`;
  }

  /** SQL for whether the top-level key is present with a value other than null. */
  present(key: string): string {
    if (!this.keys.has(key)) this.keys.set(key, 'JSON');
    return `(r.${sqlIdent(key)} IS NOT NULL)`;
  }

  /**
   * Replaces the placeholders left by text() now that every key's type and every nested path
   * is known: a path below a key with others is an element of that key's list (pathColumns).
   * `record`: SQL for the whole record as JSON (`$`).
   */
  finish(sql: string, record = 'NULL::JSON'): string {
    const nested = [...this.nested];
    return sql
      .replaceAll('{{record}}', record)
      .replace(/\{\{text:((?:(?!\}\}).)+)\}\}/g, (_m, head: string) =>
        this.keys.get(head) === 'JSON'
          ? `json_extract_string(r.${sqlIdent(head)}, '$')`
          : `r.${sqlIdent(head)}`)
      .replace(/\{\{nested:(\d+):(\d+)\}\}/g, (_m, k: string, i: string) => {
        const [head, paths] = nested[Number(k)]!;
        return this.listed(head) ? `evt_paths_${k}[${Number(i) + 1}]` : `json_extract_string(r.${sqlIdent(head)}, ${sqlString(paths[Number(i)]!)})`;
      });
  }
}

/**
 * A column of a table row staged for mapping (stores/postgres.ts): its name in the table, its
 * column in the stage, and how its text reads: `string` (the value itself), `number` (decimal
 * text, or NaN / ±Infinity), `json` (JSON text).
 */
export interface RecordColumn {
  name: string;
  stage: string;
  kind: 'string' | 'number' | 'json';
  /** JSON text kept as written (PostgreSQL's json, not jsonb, which keeps one of two equal keys): a key may be in it twice. */
  asWritten?: boolean;
}

/** A staged column's value as JSON; `asMember`: JSON null becomes SQL NULL, as json_transform reads it. */
function columnJson(c: RecordColumn, x: string, asMember: boolean): string {
  switch (c.kind) {
    case 'string':
      return `to_json(${x})`;
    case 'number':
      // PostgreSQL's NaN and ±Infinity are strings in JSON, as row_to_json writes them.
      return `CASE WHEN ${x} IN ('NaN', 'Infinity', '-Infinity') THEN to_json(${x}) ELSE ${x}::JSON END`;
    case 'json':
      return asMember ? `CASE WHEN ${x} = 'null' THEN NULL ELSE json(${x}) END` : `${x}::JSON`;
  }
}

/** The row as a JSON object text (what a reject keeps of it). */
export function rowJsonSql(columns: readonly RecordColumn[], alias: string): string {
  return `json_object(${columns.map((c) => `${sqlString(c.name)}, ${columnJson(c, `${alias}.${sqlIdent(c.stage)}`, false)}`).join(', ')})::VARCHAR`;
}

/** The path that means the whole record (`--map data=$`). */
export const WHOLE_RECORD = '$';

/**
 * The top-level keys of a record that the mapping takes into the envelope, per field in the
 * order they are tried: a field's candidates up to its first path below a key (whether such a
 * path wins is not known here, so the keys after it are not counted as taken: they stay in
 * data or meta, never lost). A field a preset computes from its candidates takes them too;
 * `extra`: keys a preset's expressions take whole (JetStream's headers).
 */
export function takenKeys(candidates: FieldCandidates, extra: readonly string[] = []): string[][] {
  const out: string[][] = extra.map((k) => [k]);
  for (const field of ENVELOPE_FIELDS) {
    const keys: string[] = [];
    for (const path of candidates[field] ?? []) {
      if (path === WHOLE_RECORD || isComputed(path)) break;
      const p = parseRecordPath(path);
      if (p.root !== 'record' || p.segments.length !== 1 || typeof p.segments[0] !== 'string') break;
      keys.push(p.segments[0]);
    }
    if (keys.length > 0) out.push(keys);
  }
  return out;
}

/** A field's mapping that is no path: `none` (the field is absent) or `sql:EXPR` (computed). */
export const NONE = 'none';
export const SQL_PREFIX = 'sql:';
export function isComputed(mapping: string): boolean {
  return mapping === NONE || mapping.startsWith(SQL_PREFIX);
}

/** The SQL expression of one field: coalesce over its candidates (text or JSON). */
export function candidatesExpr(access: RecordAccess, field: EnvelopeField, candidates: readonly string[]): string {
  // Typed, so a coalesce with a preset's text expression binds.
  if (candidates.length === 0) return FIELD_KIND[field] === 'json' ? 'NULL::JSON' : 'NULL::VARCHAR';
  const parts = candidates.map((path, i) => (FIELD_KIND[field] === 'json' ? access.json(path) : access.text(path, i === 0)));
  return parts.length === 1 ? parts[0]! : `coalesce(${parts.join(', ')})`;
}

/** Raw (text or JSON) expressions for every envelope field from candidates and overrides. */
export function rawFieldExprs(
  access: RecordAccess,
  candidates: FieldCandidates,
  overrides: Partial<Record<EnvelopeField, string>> = {},
): Record<EnvelopeField, string> {
  const out = {} as Record<EnvelopeField, string>;
  for (const field of ENVELOPE_FIELDS) {
    out[field] = overrides[field] ?? candidatesExpr(access, field, candidates[field] ?? []);
  }
  return out;
}

/** Where a user's SQL expression is evaluated: its paths and `$` names become these columns. */
export interface ExprScope {
  access: RecordAccess;
  /** `$each`, `$index` (an exploded element's array and index) are known here. */
  each: boolean;
  /** `$line` (the record's line / row number) is known here. */
  line: boolean;
  /** `$frame…` (the record an element was exploded from) is known here. */
  frame: boolean;
}

/** Words that would make an expression more than an expression over the record. */
const FORBIDDEN_WORDS = /^(select|from|pragma|copy|attach|detach|install|load|create|insert|update|delete|drop|alter|call|set|export|import|checkpoint|vacuum)$/i;

/**
 * A user's SQL expression over the record (`--map ts=sql:…`, `--skip …`; README, Ingest:
 * "Computed fields") as SQL for the mapping statement: each path written with `$` (`$[2]`,
 * `$.data.u`, `$frame.type`) becomes the value there as text (NULL when absent), `$each` /
 * `$index` an exploded element's array key and index, `$line` the line number. It must stay
 * one expression: no `;`, no comments, no subquery or statement keyword, balanced
 * parentheses; DuckDB checks the rest (ingest.ts checks it before reading). Throws an Error
 * whose message says what is wrong.
 */
export function compileUserSql(expr: string, scope: ExprScope): string {
  let out = '';
  let depth = 0;
  let i = 0;
  const path = /\$(?:frame(?![A-Za-z0-9_]))?(?:\.[A-Za-z_][A-Za-z0-9_]*|\["(?:[^"\\]|\\.)*"\]|\[[0-9]+\])*/y;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= expr.length) throw new Error(`unterminated ${c === "'" ? 'string' : 'quoted name'}`);
        if (expr[j] === c) {
          if (expr[j + 1] === c) { j += 2; continue; }
          break;
        }
        j++;
      }
      out += expr.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') throw new Error('";" is not allowed: one expression only');
    if (expr.startsWith('--', i) || expr.startsWith('/*', i)) throw new Error('comments are not allowed');
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) throw new Error('unbalanced ")"');
    if (c === '$') {
      const named = /^\$(each|index|line)(?![A-Za-z0-9_])/.exec(expr.slice(i));
      if (named) {
        const name = named[1]!;
        if ((name === 'line' && !scope.line) || (name !== 'line' && !scope.each)) {
          throw new Error(`$${name} is only known ${name === 'line' ? 'in --map and --each mappings' : 'with --each'}`);
        }
        out += name === 'each' ? 'each_key' : name === 'index' ? 'each_index' : 'pos';
        i += named[0].length;
        continue;
      }
      path.lastIndex = i;
      const m = path.exec(expr)!;
      const text = m[0];
      if (/^\$[A-Za-z0-9_]/.test(expr.slice(i)) && !text.startsWith('$frame')) {
        throw new Error(`unknown name ${/^\$[A-Za-z0-9_]+/.exec(expr.slice(i))![0]} (paths start with $. or $[; names: $frame, $each, $index, $line)`);
      }
      if (text.startsWith('$frame') && !scope.frame) throw new Error('$frame is only known with --each');
      if (text === '$') out += `(CASE WHEN r IS NOT NULL THEN ${'{{record}}'} END)::VARCHAR`;
      else if (text === '$frame') out += '(CASE WHEN r IS NOT NULL THEN pframe END)';
      else out += `(${scope.access.text(text, false)})`;
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i))![0];
      if (FORBIDDEN_WORDS.test(word)) throw new Error(`"${word}" is not allowed: an expression over the record only (no subqueries or statements)`);
      out += word;
      i += word.length;
      continue;
    }
    out += c;
    i++;
  }
  if (depth !== 0) throw new Error('unbalanced "("');
  if (out.trim() === '') throw new Error('empty expression');
  return `(${out})`;
}
