/**
 * The watch's auditor keeps its tables and prepared statements from batch to batch (src/audit/run.ts,
 * Kept): batch after batch it must find what a fresh scoped audit of the same events finds. A
 * prepared plan run again over other rows was wrong once (the optimizer had folded a filter away
 * from the first batch's statistics); this test catches that.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/audit/catalog.js';
import { auditRequest, planAudit } from '../../src/audit/plan.js';
import { ScopedAuditor } from '../../src/audit/run.js';
import type { AuditResult } from '../../src/audit/result.js';
import { Store } from '../../src/store/store.js';
import { batchScope } from '../../src/watch/scope.js';
import { cli, tmpDir } from '../helpers.js';
import { SAMPLE } from '../watch.js';

describe('a kept scoped auditor (watch)', () => {
  const dir = tmpDir('evtrail-kept-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds, batch after batch, what a fresh scoped audit finds', async () => {
    const db = path.join(dir, 'kept.duckdb');
    expect(cli(['ingest', SAMPLE, '--db', db, '--quiet']).code).toBe(0);
    const store = await Store.open(db, { readOnly: true });
    const catalog = loadCatalog({});
    const plan = planAudit(catalog, auditRequest({}, 'none', 0));
    const fresh = new ScopedAuditor(store, catalog);
    const kept = new ScopedAuditor(store, catalog, { keep: true });
    const keys = (r: AuditResult) => r.violations.map((v) => `${v.rule} ${v.eventId} ${v.message}`).sort();
    try {
      const last = Number((await store.all('SELECT max(seq) AS n FROM events'))[0]!.n);
      let found = 0;
      for (let to = 30; to < last + 30; to += 30) {
        const scope = await batchScope(store, to - 30, Math.min(to, last), { previousEnd: null, end: null, thresholdsNs: [] });
        const want = keys(await fresh.run(plan, scope));
        expect(keys(await kept.run(plan, scope)), `batch up to seq ${to}`).toEqual(want);
        found += want.length;
      }
      expect(found).toBeGreaterThan(5); // the sample's anomalies were in the batches
    } finally {
      fresh.close();
      kept.close();
      store.close();
    }
  }, 120_000);
});
