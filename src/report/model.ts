/**
 * The report model: everything a report says, as plain data. collect.ts fills it from the
 * store (the only I/O); each renderer (html.ts, markdown.ts, json.ts, junit.ts) is a pure
 * function of it. Nothing in it depends on the clock except generatedAt, so two reports of the
 * same store with the same flags differ only there (and in the hash that covers it).
 */

import type { Vocabulary } from '../packs/vocabulary-map.js';
import type { Waterfall } from '../trace/waterfall.js';
import { shellWord } from '../output/next-steps.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface SourceSection {
  uri: string;
  kind: string;
  format: string;
  preset: string;
  events: number;
  rejects: number;
  bytes: number;
  /** SHA-256 of the bytes ingested (null for a source that is not a byte stream, e.g. PostgreSQL). */
  sha256: string | null;
}

export interface ParamSection {
  rule: string;
  name: string;
  value: string;
  default: string;
}

export interface Scope {
  store: string;
  events: number;
  streams: number;
  rejects: number;
  redelivered: number;
  conflicts: number;
  firstTs: string | null;
  lastTs: string | null;
  /** --since / --until as resolved (null when not given). */
  window: { since: string | null; until: string | null };
  /** Events the audit looked at (the streams in the window; first occurrences only). */
  auditedEvents: number;
  sources: SourceSection[];
  catalog: { sha256: string; files: number; rules: number; userRules: boolean };
  /** Every parameter of the rules that ran or were skipped, with its value in force. */
  parameters: ParamSection[];
  only: string[] | null;
  packs: { id: string; active: boolean; share: number; forced: boolean }[];
  failOn: string;
  /**
   * --tenant: the audit, schemas, chart and traces saw only this tenant's events (the totals
   * above, the sources and the integrity check are the whole store's). Absent without it.
   */
  tenant?: string;
  /**
   * The store's vocabulary mapping the audit read through (src/packs/vocabulary-map.ts), with
   * what `auto` matched. Absent when the store has none.
   */
  vocabulary?: Pick<Vocabulary, 'types' | 'fields' | 'automatic'>;
}

/** The result of src/integrity/verify.ts verifyStore, as the report shows it; or why it was not checked. */
export type IntegritySection = IntegrityChecked | { checked: false; reason: string };

export interface IntegrityChecked {
  checked: true;
  ok: boolean;
  events: number;
  head: string | null;
  problems: { kind: string; seq?: number; id?: string; source?: string; message: string }[];
  sources: { uri: string; events: number; head: string | null; sha256: string | null }[];
}

export interface Sample {
  eventId: string | null;
  stream: string | null;
  message: string;
  ts: string | null;
}

export interface RuleSection {
  id: string;
  title: string;
  severity: string;
  pack: string;
  /**
   * A rule from outside the built-in packs (--rules): its file and the SHA-256 of its text. Its
   * SQL ran with the user's rights (it can read any file DuckDB can), so the report says which
   * text it was.
   */
  origin?: { file: string; sha256: string };
  status: 'ran' | 'skipped';
  reason?: string;
  violations: number;
  /** Its violations make `audit` fail at the --fail-on in force. */
  failing: boolean;
  params: Record<string, string>;
  /** The first few violations (the audit's own order: time, stream, event id). */
  samples: Sample[];
}

export interface AuditSection {
  failOn: string;
  failed: boolean;
  ran: number;
  skipped: number;
  violations: number;
  samplesPerRule: number;
  rules: RuleSection[];
}

export interface SchemaSection {
  /** The packs whose vocabulary the log speaks. */
  packs: string[];
  /** Whether schema-violation ran (else the violation counts are null). */
  checked: boolean;
  violations: number | null;
  types: { type: string; version: number; events: number; registered: boolean; violations: number | null }[];
}

export interface TraceSection {
  id: string;
  header: string;
  sagaLines: string[];
  stepLines: string[];
  /** The tree as trace prints it (plainTrace). */
  text: string;
  events: number;
  anomalies: number;
  /** The audit's findings on the trace's events (the same rules and parameters as the report's audit). */
  findings: number;
  /** The trace's waterfall (time across, a bar per event from its cause), drawn by the HTML report. */
  waterfall: Waterfall;
}

export interface ChartSection {
  /** Width of one bar of the events chart, in seconds: the smallest of 1 s … 1 day giving at most 120 bars. */
  bucketSeconds: number;
  /** Start of each bucket (ISO, UTC) and its events; empty buckets included. The chart shows events × 60 / bucketSeconds: events per minute. */
  events: { start: string; events: number }[];
}

export interface ReportModel {
  schemaVersion: number;
  title: string;
  /** The one part that differs between two runs over the same store. */
  generatedAt: string;
  evtrailVersion: string;
  scope: Scope;
  integrity: IntegritySection;
  audit: AuditSection;
  schema: SchemaSection | null;
  charts: ChartSection;
  traces: TraceSection[];
  /** The commands that re-create the store, the audit and this report. */
  commands: string[];
}

// ---------------------------------------------------------------------------------------------
// Pure helpers the collector uses (tested without a store).

/** A shell word (src/output/next-steps.ts, the one shell quoting). */
export { shellWord };

export interface ReportRequest {
  out: string;
  db: string;
  traces: string[];
  only?: string[];
  params?: string[];
  since?: string;
  until?: string;
  rules?: string;
  packs?: string[];
  samples: number;
  key?: string;
  verify: boolean;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

/** The commands that re-create the report, from its sources up. */
export function recreateCommands(req: ReportRequest, sources: SourceSection[]): string[] {
  const q = shellWord;
  const db = ['--db', q(req.db)];
  const out: string[] = [];
  for (const s of sources) {
    if (s.kind === 'stdin') {
      out.push(`# ${s.uri} was read from standard input: evtrail ingest - ${db.join(' ')} --format ${q(s.format)} < FILE (the file whose SHA-256 is ${s.sha256 ?? 'unknown'})`);
      continue;
    }
    // Files name their format; event stores (postgres://, nats://) their preset only.
    const format = s.kind === 'file' ? ` --format ${q(s.format)}` : '';
    out.push(`evtrail ingest ${q(s.uri)} ${db.join(' ')}${format} --preset ${q(s.preset)}`);
  }
  const auditFlags: string[] = [];
  for (const o of req.only ?? []) auditFlags.push('--only', q(o));
  if (req.rules !== undefined) auditFlags.push('--rules', q(req.rules));
  for (const p of req.packs ?? []) auditFlags.push('--pack', q(p));
  for (const p of req.params ?? []) auditFlags.push('--param', q(p));
  if (req.since !== undefined) auditFlags.push('--since', q(req.since));
  if (req.until !== undefined) auditFlags.push('--until', q(req.until));
  const tenant = req.tenant !== undefined ? ['--tenant', q(req.tenant)] : [];
  auditFlags.push(...tenant);
  if (req.verify) out.push(`evtrail verify ${db.join(' ')}`);
  out.push(['evtrail audit', ...db, ...auditFlags, '--details'].join(' '));
  for (const t of req.traces) out.push(['evtrail trace', q(t), ...db, ...tenant].join(' '));
  const reportFlags = [...auditFlags, ...req.traces.flatMap((t) => ['--trace', q(t)])];
  if (req.samples !== DEFAULT_SAMPLES) reportFlags.push('--samples', String(req.samples));
  if (!req.verify) reportFlags.push('--no-verify');
  if (req.key !== undefined) reportFlags.push('--key', q(req.key));
  out.push(['evtrail report --out', q(req.out), ...db, ...reportFlags].join(' '));
  out.push(`evtrail verify --report ${q(req.out)}${req.key !== undefined ? ' --pubkey PUBLIC-KEY.pub' : ''}`);
  return out;
}

export const DEFAULT_SAMPLES = 5;

const BUCKET_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const MAX_BARS = 120;

/**
 * Buckets for the events chart: the narrowest round width (1 s … 1 day, then whole days) that
 * gives at most 120 bars over the time range. Counts come per bucket index from the store; the
 * buckets with no event are filled in here.
 */
export function chartBuckets(firstMs: number | null, lastMs: number | null): { bucketSeconds: number; startMs: number; count: number } | null {
  if (firstMs === null || lastMs === null) return null;
  const spanSeconds = Math.floor(lastMs / 1000) - Math.floor(firstMs / 1000) + 1;
  const bucketSeconds = BUCKET_SECONDS.find((b) => Math.ceil(spanSeconds / b) + 1 <= MAX_BARS) ?? 86400 * Math.ceil(spanSeconds / 86400 / (MAX_BARS - 1));
  const startMs = Math.floor(firstMs / (bucketSeconds * 1000)) * bucketSeconds * 1000;
  return { bucketSeconds, startMs, count: Math.floor((lastMs - startMs) / (bucketSeconds * 1000)) + 1 };
}

export function fillBuckets(plan: { bucketSeconds: number; startMs: number; count: number }, counts: Map<number, number>): ChartSection['events'] {
  return Array.from({ length: plan.count }, (_, i) => ({
    start: new Date(plan.startMs + i * plan.bucketSeconds * 1000).toISOString().replace('.000Z', 'Z'),
    events: counts.get(i) ?? 0,
  }));
}

/** "10-second", "5-minute", "1-hour" bars. */
export function bucketLabel(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}-day`;
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  if (seconds % 60 === 0) return `${seconds / 60}-minute`;
  return `${seconds}-second`;
}
