/**
 * One verdict per event: on generated trading logs with injected anomalies (every rule of the
 * catalog), the trace of each affected order shows the audit's finding on the event the ground
 * truth names, and for every traced order the (event, rule) pairs trace shows are exactly the
 * full audit's for the trace's events — in the report, the tree, the JSON, DOT and Mermaid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/audit/catalog.js';
import { planAudit } from '../../src/audit/plan.js';
import { runPlannedAudit } from '../../src/audit/run.js';
import type { Violation } from '../../src/audit/result.js';
import { ALSO_FIRES, RULE_OF_ANOMALY } from '../../src/fixtures/anomaly-rules.js';
import { generateTradingLog, serializeTradingEvent, type AnomalyRecord } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { toDot, toMermaid } from '../../src/trace/render-graph.js';
import { EventSource } from '../../src/trace/source.js';
import { defaultSettings, traceReport } from '../../src/trace/trace.js';
import { refreshTraceIndex } from '../../src/trace/trace-index.js';
import { plainTrace, traceJson, traceTree } from '../../src/trace/view.js';
import { tmpDir } from '../helpers.js';

let dir: string;
const SEEDS = [3, 29];
const stores = new Map<number, { db: string; truth: AnomalyRecord[]; violations: Violation[]; orders: string[] }>();

beforeAll(async () => {
  dir = tmpDir('evtrail-trace-findings-');
  const catalog = loadCatalog();
  for (const seed of SEEDS) {
    const log = generateTradingLog({ orders: 300, seed, anomalyRate: 0.15 });
    const file = path.join(dir, `gen-${seed}.ndjson`);
    fs.writeFileSync(file, [...log].map(serializeTradingEvent).join('\n') + '\n');
    const db = path.join(dir, `gen-${seed}.duckdb`);
    const store = await Store.open(db, { create: true });
    try {
      await ingestFiles(store, { sources: [file] });
      await refreshTraceIndex(store);
      const result = await runPlannedAudit(store, catalog, planAudit(catalog, { limit: 0 }));
      const orders = [...new Set([...log].map((e) => String((e.data as { orderId?: string }).orderId)))];
      stores.set(seed, { db, truth: [...log.truth], violations: result.violations, orders });
    } finally {
      store.close();
    }
  }
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pair = (eventId: string | null, rule: string) => `${eventId} ${rule}`;

describe('trace shows the audit findings on its events', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: every injected anomaly's finding is on its order's trace, and trace's (event, rule) pairs equal the audit's`, async () => {
      const { db, truth, violations, orders } = stores.get(seed)!;
      // Every rule of the generator's truth is exercised at this seed.
      expect(new Set(truth.map((t) => RULE_OF_ANOMALY[t.kind])).size).toBeGreaterThanOrEqual(12);
      const store = await Store.open(db, { readOnly: true });
      try {
        const source = await EventSource.open(store);
        const anomalous = new Set(truth.map((t) => t.orderId));
        // The anomalous orders and a few clean ones.
        const clean = orders.filter((o) => !anomalous.has(o)).slice(0, 8);
        for (const order of [...anomalous, ...clean]) {
          const report = await traceReport(source, order, defaultSettings());
          expect(report.audit).not.toBeNull();
          const ids = new Set(report.graph.nodes.map((n) => n.id));
          const fromTrace = new Set(report.audit!.findings.map((f) => pair(f.eventId, f.rule)));
          const fromAudit = new Set(violations.filter((v) => v.eventId !== null && ids.has(v.eventId)).map((v) => pair(v.eventId, v.rule)));
          expect({ order, pairs: [...fromTrace].sort() }).toEqual({ order, pairs: [...fromAudit].sort() });
          // The messages are the audit's, word for word.
          for (const f of report.audit!.findings) {
            expect(violations.some((v) => v.eventId === f.eventId && v.rule === f.rule && v.message === f.message && v.severity === f.severity)).toBe(true);
          }
          for (const t of truth.filter((x) => x.orderId === order)) {
            for (const rule of [RULE_OF_ANOMALY[t.kind], ...(ALSO_FIRES[t.kind] ?? [])]) expect(fromTrace, `${order}: ${t.kind}`).toContain(pair(t.eventId, rule));
          }
          if (!anomalous.has(order)) expect(report.audit!.findings).toEqual([]);
          // Every picture of the trace carries each finding.
          const text = plainTrace(traceTree(report));
          const json = traceJson(report) as { findings: { rule: string; eventId: string; severity: string; message: string }[] };
          const dot = toDot(report);
          const mermaid = toMermaid(report);
          for (const f of report.audit!.findings) {
            expect(text).toContain(`${f.rule} (${f.severity})`);
            expect(text).toContain(f.message);
            expect(json.findings).toContainEqual(expect.objectContaining({ rule: f.rule, eventId: f.eventId, severity: f.severity, message: f.message }));
            expect(dot).toContain(`✖ ${f.rule} (${f.severity})`);
            expect(mermaid).toContain(`✖ ${f.rule} (${f.severity})`);
          }
          if (report.audit!.findings.length > 0) expect(text).not.toMatch(/^no anomalies$/m);
        }
      } finally {
        store.close();
      }
    }, 240_000);
  }

  it('--no-audit leaves the findings out and says so', async () => {
    const { db, truth } = stores.get(SEEDS[0]!)!;
    const store = await Store.open(db, { readOnly: true });
    try {
      const source = await EventSource.open(store);
      const report = await traceReport(source, truth[0]!.orderId, defaultSettings({ audit: false }));
      expect(report.audit).toBeNull();
      expect(plainTrace(traceTree(report))).toContain('audit findings: not checked (--no-audit)');
      expect((traceJson(report) as { findings: unknown }).findings).toBeNull();
    } finally {
      store.close();
    }
  });
});
