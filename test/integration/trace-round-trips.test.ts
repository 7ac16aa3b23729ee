/**
 * A trace after another on a read-only store (the explorer, the benchmark) asks DuckDB only
 * for its own events: what cannot change while the store is open read-only (the trace index's
 * state, the log's end, the sources' time zones) is read once per store (Store.remember). A
 * writable store, which an ingest may change between two traces, reads them every time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { EventSource } from '../../src/trace/source.js';
import { defaultSettings, traceReport } from '../../src/trace/trace.js';
import { traceJson } from '../../src/trace/view.js';
import { refreshTraceIndex } from '../../src/trace/trace-index.js';
import { tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = tmpDir('evtrail-trace-trips-');
  const file = path.join(dir, 'log.ndjson');
  const events = [...generateTradingLog({ orders: 60, seed: 9, anomalyRate: 0.1 })];
  // An effect in another correlation (a hedge caused by order 30's fill): trace_xcauses lists it.
  const cause = events.find((e) => e.stream === 'order-ord-00000030' && e.type === 'OrderFilled') ?? events.find((e) => e.stream === 'order-ord-00000030')!;
  const hedge = JSON.stringify({ id: 'evt-cross-1', stream: 'hedge-1', rev: 1, type: 'HedgePlaced', schema_version: 1, ts: cause.ts, correlation_id: 'corr-hedge-1', causation_id: cause.id, source: 'hedger', data: { hedgeId: 'h-1' } });
  fs.writeFileSync(file, events.map(serializeTradingEvent).join('\n') + '\n' + hedge + '\n');
  db = path.join(dir, 'store.duckdb');
  const store = await Store.open(db, { create: true });
  try {
    await ingestFiles(store, { sources: [file] });
    await refreshTraceIndex(store);
  } finally {
    store.close();
  }
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The statements two traces (each on a fresh EventSource, as the benchmark does) send through the store. */
async function secondTraceStatements(readOnly: boolean): Promise<{ statements: string[]; first: unknown; second: unknown }> {
  const store = await Store.open(db, { readOnly });
  try {
    const statements: string[] = [];
    const all = store.all.bind(store);
    store.all = async (sql, params) => {
      statements.push(typeof sql === 'string' ? sql : sql.sql);
      return all(sql, params);
    };
    const settings = defaultSettings({ audit: false });
    const first = traceJson(await traceReport(await EventSource.open(store), 'ord-00000007', settings));
    statements.length = 0;
    const second = traceJson(await traceReport(await EventSource.open(store), 'ord-00000007', settings));
    return { statements, first, second };
  } finally {
    store.close();
  }
}

describe('trace round trips', () => {
  it('read-only: the second trace reads only its events, and answers the same', async () => {
    const { statements, first, second } = await secondTraceStatements(true);
    expect(second).toEqual(first);
    expect(statements.filter((s) => /evtrail_meta|FROM sources|max\(ts\)|seq > \d+$/.test(s.trim()))).toEqual([]);
    expect(statements.length).toBeGreaterThan(0);
  }, 120_000);

  it('read-only: an order\'s trace is three statements (its seqs, its events, its correlation with its stream\'s revisions)', async () => {
    // Before: five (the correlation, the effects outside it and the stream's revisions each
    // asked apart); trace_xcauses is now read once per store and the stream rides along.
    const { statements } = await secondTraceStatements(true);
    expect(statements).toHaveLength(3);
    expect(statements[2]).toMatch(/trace_corrs[\s\S]*prefetch:stream:[\s\S]*trace_streams/);
  }, 120_000);

  it('read-only (trace_xcauses in memory) and writable (asked in SQL) give the same traces, effects across correlations included', async () => {
    const traces = async (readOnly: boolean) => {
      const store = await Store.open(db, { readOnly });
      try {
        const out: ReturnType<typeof traceJson>[] = [];
        for (const id of ['ord-00000001', 'ord-00000007', 'ord-00000030', 'corr-00000030', 'evt-cross-1', 'hedge-1']) out.push(traceJson(await traceReport(await EventSource.open(store), id, defaultSettings({ audit: false }))));
        return out;
      } finally {
        store.close();
      }
    };
    const ro = await traces(true);
    const rw = await traces(false);
    expect(ro).toEqual(rw);
    expect(JSON.stringify(ro[2])).toContain('evt-cross-1');
    // One EventSource for every trace (as the explorer keeps one): the same answers again.
    const store = await Store.open(db, { readOnly: true });
    try {
      const source = await EventSource.open(store);
      const again: ReturnType<typeof traceJson>[] = [];
      for (const id of ['ord-00000001', 'ord-00000007', 'ord-00000030', 'corr-00000030', 'evt-cross-1', 'hedge-1']) again.push(traceJson(await traceReport(source, id, defaultSettings({ audit: false }))));
      expect(again).toEqual(ro);
    } finally {
      store.close();
    }
  }, 120_000);

  it('writable: the store-wide answers are read again each time', async () => {
    const { statements, first, second } = await secondTraceStatements(false);
    expect(second).toEqual(first);
    expect(statements.some((s) => s.includes('evtrail_meta'))).toBe(true);
    expect(statements.some((s) => s.includes('FROM sources'))).toBe(true);
    expect(statements.some((s) => s.includes('max(ts)'))).toBe(true);
  }, 120_000);
});
