/**
 * The audit's answers do not change when its SQL is made faster: every violation of the
 * built-in catalog (rule, event, stream, message and every evidence column) on a generated
 * log with anomalies of every kind, in full and over a --since/--until window, equals the list
 * the catalog gave before the speed work of issue 21 (test/golden/audit-violations.json,
 * written by the code of commit 4846af0). A rewrite of a view or a rule that changes any
 * answer, a message's wording included, fails here.
 *
 * EVTRAIL_UPDATE_GOLDEN=1 rewrites the file (only for a change of answers meant as such).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/audit/catalog.js';
import { planAudit } from '../../src/audit/plan.js';
import { runPlannedAudit } from '../../src/audit/run.js';
import type { AuditResult } from '../../src/audit/result.js';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { ROOT, tmpDir } from '../helpers.js';

const GOLDEN = path.join(ROOT, 'test', 'golden', 'audit-violations.json');

let dir: string;
let catalog: Catalog;
let store: Store;
beforeAll(async () => {
  dir = tmpDir('evtrail-audit-golden-');
  catalog = loadCatalog();
  const log = generateTradingLog({ orders: 800, seed: 5, anomalyRate: 0.15, spelling: 'canonical' });
  const file = path.join(dir, 'gen.ndjson');
  fs.writeFileSync(file, [...log].map(serializeTradingEvent).join('\n') + '\n');
  store = await Store.open(path.join(dir, 'gen.duckdb'), { create: true });
  await ingestFiles(store, { sources: [file] });
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The answers of one audit, in a fixed order, as plain JSON. */
function answers(result: AuditResult): { counts: Record<string, string>; violations: unknown[] } {
  // The log's path (a temp dir) is the one thing that differs between runs.
  const rows = result.violations.map((v) => JSON.parse(JSON.stringify({ rule: v.rule, severity: v.severity, eventId: v.eventId, stream: v.stream, message: v.message, evidence: v.evidence }).replaceAll(dir, '<dir>')));
  rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return { counts: Object.fromEntries(result.rules.map((r) => [r.id, `${r.status} ${r.violations}`])), violations: rows };
}

describe('the audit answers as before the speed work', () => {
  it('full catalog and a window: every violation, message and evidence column equal', async () => {
    const full = answers(await runPlannedAudit(store, catalog, planAudit(catalog, { limit: 0 })));
    const window = answers(await runPlannedAudit(store, catalog, planAudit(catalog, { limit: 0, since: '2025-08-26T10:05:00Z', until: '2025-08-26T10:20:00Z' })));
    const got = { full, window };
    if (process.env.EVTRAIL_UPDATE_GOLDEN === '1') fs.writeFileSync(GOLDEN, JSON.stringify(got, null, 1) + '\n');
    const want = JSON.parse(fs.readFileSync(GOLDEN, 'utf8'));
    // Enough of every kind for the comparison to mean something.
    expect(Object.values(got.full.counts).filter((c) => c !== 'ran 0').length).toBeGreaterThanOrEqual(13);
    expect(got.window.violations.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  }, 240_000);
});
