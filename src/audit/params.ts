/**
 * Rule parameters: their types, how a value given as text (a header default, `--param
 * rule.key=value`) is read, and how it goes into the rule's SQL. Pure: no DuckDB.
 *
 * A parameter is written `$name` in the SQL and replaced by a SQL literal before the query
 * runs (the values are checked against their type first, strings are quoted), so `--explain`
 * can show the exact SQL that runs.
 */

import { parseDuration } from '../core/time.js';
import { sqlString } from '../store/sql.js';

export const PARAM_TYPES = ['duration', 'number', 'integer', 'string', 'boolean'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** A parsed value: what the user sees (`text`) and what goes into the SQL (`sql`). */
export interface ParamValue {
  text: string;
  sql: string;
}

/** What a value of each type looks like, for error messages. */
export const PARAM_EXPECTED: Record<ParamType, string> = {
  duration: 'a duration such as 60s, 1.5s, 500ms, 2m, 1h or 1h30m',
  number: 'a number such as 0.01',
  integer: 'a whole number',
  string: 'a text',
  boolean: 'true or false',
};

/**
 * Reads a value of a type. A duration becomes a whole number of nanoseconds (BIGINT in the
 * SQL: compare it with differences of epoch_ns(ts)), never rounded: a value finer than a
 * nanosecond is refused.
 */
export function parseParamValue(type: ParamType, raw: string): ParamValue | { error: string } {
  const text = raw.trim();
  switch (type) {
    case 'duration': {
      // The one duration grammar (src/core/time.ts): `1h30m` works here as it does in --at.
      const ns = parseDuration(text);
      if (ns === null) {
        const finer = parseDuration(text.replace(/\.\d+/g, '')) !== null;
        return { error: finer ? `${raw} is finer than a nanosecond` : `expected ${PARAM_EXPECTED.duration}, got "${raw}"` };
      }
      return { text, sql: String(ns) };
    }
    case 'number':
      if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return { error: `expected ${PARAM_EXPECTED.number}, got "${raw}"` };
      // DECIMAL keeps 0.01 exact; an exponent needs DOUBLE.
      return { text, sql: /[eE]/.test(text) ? `${text}::DOUBLE` : text };
    case 'integer':
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return { error: `expected ${PARAM_EXPECTED.integer}, got "${raw}"` };
      return { text, sql: text };
    case 'boolean':
      if (text !== 'true' && text !== 'false') return { error: `expected ${PARAM_EXPECTED.boolean}, got "${raw}"` };
      return { text, sql: text.toUpperCase() };
    case 'string':
      return { text: raw, sql: sqlString(raw) };
  }
}

/** A `$name` in SQL text, outside string literals, quoted identifiers and comments. */
export interface ParamRef {
  name: string;
  start: number;
  end: number;
}

/** Finds the `$name` references of a SQL text (not `$1`, not inside '…', "…", -- or /* *\/). */
export function findParamRefs(sql: string): ParamRef[] {
  const refs: ParamRef[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      // '' inside a string is an escaped quote: the scan simply restarts after it.
      i = close < 0 ? sql.length : close + 1;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(sql.slice(i, i + 100));
      if (m) {
        refs.push({ name: m[1]!, start: i, end: i + m[0].length });
        i += m[0].length;
        continue;
      }
    }
    i++;
  }
  return refs;
}

/** Replaces every `$name` by its SQL literal; every name must have a value. */
export function substituteParams(sql: string, values: Record<string, ParamValue>): string {
  let out = '';
  let at = 0;
  for (const ref of findParamRefs(sql)) {
    const value = values[ref.name];
    if (!value) throw new Error(`no value for parameter $${ref.name}`);
    out += sql.slice(at, ref.start) + `(${value.sql})`;
    at = ref.end;
  }
  return out + sql.slice(at);
}
