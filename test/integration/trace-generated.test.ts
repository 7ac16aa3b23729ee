import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent, type AnomalyRecord, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { EventSource } from '../../src/trace/source.js';
import { hopStats, type HopStat } from '../../src/trace/stats.js';
import { isoToNs } from '../../src/core/time.js';
import { refreshTraceIndex } from '../../src/trace/trace-index.js';
import { defaultSettings, traceReport } from '../../src/trace/trace.js';
import { tmpDir } from '../helpers.js';

/**
 * Saga views and hop statistics on a generated trading log in a real store, against the
 * generator's ground truth and a plain-JS reference computed from the generated events.
 */
let dir: string;
const ORDERS = 240;
let events: CanonicalTradingEvent[];
let truth: AnomalyRecord[];

const open = (name: string) => Store.open(path.join(dir, name), { readOnly: true });

beforeAll(async () => {
  dir = tmpDir('evtrail-trace-gen-');
  const log = generateTradingLog({ orders: ORDERS, seed: 99, anomalyRate: 0.5 });
  events = [...log];
  truth = [...log.truth];
  const file = path.join(dir, 'log.ndjson');
  fs.writeFileSync(file, events.map(serializeTradingEvent).join('\n') + '\n');
  for (const [name, index] of [['indexed.duckdb', true], ['plain.duckdb', false]] as const) {
    const store = await Store.open(path.join(dir, name), { create: true });
    try {
      await ingestFiles(store, { sources: [file] });
      if (index) await refreshTraceIndex(store);
    } finally {
      store.close();
    }
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TERMINAL: Record<string, string> = { SettlementCompleted: 'settled', OrderCancelled: 'cancelled', OrderRejected: 'rejected' };
/** Generator anomaly kind → the saga problem that must name the same event. */
const SAGA_PROBLEM: Record<string, string> = {
  'stuck-saga': 'stuck-saga',
  'missing-compensation': 'missing-compensation',
  'route-without-risk-check': 'missing-step',
  'fill-after-cancel': 'after-terminal',
};

describe('saga view of generated orders', () => {
  it('gives each order its outcome and names exactly the injected saga problems', async () => {
    const store = await open('indexed.duckdb');
    const states = new Map<string, number>();
    let compensated = 0;
    try {
      const source = await EventSource.open(store);
      for (let i = 1; i <= ORDERS; i++) {
        const orderId = `ord-${String(i).padStart(8, '0')}`;
        // The saga view is what this test checks; the audit's findings are trace-findings.test.ts's.
        const report = await traceReport(source, orderId, defaultSettings({ audit: false }));
        const saga = report.sagas[0]!;
        expect(saga.key).toBe(orderId);
        const mine = events.filter((e) => e.data.orderId === orderId);
        const injected = truth.filter((t) => t.orderId === orderId);
        // Outcome: the generator's terminal event, or stuck when it injected a stuck saga.
        const terminal = mine.find((e) => e.type in TERMINAL);
        const want = injected.some((t) => t.kind === 'stuck-saga') ? 'stuck' : TERMINAL[terminal!.type];
        expect(saga.state, orderId).toBe(want);
        states.set(saga.state, (states.get(saga.state) ?? 0) + 1);
        const wantProblems = injected.filter((t) => SAGA_PROBLEM[t.kind]).map((t) => `${SAGA_PROBLEM[t.kind]}:${t.eventId}`);
        expect(saga.problems.map((p) => `${p.kind}:${p.eventId}`), orderId).toEqual(wantProblems);
        // Compensation: done exactly when the generator released the reservation.
        const released = mine.some((e) => e.type === 'RiskReservationReleased');
        if (saga.compensation) expect(saga.compensation.done, orderId).toBe(released);
        if (released) compensated++;
      }
    } finally {
      store.close();
    }
    // Every outcome shows up in this log.
    expect([...states.keys()].sort()).toEqual(['cancelled', 'rejected', 'settled', 'stuck']);
    expect(compensated).toBeGreaterThan(0);
    for (const kind of Object.keys(SAGA_PROBLEM)) expect(truth.some((t) => t.kind === kind), kind).toBe(true);
  });
});

/** Nearest-rank percentile: the smallest value with at least q of the values at or below it. */
function nearestRank(sorted: bigint[], q: number): number {
  return Number(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!);
}

function referenceStats(): HopStat[] {
  const first = new Map<string, CanonicalTradingEvent>();
  for (const e of events) if (!first.has(e.id)) first.set(e.id, e);
  const hops = new Map<string, bigint[]>();
  for (const e of first.values()) {
    const cause = e.causation_id === null ? undefined : first.get(e.causation_id);
    if (!cause) continue;
    const key = `${cause.type}\u0000${e.type}`;
    const list = hops.get(key) ?? [];
    list.push(isoToNs(e.ts) - isoToNs(cause.ts));
    hops.set(key, list);
  }
  return [...hops].map(([key, list]) => {
    const [cause, effect] = key.split('\u0000') as [string, string];
    list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { cause, effect, count: list.length, timed: list.length, p50Ns: nearestRank(list, 0.5), p90Ns: nearestRank(list, 0.9), p99Ns: nearestRank(list, 0.99), maxNs: Number(list[list.length - 1]!) };
  });
}

describe('hop statistics', () => {
  for (const [db, indexed] of [['indexed.duckdb', true], ['plain.duckdb', false]] as const) {
    it(`equal a plain-JS reference (${indexed ? 'through the index' : 'joining events'})`, async () => {
      const store = await open(db);
      try {
        const stats = await hopStats(await EventSource.open(store));
        expect(stats.indexed).toBe(indexed);
        const key = (h: HopStat) => `${h.cause}>${h.effect}`;
        const byKey = (list: HopStat[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
        expect(byKey(stats.hops)).toEqual(byKey(referenceStats()));
        // Sorted by count, largest first.
        expect(stats.hops.map((h) => h.count)).toEqual([...stats.hops.map((h) => h.count)].sort((a, b) => b - a));
      } finally {
        store.close();
      }
    });
  }
});
