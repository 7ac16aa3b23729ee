/**
 * What an audit will do, decided from the catalog and the command line before the store is
 * opened: which rules, with which parameter values, which severity fails the run, which time
 * window. Pure: every mistake is a UserError (exit 2) raised before any SQL runs.
 */
import { editDistance } from '../core/suggest.js';
import { UserError } from '../core/errors.js';
import { wholeNumber } from '../core/flags.js';
import type { Catalog } from './catalog.js';
import { parseParamValue, substituteParams, type ParamValue } from './params.js';
import { SEVERITIES, type Rule, type Severity } from './rule-file.js';

export const FAIL_ON = [...SEVERITIES, 'none'] as const;

/** --limit's hint, for the command line and the service alike. */
export const LIMIT_HINT = 'e.g. --limit 100, or 0 for all';
export type FailOn = (typeof FAIL_ON)[number];

/** A --since / --until value: a time of day (on the log's day) or a full instant. */
export type TimeSpec = { kind: 'time-of-day'; text: string } | { kind: 'instant'; text: string };

export interface AuditRequest {
  only?: string[];
  params?: string[];
  packs?: string[];
  failOn?: string;
  since?: string;
  until?: string;
  /** Violations kept per rule (the count is always exact); 0 keeps all. */
  limit?: number;
}

/** The audit flags that audit and report share, under their command-line names. */
export interface AuditFlags {
  only?: string[];
  param?: string[];
  pack?: string[];
  since?: string;
  until?: string;
}

/** The request of `evtrail audit` and `evtrail report`: their shared flags, a severity that fails, a limit. */
export function auditRequest(flags: AuditFlags, failOn: string, limit: number): AuditRequest {
  return { only: flags.only, params: flags.param, packs: flags.pack, failOn, since: flags.since, until: flags.until, limit };
}

export interface PlannedRule {
  rule: Rule;
  values: Record<string, ParamValue>;
  /** The SQL that runs: parameters replaced by their literals. */
  sql: string;
  /** Parameters given with --param (a pack's default does not replace them). */
  given: string[];
}

export interface AuditPlan {
  rules: PlannedRule[];
  packs: string[];
  failOn: FailOn;
  since: TimeSpec | undefined;
  until: TimeSpec | undefined;
  limit: number;
}

export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function findRule(catalog: Catalog, id: string, flag: string): Rule {
  const rule = catalog.rules.find((r) => r.id === id);
  if (rule) return rule;
  const ids = catalog.rules.map((r) => r.id);
  const near = closest(id, ids);
  throw new UserError(`${flag}: no rule ${id}`, near ? `did you mean ${near}? (evtrail audit --list shows the rules)` : 'evtrail audit --list shows the rules');
}

const TIME_OF_DAY = /^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?$/;

export function parseTimeSpec(flag: string, text: string): TimeSpec {
  const t = text.trim();
  if (t === '') throw new UserError(`${flag} needs a time`, 'e.g. 10:00, 2025-08-26T10:00:00Z or epoch milliseconds');
  if (TIME_OF_DAY.test(t)) return { kind: 'time-of-day', text: t.length === 5 || t.length === 4 ? `${t}:00` : t };
  return { kind: 'instant', text: t };
}

/** Each rule's parameter values: its defaults, overridden by --param rule.key=value. */
function paramValues(catalog: Catalog, given: string[], named: Map<string, Set<string>>): Map<string, Record<string, ParamValue>> {
  const values = new Map<string, Record<string, ParamValue>>();
  for (const r of catalog.rules) values.set(r.id, Object.fromEntries(r.params.map((p) => [p.name, p.default])));
  for (const item of given) {
    const m = /^([^.=\s]+)\.([^=\s]+)=([\s\S]*)$/.exec(item);
    if (!m) throw new UserError(`--param ${item}: expected rule.key=value`, 'e.g. --param saga-incomplete.timeout=30s');
    const [, id, key, raw] = m as unknown as [string, string, string, string];
    const rule = findRule(catalog, id, `--param ${item}`);
    const param = rule.params.find((p) => p.name === key);
    if (!param) {
      const names = rule.params.map((p) => p.name);
      throw new UserError(
        `--param ${item}: rule ${id} has no parameter ${key}`,
        names.length ? `its parameters: ${names.join(', ')} (evtrail audit --explain ${id})` : `${id} takes no parameters`,
      );
    }
    const value = parseParamValue(param.type, raw);
    if ('error' in value) throw new UserError(`--param ${item}: ${value.error}`, `${id}.${key} is ${param.type === 'integer' ? 'an' : 'a'} ${param.type}: ${param.description}`);
    values.get(id)![key] = value;
    if (!named.has(id)) named.set(id, new Set());
    named.get(id)!.add(key);
  }
  return values;
}

export function planAudit(catalog: Catalog, request: AuditRequest): AuditPlan {
  let selected = catalog.rules;
  if (request.only !== undefined) {
    const ids = request.only.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw new UserError('--only needs rule ids', 'e.g. --only order-overfill,saga-incomplete');
    selected = [...new Set(ids)].map((id) => findRule(catalog, id, '--only'));
  }
  const failOn = (request.failOn ?? 'error') as FailOn;
  if (!FAIL_ON.includes(failOn)) throw new UserError(`--fail-on ${request.failOn}: expected ${FAIL_ON.join(', ')}`, 'error (default): only errors fail the run; warning: warnings too; none: never');
  const packs = (request.packs ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  // As --only: given, it names something (`--pack ''` was taken as no --pack at all).
  if (request.packs !== undefined && packs.length === 0) throw new UserError('--pack needs pack ids', `packs: ${catalog.packs.map((x) => x.id).join(', ')}`);
  for (const p of packs) {
    if (!catalog.packs.some((x) => x.id === p)) {
      throw new UserError(`--pack ${p}: no such pack`, `packs: ${catalog.packs.map((x) => x.id).join(', ')}`);
    }
  }
  const limit = request.limit ?? 1000;
  // A number from a caller of the service (the command line has read its text already).
  wholeNumber('--limit', String(limit), { hint: LIMIT_HINT });
  const named = new Map<string, Set<string>>();
  const values = paramValues(catalog, request.params ?? [], named);
  const rules = selected.map((rule) => {
    const v = values.get(rule.id)!;
    return { rule, values: v, sql: substituteParams(rule.sql, v), given: [...(named.get(rule.id) ?? [])] };
  });
  return {
    rules,
    packs,
    failOn,
    since: request.since === undefined ? undefined : parseTimeSpec('--since', request.since),
    until: request.until === undefined ? undefined : parseTimeSpec('--until', request.until),
    limit,
  };
}

/**
 * The plan with the parameter defaults of the packs in force (pack.json `params`) applied to
 * the parameters --param did not give: decided once the store shows which packs are in force.
 */
export function withPackDefaults(rules: PlannedRule[], packs: { id: string; params: Record<string, string> }[]): PlannedRule[] {
  return rules.map((planned) => {
    let values = planned.values;
    for (const pack of packs) {
      for (const [key, raw] of Object.entries(pack.params)) {
        const [id, name] = key.split('.', 2) as [string, string];
        if (id !== planned.rule.id || planned.given.includes(name)) continue;
        const param = planned.rule.params.find((p) => p.name === name);
        const value = param ? parseParamValue(param.type, raw) : undefined;
        if (value && !('error' in value)) values = { ...values, [name]: value };
      }
    }
    return values === planned.values ? planned : { ...planned, values, sql: substituteParams(planned.rule.sql, values) };
  });
}

/** Whether violations of a rule of this severity fail the run. */
export function fails(severity: Severity, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(failOn);
}
