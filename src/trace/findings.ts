/**
 * The audit's findings about a trace's events: the catalog's own rules, run over the streams
 * the trace touches (runScopedAudit), so that trace and audit never disagree about an event —
 * the rules are the one place where "is this wrong?" is decided.
 *
 * The scope is what a full audit would look at to judge these events: every event of their
 * streams (every delivery), the first delivery of a redelivered id, and the causes of all of
 * them. Which packs are in force (and so the trading pack's parameter defaults) is decided over
 * the whole store, as the full audit does.
 */
import { loadCatalog, type Catalog } from '../audit/catalog.js';
import { parseParamValue } from '../audit/params.js';
import { planAudit } from '../audit/plan.js';
import { ScopedAuditor } from '../audit/run.js';
import type { Severity } from '../audit/rule-file.js';
import type { TraceEvent } from './graph.js';
import type { EventSource } from './source.js';

export interface TraceFinding {
  rule: string;
  severity: Severity;
  eventId: string;
  stream: string | null;
  message: string;
}

export interface TraceAudit {
  findings: TraceFinding[];
  /** Rules that ran, and those skipped with the reason (as `evtrail audit` says it). */
  ran: string[];
  skipped: { rule: string; reason: string }[];
  /** Packs in force for the store. */
  packs: string[];
  /** The streams were too long to read whole: stream rules saw only the trace's own events. */
  partial: boolean;
  /** Events the rules looked at. */
  scopeEvents: number;
  ms: number;
  /** Effective parameter values (rule.param → text), e.g. causation-time-inversion.tolerance. */
  params: Record<string, string>;
}

/** Events of the traced streams read whole, at most (else the scope is the trace's events only). */
export const MAX_SCOPE_EVENTS = 200_000;

/**
 * One auditor (a DuckDB connection of its own, macros made once) per event source and catalog:
 * the explorer traces one id after another on one source. Its connection goes with the store.
 */
const AUDITORS = new WeakMap<EventSource, Map<Catalog, ScopedAuditor>>();

let cachedCatalog: Catalog | undefined;
/** The built-in catalog, read once per process. */
export function builtinCatalog(): Catalog {
  cachedCatalog ??= loadCatalog();
  return cachedCatalog;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** The seqs a full audit would read to judge these events (see the module comment). */
async function auditScope(source: EventSource, events: readonly TraceEvent[]): Promise<{ seqs: number[]; partial: boolean }> {
  const all = new Map<number, TraceEvent>();
  for (const e of events) all.set(e.seq, e);
  const streams = [...new Set(events.map((e) => e.stream).filter((s): s is string => s !== null))];
  let partial = false;
  if (streams.length > 0) {
    const found = await source.lookup([{ tag: 's', kind: 'stream', values: streams }], [], MAX_SCOPE_EVENTS);
    if (found === null) partial = true;
    else for (const e of found.get('s')!) all.set(e.seq, e);
  }
  const seqs = new Set(all.keys());
  for (const e of all.values()) if (e.dupOf !== null) seqs.add(e.dupOf);
  const ids = new Set([...all.values()].map((e) => e.id));
  const causes = [...new Set([...all.values()].map((e) => e.causationId).filter((c): c is string => c !== null && !ids.has(c)))];
  if (causes.length > 0) for (const e of await source.events('id', causes)) seqs.add(e.seq);
  return { seqs: [...seqs], partial };
}

/**
 * Runs the catalog's rules over a trace's events. `params` are --param style overrides
 * (rule.key=value), e.g. the trace's own --skew-tolerance handed to causation-time-inversion.
 */
export async function auditTrace(source: EventSource, events: readonly TraceEvent[], params: string[] = [], catalog = builtinCatalog()): Promise<TraceAudit> {
  const t0 = performance.now();
  const { seqs, partial } = await auditScope(source, events);
  const plan = planAudit(catalog, { limit: 0, params });
  let auditors = AUDITORS.get(source);
  if (!auditors) AUDITORS.set(source, (auditors = new Map()));
  let auditor = auditors.get(catalog);
  if (!auditor) auditors.set(catalog, (auditor = new ScopedAuditor(source.store, catalog)));
  const result = await auditor.run(plan, { seqs, eventIds: events.map((e) => e.id) });
  const findings = result.violations
    .filter((v) => v.eventId !== null)
    .map((v) => ({ rule: v.rule, severity: v.severity, eventId: v.eventId!, stream: v.stream, message: v.message }));
  const seqOf = new Map<string, number>();
  for (const e of events) if (!seqOf.has(e.id)) seqOf.set(e.id, e.seq);
  findings.sort((a, b) => (seqOf.get(a.eventId) ?? 0) - (seqOf.get(b.eventId) ?? 0) || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.rule.localeCompare(b.rule));
  return {
    findings,
    ran: result.rules.filter((r) => r.status === 'ran').map((r) => r.id),
    skipped: result.rules.filter((r) => r.status === 'skipped').map((r) => ({ rule: r.id, reason: r.reason ?? '' })),
    packs: result.packs.filter((p) => p.active).map((p) => p.id),
    partial,
    scopeEvents: result.events,
    ms: Math.round(performance.now() - t0),
    params: Object.fromEntries(result.rules.flatMap((r) => Object.entries(r.params).map(([k, v]) => [`${r.id}.${k}`, v]))),
  };
}

/** A duration parameter's value in ns ("1ms" → 1000000n), or undefined. */
export function durationNs(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const v = parseParamValue('duration', text);
  return 'error' in v ? undefined : BigInt(v.sql);
}

/**
 * A rule parameter's default for a log where these packs are in force: the pack's default
 * (pack.json params) when one sets it, else the rule's own. Used when the audit did not run
 * (--no-audit).
 */
export function paramDefault(catalog: Catalog, key: string, packs: readonly string[]): string | undefined {
  for (const p of catalog.packs) if (packs.includes(p.id) && p.params[key] !== undefined) return p.params[key];
  const [id, name] = key.split('.', 2) as [string, string];
  return catalog.rules.find((r) => r.id === id)?.params.find((p) => p.name === name)?.default.text;
}
