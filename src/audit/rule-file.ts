/**
 * Rule and view files: SQL with a header of `-- key: value` comment lines (see
 * docs/rules.md). Parsing and validation are pure (no DuckDB, no file system), so an
 * invalid file is refused before anything runs, with its file, field and reason.
 */
import { z } from 'zod';
import { PARAM_TYPES, findParamRefs, parseParamValue, type ParamType, type ParamValue } from './params.js';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a rule can require of the store; when it is missing the rule is skipped with the
 * reason instead of flagging every event.
 */
export const PREREQUISITES = ['rev', 'ts', 'causation', 'schemas', 'vocabulary'] as const;
export type Prerequisite = (typeof PREREQUISITES)[number];

export interface RuleParam {
  name: string;
  type: ParamType;
  default: ParamValue;
  description: string;
}

export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  /** The pack whose vocabulary the rule needs; undefined: runs on any log. */
  pack: string | undefined;
  description: string;
  rationale: string;
  uses: string[];
  requires: Prerequisite[];
  params: RuleParam[];
  /**
   * Set when a LATER event can withdraw the rule's finding (its SQL says "no X follows"): how
   * long `watch` waits, on its clock, before it raises such a finding (`-- settle: 2s | why`).
   * `audit` ignores it: it judges a log that is complete.
   */
  settle?: RuleSettle;
  /** The query (without the header), with `$param` references. */
  sql: string;
  file: string;
  /** Line of the file where the SQL starts (1-based), for SQL error messages. */
  sqlLine: number;
}

export interface RuleSettle {
  /** The default wait, ns (`watch --settle` overrides it). */
  ns: bigint;
  text: string;
  /** Which later event withdraws the finding. */
  why: string;
}

export interface View {
  id: string;
  description: string;
  uses: string[];
  /** Materialized: computed once into a temp table (the rules that use it read the result). */
  materialize: boolean;
  sql: string;
  file: string;
  sqlLine: number;
}

/** An invalid rule or view file: which file, which field (or line), why. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${field}: ${reason}`);
  }
}

interface HeaderEntry {
  key: string;
  value: string;
  line: number;
}

export interface ParsedSqlFile {
  entries: HeaderEntry[];
  sql: string;
  sqlLine: number;
}

const KEY_LINE = /^--\s?([a-z][a-z-]*(?: [A-Za-z_][A-Za-z0-9_]*)?):(?:\s+(.*))?$/;
const CONTINUATION = /^--(?:\s{2,}(.*)|\s*)$/;

/**
 * Splits a file into its header (the leading `-- key: value` lines; a line `--   more` with
 * two or more spaces continues the previous value, a bare `--` starts a new paragraph in it)
 * and the SQL after it.
 */
export function parseSqlFile(file: string, text: string): ParsedSqlFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: HeaderEntry[] = [];
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (!line.startsWith('--')) break;
    const key = KEY_LINE.exec(line);
    if (key) {
      entries.push({ key: key[1]!, value: (key[2] ?? '').trim(), line: i + 1 });
      continue;
    }
    const more = CONTINUATION.exec(line);
    const last = entries[entries.length - 1];
    if (more && last) {
      const piece = (more[1] ?? '').trim();
      last.value = piece === '' ? `${last.value}\n` : last.value.endsWith('\n') || last.value === '' ? last.value + piece : `${last.value} ${piece}`;
      continue;
    }
    throw new RuleFileError(file, 'header', `expected "-- key: value" or an indented continuation, got "${line.slice(0, 60)}"`, i + 1);
  }
  for (const e of entries) e.value = e.value.trim();
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const sqlLine = i + 1;
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '').trimEnd();
  return { entries, sql, sqlLine };
}

// ---------------------------------------------------------------------------------------------
// Validation (zod), one schema per kind of file

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const VIEW_ID = /^[a-z][a-z0-9_]*$/;
const list = (text: string | undefined): string[] =>
  (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const paramSchema = z.object({
  type: z.enum(PARAM_TYPES, { error: `type must be one of ${PARAM_TYPES.join(', ')}` }),
  default: z.string().min(1, 'needs a default: "-- param name: type = default | description"'),
  description: z.string().min(1, 'needs a description after "|"'),
});

const ruleSchema = z.object({
  id: z.string({ error: 'missing (every rule needs "-- id: some-rule")' }).regex(ID, 'must be kebab-case, e.g. order-overfill'),
  title: z.string({ error: 'missing' }).min(1, 'must not be empty').max(100, 'at most 100 characters'),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }),
  pack: z.string().regex(ID, 'must be a pack id, e.g. trading').optional(),
  description: z.string({ error: 'missing (what the rule checks)' }).min(1, 'must not be empty'),
  rationale: z.string({ error: 'missing (the regulation or invariant the rule stands for)' }).min(1, 'must not be empty'),
  uses: z.array(z.string().regex(VIEW_ID, 'a view id is snake_case, e.g. audit_stream')),
  requires: z.array(z.enum(PREREQUISITES, { error: `each must be one of ${PREREQUISITES.join(', ')}` })),
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a parameter name is snake_case'), paramSchema),
  sql: z.string().min(1, 'the file has a header but no SQL after it'),
});

const viewSchema = z.object({
  view: z.string({ error: 'missing (every view needs "-- view: some_view")' }).regex(VIEW_ID, 'must be snake_case, e.g. audit_stream'),
  description: z.string({ error: 'missing' }).min(1, 'must not be empty'),
  uses: z.array(z.string().regex(VIEW_ID, 'a view id is snake_case')),
  materialize: z.enum(['true', 'false'], { error: 'must be true or false' }),
  sql: z.string().min(1, 'the file has a header but no SQL after it'),
});

const RULE_KEYS = new Set(['id', 'title', 'severity', 'pack', 'description', 'rationale', 'uses', 'requires', 'settle']);
const VIEW_KEYS = new Set(['view', 'description', 'uses', 'materialize']);

function lineOf(entries: HeaderEntry[], key: string): number | undefined {
  return entries.find((e) => e.key === key)?.line;
}

function collect(file: string, parsed: ParsedSqlFile, known: Set<string>, withParams: boolean) {
  const fields: Record<string, string> = {};
  const params: Record<string, { type: string; default: string; description: string }> = {};
  for (const e of parsed.entries) {
    if (withParams && e.key.startsWith('param ')) {
      const name = e.key.slice('param '.length);
      if (name in params) throw new RuleFileError(file, `param ${name}`, 'declared twice', e.line);
      const m = /^([a-z]+)\s*(?:=\s*([^|]*?))?\s*(?:\|\s*([\s\S]*))?$/.exec(e.value);
      if (!m) throw new RuleFileError(file, `param ${name}`, 'expected "type = default | description"', e.line);
      params[name] = { type: m[1]!, default: (m[2] ?? '').trim(), description: (m[3] ?? '').trim() };
      continue;
    }
    if (!known.has(e.key)) {
      throw new RuleFileError(file, e.key, `unknown field (known: ${[...known].join(', ')}${withParams ? ', param <name>' : ''})`, e.line);
    }
    if (e.key in fields) throw new RuleFileError(file, e.key, 'given twice', e.line);
    fields[e.key] = e.value;
  }
  return { fields, params };
}

function zodError(file: string, error: z.ZodError, entries: HeaderEntry[]): RuleFileError {
  const issue = error.issues[0]!;
  const [head, ...rest] = issue.path.map(String);
  const field = head === 'params' ? `param ${rest[0]}${rest[1] ? ` ${rest[1]}` : ''}` : head ?? 'header';
  const key = head === 'params' ? `param ${rest[0]}` : head ?? '';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new RuleFileError(file, field, issue.message + more, lineOf(entries, key));
}

/** Parses and validates a rule file. Throws RuleFileError. */
export function parseRule(file: string, text: string): Rule {
  const parsed = parseSqlFile(file, text);
  const { fields, params } = collect(file, parsed, RULE_KEYS, true);
  const input = {
    ...fields,
    uses: list(fields.uses),
    requires: list(fields.requires),
    params,
    sql: parsed.sql,
  };
  const result = ruleSchema.safeParse(input);
  if (!result.success) throw zodError(file, result.error, parsed.entries);
  const r = result.data;
  const ruleParams: RuleParam[] = Object.entries(r.params).map(([name, p]) => {
    const value = parseParamValue(p.type, p.default);
    if ('error' in value) throw new RuleFileError(file, `param ${name}`, `default: ${value.error}`, lineOf(parsed.entries, `param ${name}`));
    return { name, type: p.type, default: value, description: p.description };
  });
  checkParamRefs(file, parsed.sql, ruleParams.map((p) => p.name), parsed.sqlLine, parsed.entries);
  const settle = fields.settle === undefined ? undefined : parseSettle(file, fields.settle, lineOf(parsed.entries, 'settle'));
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    pack: r.pack,
    description: r.description,
    rationale: r.rationale,
    uses: r.uses,
    requires: r.requires,
    params: ruleParams,
    ...(settle ? { settle } : {}),
    sql: r.sql,
    file,
    sqlLine: parsed.sqlLine,
  };
}

/** `-- settle: 2s | which later event withdraws the finding`. */
function parseSettle(file: string, text: string, line: number | undefined): RuleSettle {
  const m = /^([^|]*?)\s*\|\s*([\s\S]+)$/.exec(text);
  if (!m) throw new RuleFileError(file, 'settle', 'expected "DURATION | which later event withdraws the finding", e.g. "2s | a RiskReservationReleased that follows"', line);
  const value = parseParamValue('duration', m[1]!);
  if ('error' in value) throw new RuleFileError(file, 'settle', value.error, line);
  return { ns: BigInt(value.sql), text: value.text, why: m[2]!.trim() };
}

/** Parses and validates a shared view file. Throws RuleFileError. */
export function parseView(file: string, text: string): View {
  const parsed = parseSqlFile(file, text);
  const { fields } = collect(file, parsed, VIEW_KEYS, false);
  const input = { ...fields, uses: list(fields.uses), materialize: fields.materialize ?? 'true', sql: parsed.sql };
  const result = viewSchema.safeParse(input);
  if (!result.success) throw zodError(file, result.error, parsed.entries);
  const v = result.data;
  checkParamRefs(file, parsed.sql, [], parsed.sqlLine, parsed.entries);
  return { id: v.view, description: v.description, uses: v.uses, materialize: v.materialize === 'true', sql: v.sql, file, sqlLine: parsed.sqlLine };
}

/** Every `$name` in the SQL is a declared parameter, and every parameter is used. */
function checkParamRefs(file: string, sql: string, declared: string[], sqlLine: number, entries: HeaderEntry[]): void {
  const refs = findParamRefs(sql);
  for (const ref of refs) {
    if (!declared.includes(ref.name)) {
      const line = sqlLine + sql.slice(0, ref.start).split('\n').length - 1;
      throw new RuleFileError(file, 'sql', `$${ref.name} is not a declared parameter (declare it: "-- param ${ref.name}: type = default | description")`, line);
    }
  }
  for (const name of declared) {
    if (!refs.some((r) => r.name === name)) {
      throw new RuleFileError(file, `param ${name}`, `declared but the SQL never uses $${name}`, lineOf(entries, `param ${name}`));
    }
  }
}
