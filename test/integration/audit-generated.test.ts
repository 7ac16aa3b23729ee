/**
 * The built-in catalog on generated trading logs with injected anomalies, against the
 * generator's ground truth: every injected anomaly is found by its rule at the event the truth
 * names (recall 100%), and nothing else is found (precision 100%): no finding in a stream
 * without an anomaly, no finding by another rule than the anomaly's. At several seeds, in
 * both field spellings the canonical preset accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/audit/catalog.js';
import { planAudit } from '../../src/audit/plan.js';
import { runPlannedAudit } from '../../src/audit/run.js';
import type { AuditResult } from '../../src/audit/result.js';
import { generateTradingLog, serializeTradingEvent, type AnomalyKind, type AnomalyRecord, type Spelling } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';
import { ALSO_FIRES, RULE_OF_ANOMALY } from '../../src/fixtures/anomaly-rules.js';

const RULE_OF = RULE_OF_ANOMALY;
const ALSO = ALSO_FIRES;

let dir: string;
let catalog: Catalog;
beforeAll(() => {
  dir = tmpDir('evtrail-audit-gen-');
  catalog = loadCatalog();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function auditGenerated(seed: number, spelling: Spelling, orders: number, rate: number): Promise<{ truth: readonly AnomalyRecord[]; result: AuditResult }> {
  const log = generateTradingLog({ orders, seed, anomalyRate: rate, spelling });
  const file = path.join(dir, `gen-${seed}-${spelling}.ndjson`);
  const lines: string[] = [];
  for (const e of log) lines.push(serializeTradingEvent(e));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const store = await Store.open(path.join(dir, `gen-${seed}-${spelling}.duckdb`), { create: true });
  try {
    const ingest = await ingestFiles(store, { sources: [file] });
    expect(ingest.rejected).toBe(0);
    const result = await runPlannedAudit(store, catalog, planAudit(catalog, { limit: 0 }));
    return { truth: [...log.truth], result };
  } finally {
    store.close();
  }
}

const key = (rule: string, stream: string | null, eventId: string | null) => `${rule} ${stream} ${eventId}`;

describe('audit of generated logs against the ground truth', () => {
  const runs: [seed: number, spelling: Spelling][] = [
    [3, 'canonical'],
    [3, 'aliases'],
    [29, 'canonical'],
    [271, 'aliases'],
  ];
  for (const [seed, spelling] of runs) {
    it(`seed ${seed}, ${spelling} spelling: recall and precision 100%`, async () => {
      const { truth, result } = await auditGenerated(seed, spelling, 400, 0.12);
      // Every kind is there, so every rule is tested at this seed (stuck sagas need room at the end of the log).
      const kinds = new Set(truth.map((t) => t.kind));
      expect(kinds.size).toBeGreaterThanOrEqual(12);
      expect(result.rules.filter((r) => r.status !== 'ran')).toEqual([]);

      const expected = new Set<string>();
      for (const t of truth) {
        expected.add(key(RULE_OF[t.kind], t.stream, t.eventId));
        for (const rule of ALSO[t.kind] ?? []) expected.add(key(rule, t.stream, t.eventId));
      }
      const found = result.violations.map((v) => key(v.rule, v.stream, v.eventId));
      // Each finding once.
      expect(new Set(found).size).toBe(found.length);
      const missed = [...expected].filter((k) => !found.includes(k));
      const extra = found.filter((k) => !expected.has(k));
      expect({ missed, extra }).toEqual({ missed: [], extra: [] });

      // Streams without an anomaly: no finding at all.
      const anomalous = new Set(truth.map((t) => t.stream));
      expect(result.violations.filter((v) => !anomalous.has(v.stream ?? ''))).toEqual([]);
      // The counts in the summary agree with the list.
      for (const r of result.rules) expect(r.violations).toBe(result.violations.filter((v) => v.rule === r.id).length);
    });
  }
});
