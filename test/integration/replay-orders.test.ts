import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent, type AnomalyRecord } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { ordersSql } from '../../src/replay/projections/orders.js';
import { replayOrders, type Cut, type OrderEvent, type OrderRow } from '../../src/replay/reference/orders.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';
import { scenarioLog } from '../replay-scenarios.js';

/**
 * The SQL `orders` projection against the plain JavaScript fold, on real stores: a generated
 * trading log with every anomaly kind plus a second source that redelivers and contradicts
 * part of it, and the hand-written sagas; at many cuts in time and in seq.
 */
let dir: string;
let truth: readonly AnomalyRecord[];

async function openStore(name: string, files: string[]): Promise<Store> {
  const store = await Store.open(path.join(dir, name), { create: true });
  await ingestFiles(store, { sources: files });
  await store.run(MACROS_SQL);
  return store;
}

async function storeEvents(store: Store): Promise<(OrderEvent & { id: string })[]> {
  const rows = await store.all(`SELECT seq, id, stream, type, evt_iso(ts) AS ts, data::VARCHAR AS data, dup_kind FROM events ORDER BY seq`);
  return rows.map((r) => ({
    seq: Number(r.seq),
    id: String(r.id),
    stream: (r.stream as string | null) ?? null,
    type: String(r.type),
    ts: (r.ts as string | null) ?? null,
    data: r.data === null ? null : JSON.parse(String(r.data)),
    dup_kind: (r.dup_kind as OrderEvent['dup_kind']) ?? null,
  }));
}

function cutSql(cut: Cut): string {
  return 'seq' in cut ? `seq <= ${cut.seq}` : `ts <= '${cut.ts.replace('T', ' ').replace('Z', '')}'::TIMESTAMP_NS`;
}

/** Rows equal field by field; the average price within a millionth (the reference adds floats). */
function expectSameRows(actual: OrderRow[], expected: OrderRow[], label: string): void {
  expect(actual.map((r) => r.orderId), label).toEqual(expected.map((r) => r.orderId));
  for (let i = 0; i < expected.length; i++) {
    const { avgPrice: a, ...restA } = actual[i]!;
    const { avgPrice: b, ...restB } = expected[i]!;
    expect(restA, `${label} ${expected[i]!.orderId}`).toEqual(restB);
    if (b === null) expect(a, `${label} ${expected[i]!.orderId} avgPrice`).toBeNull();
    else expect(Math.abs((a as number) - b), `${label} ${expected[i]!.orderId} avgPrice ${a} vs ${b}`).toBeLessThanOrEqual(1.5e-6);
  }
}

/** Cuts spread over the log: seq quantiles and edges, event times exactly, between events, outside. */
function cuts(events: OrderEvent[], extraTimes: string[] = []): Cut[] {
  const n = events.length;
  const out: Cut[] = [{ seq: 0 }, { seq: 1 }, { seq: n }];
  for (const q of [0.13, 0.37, 0.5, 0.71, 0.94]) out.push({ seq: Math.floor(n * q) });
  const times = events.map((e) => e.ts).filter((t): t is string => t !== null).sort();
  out.push({ ts: '2025-08-26T00:00:00.000000000Z' }, { ts: times[0]! }, { ts: times.at(-1)! }, { ts: '2030-01-01T00:00:00.000000000Z' });
  for (const q of [0.05, 0.25, 0.5, 0.6, 0.85]) out.push({ ts: times[Math.floor(times.length * q)]! });
  // One nanosecond before an event time: that event is out, the one before it in.
  const t = times[Math.floor(times.length * 0.42)]!;
  out.push({ ts: t.replace(/(\d{9})Z$/, (_, d: string) => `${String(Number(d) - 1).padStart(9, '0')}Z`) });
  for (const x of extraTimes) out.push({ ts: x });
  return out;
}

beforeAll(() => {
  dir = tmpDir();
  const log = generateTradingLog({ orders: 500, seed: 23, anomalyRate: 0.2 });
  const lines: string[] = [];
  for (const e of log) lines.push(serializeTradingEvent(e));
  truth = [...log.truth];
  fs.writeFileSync(path.join(dir, 'log.ndjson'), lines.join('\n') + '\n');
  // A second source: every 9th line again as it was (redeliveries), every 13th with other data
  // (conflicts: another venue, another fill price, another reason).
  const again: string[] = [];
  lines.forEach((line, i) => {
    if (i % 9 === 4) again.push(line);
    if (i % 13 === 6) {
      const e = JSON.parse(line);
      e.data = { ...e.data, venue: 'ZZZZ', fillPrice: typeof e.data.fillPrice === 'number' ? e.data.fillPrice + 0.01 : undefined, reason: 'OTHER' };
      again.push(JSON.stringify(e));
    }
  });
  fs.writeFileSync(path.join(dir, 'again.ndjson'), again.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'scenarios.ndjson'), scenarioLog().lines.join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('orders: SQL projection = JavaScript reference', () => {
  it('on a generated log with every anomaly kind, redelivered and contradicted, at many cuts', async () => {
    const store = await openStore('gen.duckdb', [path.join(dir, 'log.ndjson'), path.join(dir, 'again.ndjson')]);
    try {
      const events = await storeEvents(store);
      const dups = await store.all(`SELECT dup_kind, count(*)::INTEGER AS n FROM events WHERE dup_kind IS NOT NULL GROUP BY ALL ORDER BY 1`);
      expect(dups.map((d) => d.dup_kind)).toEqual(['conflict', 'redelivery']);
      const skewed = truth.filter((t) => t.kind === 'clock-skew').map((t) => events.find((e) => e.id === t.eventId)?.ts).filter((x): x is string => !!x);
      expect(skewed.length).toBeGreaterThan(0);
      const all = cuts(events, skewed);
      expect(all.length).toBeGreaterThanOrEqual(20);
      for (const cut of all) {
        const sql = (await store.all(ordersSql(cutSql(cut)))) as unknown as OrderRow[];
        expectSameRows(sql, replayOrders(events, cut), JSON.stringify(cut));
      }
    } finally {
      store.close();
    }
  });

  it('on the hand-written sagas, after every event', async () => {
    const store = await openStore('scenarios.duckdb', [path.join(dir, 'scenarios.ndjson')]);
    try {
      const events = await storeEvents(store);
      // The store marks the repeats as the scenarios say.
      expect(events.map((e) => e.dup_kind)).toEqual(scenarioLog().events.map((e) => e.dup_kind));
      for (let seq = 0; seq <= events.length; seq++) {
        const sql = (await store.all(ordersSql(`seq <= ${seq}`))) as unknown as OrderRow[];
        expectSameRows(sql, replayOrders(events, { seq }), `seq ${seq}`);
      }
    } finally {
      store.close();
    }
  });

  it('agrees with what the generator injected', async () => {
    const store = await openStore('truth.duckdb', [path.join(dir, 'log.ndjson')]);
    try {
      const rows = (await store.all(`SELECT * FROM orders_at_seq(1000000000)`)) as unknown as OrderRow[];
      const byId = new Map(rows.map((r) => [r.orderId, r]));
      expect(rows).toHaveLength(500);
      const kindOf = new Map(truth.map((t) => [t.orderId, t.kind]));
      for (const t of truth) {
        const row = byId.get(t.orderId)!;
        if (t.kind === 'conflict') expect(row.conflicts, t.orderId).toBe(1);
        else expect(row.conflicts, t.orderId).toBe(0);
        if (t.kind === 'overfill') {
          const [, cum, qty] = /cumQty (\d+) exceeds qty (\d+)/.exec(t.detail)!;
          expect([row.cumQty, row.qty, row.leavesQty], t.orderId).toEqual([Number(cum), Number(qty), 0]);
        }
        if (t.kind === 'fill-after-cancel') expect(row.status, t.orderId).toBe('CANCELLED');
        if (t.kind === 'stuck-saga') expect(['SETTLED', 'CANCELLED', 'REJECTED'], t.orderId).not.toContain(row.status);
        if (t.kind === 'missing-compensation') expect(row.status).toBe('REJECTED');
      }
      // Clean orders end in a terminal state with every unit filled or nothing left open.
      for (const row of rows) {
        if (kindOf.has(row.orderId)) continue;
        expect(['SETTLED', 'CANCELLED', 'REJECTED'], row.orderId).toContain(row.status);
        if (row.status === 'SETTLED') expect(row.cumQty, row.orderId).toBe(row.qty);
        expect(row.leavesQty, row.orderId).toBe(0);
        if (row.status === 'SETTLED') {
          expect(row.side === 'BUY' ? row.avgPrice! <= row.limitPrice! + 1e-9 : row.avgPrice! >= row.limitPrice! - 1e-9, row.orderId).toBe(true);
        }
      }
      // The duplicate anomaly is one redelivery: it does not count twice.
      const dup = truth.find((t) => t.kind === 'duplicate')!;
      const placedEvents = await store.all(`SELECT count(DISTINCT id)::INTEGER AS n FROM events WHERE stream = '${dup.stream}'`);
      expect(byId.get(dup.orderId)!.events).toBe(placedEvents[0]!.n);
      // orders_at(t) is the same as the SQL with the cut.
      const mid = (await store.all(`SELECT evt_iso(min(ts) + (max(ts) - min(ts)) / 2) AS t FROM events`))[0]!.t as string;
      const viaMacro = await store.all(`SELECT * FROM orders_at('${mid}') ORDER BY ALL`);
      expect(viaMacro).toEqual(await store.all(ordersSql(cutSql({ ts: mid }))));
      expect(viaMacro.length).toBeGreaterThan(100);
      expect(viaMacro.length).toBeLessThan(500);
      // A time that is none stops the query (an empty result would hide the typo).
      await expect(store.all(`SELECT * FROM orders_at('2025-08-26 10:0O')`)).rejects.toThrow(/not a time: 2025-08-26 10:0O/);
      expect(await store.all(`SELECT * FROM orders_at(TIMESTAMP '2025-08-26 09:31:00') ORDER BY ALL`)).toEqual(await store.all(ordersSql(cutSql({ ts: '2025-08-26T09:31:00.000000000Z' }))));
    } finally {
      store.close();
    }
  });
});
