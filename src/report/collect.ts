/**
 * Fills the report model from the store: the audit (the same loadCatalog / planAudit /
 * runPlannedAudit as `evtrail audit`, keeping a few violations per rule as evidence), storeTotals, the
 * sources' hashes, the integrity check, the schema summary, the events chart and the traces.
 * All the heavy work is set-based SQL; JavaScript only sees small results.
 */
import fs from 'node:fs';
import type { Catalog } from '../audit/catalog.js';
import { fails, type AuditPlan } from '../audit/plan.js';
import { runPlannedAudit } from '../audit/run.js';
import type { AuditResult } from '../audit/result.js';
import { storeTotals } from '../info/info.js';
import { sha256Hex } from '../integrity/keys.js';
import { and, raw, sql, type Fragment } from '../store/sql.js';
import { applyLens, checkTenant } from '../store/lens.js';
import type { Store } from '../store/store.js';
import { defaultSettings, traceReport } from '../trace/trace.js';
import { EventSource } from '../trace/source.js';
import { plainTrace, traceTree } from '../trace/view.js';
import { traceWaterfall } from '../trace/waterfall.js';
import { VERSION } from '../version.js';
import {
  REPORT_SCHEMA_VERSION,
  chartBuckets,
  fillBuckets,
  recreateCommands,
  type AuditSection,
  type ChartSection,
  type IntegritySection,
  type ReportModel,
  type ReportRequest,
  type SchemaSection,
  type SourceSection,
  type TraceSection,
} from './model.js';

export interface CollectOptions {
  request: ReportRequest;
  catalog: Catalog;
  plan: AuditPlan;
  /** Injected so that tests can pin it; the CLI passes the current time. */
  generatedAt: string;
}

export async function collectReport(store: Store, options: CollectOptions): Promise<ReportModel> {
  const { request, catalog, plan } = options;
  // A --tenant with no events fails now, not after the integrity check's full read.
  if (request.tenant !== undefined) await checkTenant(store, request.tenant);
  // Integrity first: it reads the store as stored, before the audit adds its temp tables and
  // before the lens (which would hand it the renamed, one-tenant view to hash). The totals and
  // the sources are the whole store's too.
  const integrity = request.verify ? await checkIntegrity(store) : { checked: false as const, reason: 'not asked (--no-verify)' };
  const info = await storeTotals(store);
  const sources = await sourceRows(store);
  // From here on, as audit, replay and trace read it: through the store's vocabulary mapping
  // and --tenant.
  const lens = await applyLens(store, request.tenant === undefined ? {} : { tenant: request.tenant });
  const result = await runPlannedAudit(store, catalog, plan);
  const audit = auditSection(result, request.samples, catalog);
  const schema = await schemaSection(store, result, catalog);
  const charts = await chartSection(store, result.window);
  const traces: TraceSection[] = [];
  if (request.traces.length) {
    const source = await EventSource.open(store);
    const settings = defaultSettings({ auditParams: request.params ?? [] });
    for (const id of request.traces) {
      const report = await traceReport(source, id, settings, true, catalog);
      const tree = traceTree(report);
      traces.push({
        id,
        header: tree.header,
        sagaLines: tree.sagaLines,
        stepLines: tree.stepLines,
        text: plainTrace(tree),
        events: report.graph.nodes.length,
        anomalies: report.graph.anomalies.length + report.sagas.reduce((n, s) => n + s.problems.length, 0),
        findings: report.audit?.findings.length ?? 0,
        waterfall: traceWaterfall(report),
      });
    }
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    title: `evtrail audit report: ${request.db}`,
    generatedAt: options.generatedAt,
    evtrailVersion: VERSION,
    scope: {
      store: request.db,
      events: info.events,
      streams: info.streams,
      rejects: info.rejects,
      redelivered: info.redelivered,
      conflicts: info.conflicts,
      firstTs: info.firstTs,
      lastTs: info.lastTs,
      window: result.window,
      auditedEvents: result.events,
      sources,
      catalog: { ...catalogHash(catalog), rules: catalog.rules.length, userRules: catalog.userFiles.size > 0 },
      parameters: plan.rules.flatMap((p) => p.rule.params.map((param) => ({ rule: p.rule.id, name: param.name, value: result.rules.find((r) => r.id === p.rule.id)?.params[param.name] ?? p.values[param.name]?.text ?? param.default.text, default: param.default.text }))),
      only: request.only ? plan.rules.map((p) => p.rule.id) : null,
      packs: result.packs.map((p) => ({ id: p.id, active: p.active, share: Math.round(p.share * 10000) / 10000, forced: p.forced })),
      failOn: result.failOn,
      ...(lens.tenant !== null ? { tenant: lens.tenant } : {}),
      ...(lens.vocabulary ? { vocabulary: { types: lens.vocabulary.types, fields: lens.vocabulary.fields, automatic: lens.vocabulary.automatic } } : {}),
    },
    integrity,
    audit,
    schema,
    charts,
    traces,
    commands: recreateCommands(request, sources),
  };
}

/** Where a rule from outside the built-in packs came from: its file and the SHA-256 of its bytes. */
function ruleOrigin(catalog: Catalog, id: string): { origin?: { file: string; sha256: string } } {
  const file = catalog.rules.find((r) => r.id === id)?.file;
  if (file === undefined || !catalog.userFiles.has(file)) return {};
  return { origin: { file, sha256: sha256Hex(fs.readFileSync(file)) } };
}

/**
 * The rule catalog's hash: SHA-256 over every rule and view file of the catalog in id order,
 * each as "<id>\n<length>\n<text>" (the length keeps one file's end from passing for the next
 * one's start). The files' paths are left out: the same rules read from another folder hash the same.
 */
export function catalogHash(catalog: Catalog): { sha256: string; files: number } {
  const items = [...catalog.rules.map((r) => ({ id: r.id, file: r.file })), ...[...catalog.views.values()].map((v) => ({ id: v.id, file: v.file }))].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const parts: string[] = [];
  for (const item of items) {
    const text = fs.readFileSync(item.file, 'utf8');
    parts.push(`${item.id}\n${Buffer.byteLength(text)}\n${text}`);
  }
  return { sha256: sha256Hex(parts.join('')), files: items.length };
}

async function sourceRows(store: Store): Promise<SourceSection[]> {
  const rows = await store.all(`SELECT uri, kind, format, preset, events, rejects, bytes, sha256 FROM sources ORDER BY source_id`);
  return rows.map((r) => ({
    uri: String(r.uri),
    kind: String(r.kind),
    format: String(r.format),
    preset: String(r.preset),
    events: Number(r.events),
    rejects: Number(r.rejects),
    bytes: Number(r.bytes),
    sha256: r.sha256 === null || r.sha256 === undefined ? null : String(r.sha256),
  }));
}

async function checkIntegrity(store: Store): Promise<IntegritySection> {
  const { verifyStore } = await import('../integrity/verify.js');
  const v = await verifyStore(store);
  return { checked: true, ok: v.ok, events: v.events, head: v.head, problems: v.problems, sources: v.sources };
}

function auditSection(result: AuditResult, samples: number, catalog: Catalog): AuditSection {
  const byRule = new Map<string, AuditResult['violations']>();
  for (const v of result.violations) {
    const list = byRule.get(v.rule);
    if (list) list.push(v);
    else byRule.set(v.rule, [v]);
  }
  const ran = result.rules.filter((r) => r.status === 'ran');
  return {
    failOn: result.failOn,
    failed: result.failed,
    ran: ran.length,
    skipped: result.rules.length - ran.length,
    violations: ran.reduce((n, r) => n + r.violations, 0),
    samplesPerRule: samples,
    rules: result.rules.map((r) => ({
      id: r.id,
      title: r.title,
      severity: r.severity,
      pack: r.pack,
      ...ruleOrigin(catalog, r.id),
      status: r.status,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      violations: r.violations,
      failing: r.violations > 0 && fails(r.severity, result.failOn),
      params: r.params,
      samples: (byRule.get(r.id) ?? []).slice(0, samples).map((v) => ({
        eventId: v.eventId,
        stream: v.stream,
        message: v.message,
        ts: typeof v.evidence.ts === 'string' ? v.evidence.ts : null,
      })),
    })),
  };
}

/** SQL condition: ts inside the audit's resolved window (true without one). */
function windowSql(window: { since: string | null; until: string | null }): Fragment {
  return and(window.since && sql`ts >= evt_ts(${window.since})`, window.until && sql`ts < evt_ts(${window.until})`);
}

/**
 * Types and schema versions of the audited events (the audit's audit_types view), with the
 * schema violations per type and version when schema-violation ran (its audit_schema_problems
 * view, which the audit materialized). Only when the log speaks a pack's vocabulary.
 */
async function schemaSection(store: Store, result: AuditResult, catalog: Catalog): Promise<SchemaSection | null> {
  const packs = result.packs.filter((p) => p.active && p.id !== 'core').map((p) => p.id);
  if (packs.length === 0 || result.events === 0) return null;
  const checked = result.rules.some((r) => r.id === 'schema-violation' && r.status === 'ran');
  const types = await store.all(`SELECT type, schema_version AS v, events FROM audit_types ORDER BY type, schema_version`);
  const problems = new Map<string, number>();
  if (checked) {
    const rows = await store.all(sql`SELECT type, schema_version AS v, count(*) AS n FROM audit_schema_problems WHERE ${windowSql(result.window)} GROUP BY ALL`);
    for (const r of rows) problems.set(`${r.type}\u0000${r.v}`, Number(r.n));
  }
  const registered = new Set(catalog.schemas.map((s) => `${s.type}\u0000${s.version}`));
  const list = types.map((r) => {
    const key = `${r.type}\u0000${r.v}`;
    return { type: String(r.type), version: Number(r.v), events: Number(r.events), registered: registered.has(key), violations: checked ? (problems.get(key) ?? 0) : null };
  });
  return { packs, checked, violations: checked ? list.reduce((n, t) => n + (t.violations ?? 0), 0) : null, types: list };
}

async function chartSection(store: Store, window: { since: string | null; until: string | null }): Promise<ChartSection> {
  const where = windowSql(window);
  const range = (await store.all(sql`SELECT epoch_ms(min(ts))::BIGINT AS t0, epoch_ms(max(ts))::BIGINT AS t1 FROM events WHERE ts IS NOT NULL AND ${where}`))[0];
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const plan = chartBuckets(num(range?.t0), num(range?.t1));
  if (!plan) return { bucketSeconds: 60, events: [] };
  const rows = await store.all(sql`SELECT ((epoch_ms(ts) - ${raw(String(plan.startMs))}) // ${raw(String(plan.bucketSeconds * 1000))})::INTEGER AS b, count(*) AS n
    FROM events WHERE ts IS NOT NULL AND ${where} GROUP BY b`);
  return { bucketSeconds: plan.bucketSeconds, events: fillBuckets(plan, new Map(rows.map((r) => [Number(r.b), Number(r.n)]))) };
}
