/**
 * The schema engine on generated trading logs (OrderPlaced v1 and v2, injected anomalies),
 * in process on a real DuckDB store: `check` against the trading pack's schemas finds exactly
 * the injected schema-violation anomalies (recall and precision 100%, at the event the truth
 * names), and the audit's schema-violation rule finds the same events; infer → check round
 * trips (the log passes the schemas inferred from it; an event appended afterwards with a
 * wrong type does not); --against-log and the timeline's SQL against counts made in JS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/audit/catalog.js';
import { planAudit } from '../../src/audit/plan.js';
import { runPlannedAudit } from '../../src/audit/run.js';
import { generateTradingLog, serializeTradingEvent, type AnomalyRecord, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { resolveRegistry, versionCounts } from '../../src/schema/run-check.js';
import { inferSchemas } from '../../src/schema/run-infer.js';
import { LAGGING_SQL, VERSIONS_SQL } from '../../src/schema/timeline.js';
import { validateEvents, type Target } from '../../src/schema/validate.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

let dir: string;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  dir = tmpDir('evtrail-schema-gen-');
});

interface Generated {
  store: Store;
  truth: AnomalyRecord[];
  events: CanonicalTradingEvent[];
  file: string;
}

async function generated(seed: number, orders: number, rate: number): Promise<Generated> {
  const log = generateTradingLog({ orders, seed, anomalyRate: rate });
  const events = [...log] as CanonicalTradingEvent[];
  const file = path.join(dir, `gen-${seed}.ndjson`);
  fs.writeFileSync(file, events.map((e) => serializeTradingEvent(e)).join('\n') + '\n');
  const store = await Store.open(path.join(dir, `gen-${seed}.duckdb`), { create: true });
  const ingest = await ingestFiles(store, { sources: [file] });
  expect(ingest.rejected).toBe(0);
  return { store, truth: [...log.truth], events, file };
}

async function packTargets(store: Store): Promise<Target[]> {
  const counts = await versionCounts(store);
  const reg = await resolveRegistry(undefined, counts);
  expect(reg.packs).toEqual(['trading']);
  return counts.flatMap((c) => {
    const e = reg.registry.get(c.type)?.find((x) => x.version === c.version);
    return e ? [{ type: c.type, version: c.version, file: e.file, schema: e.schema }] : [];
  });
}

describe('schema check on generated logs', () => {
  for (const seed of [3, 29, 271]) {
    it(`seed ${seed}: finds every injected schema violation and nothing else; the audit rule agrees`, async () => {
      const g = await generated(seed, 600, 0.2);
      try {
        const expected = g.truth.filter((t) => t.kind === 'schema-violation').map((t) => t.eventId).sort();
        expect(expected.length).toBeGreaterThan(3);
        // Both versions of OrderPlaced carry some of them.
        const versionOf = new Map(g.events.map((e) => [e.id, e.schema_version]));
        expect(new Set(expected.map((id) => versionOf.get(id)))).toEqual(new Set([1, 2]));

        const result = await validateEvents(g.store, await packTargets(g.store));
        const found = [...new Set(result.violations.map((v) => v.eventId))].sort();
        expect(found).toEqual(expected);
        expect(result.violatingEvents).toBe(expected.length);
        for (const v of result.violations) {
          expect(v.type).toBe('OrderPlaced');
          expect(v.path).toMatch(/^\/(qty|side|accountId|symbol|limitPrice)$/);
          expect(v.seq).toBeGreaterThan(0);
        }
        // The fast path passed every other event: Ajv judged only the violations.
        expect(result.suspects).toBe(expected.length);
        expect(result.targets.find((t) => t.type === 'OrderPlaced' && t.version === 2)!.events).toBe(g.events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 2).length);

        const catalog = loadCatalog();
        const audit = await runPlannedAudit(g.store, catalog, planAudit(catalog, { only: ['schema-violation'], limit: 0 }));
        const auditIds = [...new Set(audit.violations.map((v) => v.eventId))].sort();
        expect(auditIds).toEqual(found);
      } finally {
        g.store.close();
      }
    });
  }

  it('with no fast path (every event judged by Ajv) the findings are the same', async () => {
    const g = await generated(5, 300, 0.3);
    try {
      const targets = await packTargets(g.store);
      const fast = await validateEvents(g.store, targets);
      // A nested schema is outside the SQL subset: every event of the type goes to Ajv.
      const slow = await validateEvents(g.store, targets.map((t) => ({ ...t, schema: { allOf: [t.schema] } })));
      expect(slow.targets.every((t) => t.prefilter === 'none')).toBe(true);
      expect(slow.suspects).toBe(g.events.filter((e) => targets.some((t) => t.type === e.type)).length);
      expect(slow.violations.map((v) => [v.eventId, v.path])).toEqual(fast.violations.map((v) => [v.eventId, v.path]));
      expect(fast.violatingEvents).toBe(g.truth.filter((t) => t.kind === 'schema-violation').length);
    } finally {
      g.store.close();
    }
  });
});

describe('infer → check round trip', () => {
  it('a log passes the schemas inferred from it; an event appended with a wrong type does not', async () => {
    const g = await generated(11, 500, 0.1);
    try {
      const inferred = await inferSchemas(g.store);
      const keys = inferred.map((s) => `${s.type} v${s.version}`);
      expect(keys).toContain('OrderPlaced v1');
      expect(keys).toContain('OrderPlaced v2');
      const placed2 = inferred.find((s) => s.type === 'OrderPlaced' && s.version === 2)!.schema as any;
      // timeInForce is optional in v2 (the generator sets it on 75% of orders), with its three values.
      expect(placed2.required).not.toContain('timeInForce');
      expect(placed2.properties.timeInForce).toEqual({ type: 'string', enum: ['DAY', 'GTC', 'IOC'] });
      const n2 = g.events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 2);
      expect(placed2['x-evtrail-inferred'].presence.timeInForce.count).toBe(n2.filter((e) => 'timeInForce' in e.data).length);
      expect(placed2.properties.orderId).toEqual({ type: 'string' });
      const filled = inferred.find((s) => s.type === 'OrderFilled')!.schema as any;
      expect(filled.properties.fillQty).toEqual({ type: 'integer' });
      expect(filled.required).toEqual(['orderId', 'fillQty', 'fillPrice', 'cumQty', 'leavesQty', 'tradeId']);

      const targets: Target[] = inferred.map((s) => ({ type: s.type, version: s.version, file: `${s.type}.v${s.version}.json`, schema: s.schema as any }));
      const clean = await validateEvents(g.store, targets);
      expect(clean.violatingEvents).toBe(0);
      expect(clean.targets.reduce((a, t) => a + t.events, 0)).toBe(g.events.length);

      // Appended afterwards: a fill whose fillQty is text.
      const fill = g.events.find((e) => e.type === 'OrderFilled')!;
      const extra = { ...fill, id: 'evt-appended-1', rev: 999, data: { ...fill.data, fillQty: 'ten' } };
      fs.appendFileSync(g.file, serializeTradingEvent(extra) + '\n');
      await ingestFiles(g.store, { sources: [g.file] });
      const after = await validateEvents(g.store, targets);
      expect(after.violatingEvents).toBe(1);
      expect(after.violations).toEqual([expect.objectContaining({ eventId: 'evt-appended-1', type: 'OrderFilled', version: 1, path: '/fillQty' })]);
    } finally {
      g.store.close();
    }
  });
});

describe('--against-log and the timeline on a generated log', () => {
  it('a v3 that requires timeInForce rejects every v1 event and the v2 events without it', async () => {
    const g = await generated(17, 400, 0.1);
    try {
      const reg = await resolveRegistry(undefined, await versionCounts(g.store));
      const v2 = reg.registry.get('OrderPlaced')!.find((e) => e.version === 2)!.schema as any;
      const v3 = { ...v2, required: [...v2.required, 'timeInForce'] };
      const result = await validateEvents(g.store, [{ type: 'OrderPlaced', version: null, file: 'OrderPlaced.v3.json', schema: v3 }]);
      const placed = g.events.filter((e) => e.type === 'OrderPlaced');
      const badIds = new Set(g.truth.filter((t) => t.kind === 'schema-violation').map((t) => t.eventId));
      const expected = placed.filter((e) => e.schema_version === 1 || !('timeInForce' in e.data) || badIds.has(e.id));
      expect(result.violatingEvents).toBe(expected.length);
      expect(result.targets[0]!.versions).toEqual([
        { version: 1, events: placed.filter((e) => e.schema_version === 1).length, violating: expected.filter((e) => e.schema_version === 1).length },
        { version: 2, events: placed.filter((e) => e.schema_version === 2).length, violating: expected.filter((e) => e.schema_version === 2).length },
      ]);
      expect(result.violations.filter((v) => v.path === '/timeInForce').length).toBe(placed.filter((e) => !('timeInForce' in e.data)).length);
    } finally {
      g.store.close();
    }
  });

  it('versions with counts and first/last times; a producer still on v1 after v2 appeared is flagged', async () => {
    const g = await generated(23, 300, 0);
    try {
      // A legacy producer (source "oms-legacy") places one more v1 order after the first v2.
      const firstV2 = g.events.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 2).sort((a, b) => a.ts.localeCompare(b.ts))[0]!;
      const v1 = g.events.find((e) => e.type === 'OrderPlaced' && e.schema_version === 1)!;
      const late = { ...v1, id: 'evt-legacy-1', stream: 'order-legacy-1', rev: 1, source: 'oms-legacy', ts: firstV2.ts.replace(/\d{3}Z$/, '999Z'), causation_id: null };
      fs.appendFileSync(g.file, serializeTradingEvent(late as CanonicalTradingEvent) + '\n');
      await ingestFiles(g.store, { sources: [g.file] });

      const versions = await g.store.all(VERSIONS_SQL);
      const placed = versions.filter((r) => r.type === 'OrderPlaced');
      expect(placed.map((r) => Number(r.schema_version))).toEqual([1, 2]);
      const all = [...g.events, late as CanonicalTradingEvent];
      expect(placed.map((r) => Number(r.events))).toEqual([1, 2].map((v) => all.filter((e) => e.type === 'OrderPlaced' && e.schema_version === v).length));

      const lagging = await g.store.all(LAGGING_SQL);
      expect(lagging).toEqual([expect.objectContaining({ type: 'OrderPlaced', schema_version: 1, producer: 'oms-legacy', producer_from: 'source', newer_version: 2, events_after: '1' })]);
    } finally {
      g.store.close();
    }
  });
});
