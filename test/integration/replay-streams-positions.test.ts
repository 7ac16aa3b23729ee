import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/fixtures/trading-generator.js';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { positionsSql } from '../../src/replay/projections/positions.js';
import { streamsSql } from '../../src/replay/projections/streams.js';
import type { Cut, OrderEvent } from '../../src/replay/reference/orders.js';
import { replayPositions, type PositionRow } from '../../src/replay/reference/positions.js';
import { replayStreams, type StreamEvent } from '../../src/replay/reference/streams.js';
import { builtin } from '../../src/replay/builtins.js';
import { builtinDiff, builtinRows, keyRanges } from '../../src/replay/query.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * The SQL `streams` and `positions` projections against their plain JavaScript folds, on real
 * stores: a generated trading log (anomalies, redeliveries, conflicts), a log of accounts that
 * buy and sell the same symbols (so positions grow, shrink, go through zero), and a log of
 * documents patched with nulls, arrays and non-object data.
 */
let dir: string;
let store: Store;
let events: (StreamEvent & OrderEvent)[];

/** The generator's deterministic PRNG (mulberry32), as a function. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

function tradingLines(): string[] {
  const r = rng(5);
  const lines: string[] = [];
  let t = Date.parse('2025-08-26T11:00:00Z');
  const ts = () => new Date((t += 1 + Math.floor(r() * 400))).toISOString().replace('Z', '123456Z');
  for (let i = 0; i < 400; i++) {
    const orderId = `x-${i}`;
    const stream = `order-${orderId}`;
    const side = r() < 0.5 ? 'BUY' : 'SELL';
    const qty = 1 + Math.floor(r() * 200);
    let rev = 0;
    const add = (type: string, data: Record<string, unknown>) =>
      lines.push(JSON.stringify({ id: `${orderId}-${++rev}`, stream, rev, type, ts: ts(), data: { orderId, ...data } }));
    add('OrderPlaced', { accountId: `acc-${Math.floor(r() * 3)}`, symbol: ['IBM', 'MSFT'][Math.floor(r() * 2)], side, qty, limitPrice: 100 });
    let left = qty;
    while (left > 0 && r() < 0.9) {
      const q = Math.min(left, 1 + Math.floor(r() * qty));
      left -= q;
      add(left === 0 ? 'OrderFilled' : 'OrderPartiallyFilled', { fillQty: q, fillPrice: Math.round((90 + r() * 20) * 100) / 100 });
    }
  }
  return lines;
}

function documentLines(): string[] {
  const r = rng(9);
  const values = [null, 1, 'x', [1, 2], { a: 1 }, { a: null, b: { c: null, d: 2 } }, { e: [null] }];
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const data: Record<string, unknown> = {};
    for (const k of ['a', 'b', 'c']) if (r() < 0.6) data[k] = values[Math.floor(r() * values.length)];
    const whole = r();
    const line: Record<string, unknown> = { id: `doc-${i}`, stream: `doc-${Math.floor(r() * 12)}`, type: 'Patched', ts: `2025-08-26T12:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z` };
    // Mostly objects; sometimes an array, a scalar, JSON null or no data at all.
    if (whole < 0.05) line.data = [i];
    else if (whole < 0.08) line.data = i;
    else if (whole < 0.1) line.data = null;
    else if (whole >= 0.12) line.data = data;
    lines.push(JSON.stringify(line));
  }
  return lines;
}

beforeAll(async () => {
  dir = tmpDir();
  const gen: string[] = [];
  for (const e of generateTradingLog({ orders: 300, seed: 4, anomalyRate: 0.2 })) gen.push(serializeTradingEvent(e));
  const trading = tradingLines();
  const files = {
    'gen.ndjson': gen,
    'trading.ndjson': trading,
    'docs.ndjson': documentLines(),
    // Redeliveries and conflicts of the crossing trades.
    'again.ndjson': trading.flatMap((line, i) => {
      if (i % 7 === 3) return [line];
      if (i % 11 === 5) {
        const e = JSON.parse(line);
        if (typeof e.data.fillPrice === 'number') e.data.fillPrice += 1;
        else e.data.note = 'changed';
        return [JSON.stringify(e)];
      }
      return [];
    }),
  };
  for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  const summary = await ingestFiles(store, { sources: Object.keys(files).map((f) => path.join(dir, f)) });
  expect(summary.rejected).toBe(0);
  expect(summary.redelivered).toBeGreaterThan(20);
  expect(summary.conflicts).toBeGreaterThan(20);
  await store.run(MACROS_SQL);
  const rows = await store.all(`SELECT seq, stream, rev, type, evt_iso(ts) AS ts, data::VARCHAR AS data, dup_kind FROM events ORDER BY seq`);
  events = rows.map((r) => ({
    seq: Number(r.seq),
    stream: (r.stream as string | null) ?? null,
    rev: r.rev === null ? null : Number(r.rev),
    type: String(r.type),
    ts: (r.ts as string | null) ?? null,
    // SQL NULL: the event has no data.
    data: r.data === null ? undefined : JSON.parse(String(r.data)),
    dup_kind: (r.dup_kind as OrderEvent['dup_kind']) ?? null,
  }));
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cutsOf(): Cut[] {
  const n = events.length;
  const times = events.map((e) => e.ts).filter((t): t is string => t !== null).sort();
  return [
    { seq: 0 }, { seq: 1 }, { seq: n },
    ...[0.1, 0.3, 0.45, 0.6, 0.75, 0.9].map((q) => ({ seq: Math.floor(n * q) })),
    ...[0, 0.2, 0.4, 0.5, 0.55, 0.7, 0.8, 0.95].map((q) => ({ ts: times[Math.floor((times.length - 1) * q)]! })),
    { ts: '2025-08-26T11:30:00.000000000Z' },
    { ts: '2026-01-01T00:00:00.000000000Z' },
  ];
}

const cutSql = (cut: Cut) => ('seq' in cut ? `seq <= ${cut.seq}` : `ts <= '${cut.ts.replace('T', ' ').replace('Z', '')}'::TIMESTAMP_NS`);

describe('streams: SQL projection = JavaScript reference', () => {
  it('at many cuts', async () => {
    const cuts = cutsOf();
    expect(cuts.length).toBeGreaterThanOrEqual(19);
    let compared = 0;
    for (const cut of cuts) {
      const sql = (await store.all(streamsSql(cutSql(cut)))).map((r) => ({ ...r, state: JSON.parse(String(r.state)) }));
      const ref = replayStreams(events, cut);
      expect(sql, JSON.stringify(cut)).toEqual(ref);
      compared += ref.length;
    }
    expect(compared).toBeGreaterThan(1000);
    // The documents really went through nulls, arrays and scalars.
    const end = replayStreams(events, { seq: events.length }).filter((r) => r.stream.startsWith('doc-'));
    expect(end.length).toBe(12);
  });
});

describe('streams in parts (a large cut is folded key range by key range)', () => {
  it('gives the same rows and the same diff as one pass', async () => {
    const def = builtin('streams')!;
    const all = async (cut: string, perPart?: number) => {
      const set = await builtinRows(store, def, cut, undefined, perPart);
      const rows: unknown[][] = [];
      for await (const chunk of set.rows) rows.push(...chunk);
      return { columns: set.columns, rows };
    };
    const cut = `seq <= ${Math.floor(events.length * 0.8)}`;
    const ranges = await keyRanges(store, def, [cut], undefined, 500);
    expect(ranges.length).toBeGreaterThan(4);
    const whole = await all(cut);
    expect(await keyRanges(store, def, [cut], undefined)).toEqual(['true']);
    expect(await all(cut, 500)).toEqual(whole);
    expect(whole.rows.length).toBeGreaterThan(500);
    const from = `seq <= ${Math.floor(events.length * 0.3)}`;
    const one = await builtinDiff(store, def, from, cut);
    expect(one.length).toBeGreaterThan(100);
    expect(await builtinDiff(store, def, from, cut, undefined, 500)).toEqual(one);
  });
});

describe('positions: SQL projection = JavaScript reference', () => {
  it('at many cuts, through zero and back', async () => {
    let crossed = 0;
    for (const cut of cutsOf()) {
      const sql = (await store.all(positionsSql(cutSql(cut)))) as unknown as PositionRow[];
      const ref = replayPositions(events, cut);
      expect(sql.map((r) => [r.accountId, r.symbol, r.netQty, r.fills, r.conflicts, r.lastFillAt]), JSON.stringify(cut))
        .toEqual(ref.map((r) => [r.accountId, r.symbol, r.netQty, r.fills, r.conflicts, r.lastFillAt]));
      ref.forEach((r, i) => {
        const s = sql[i]!;
        const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)));
        expect(close(s.avgCost, r.avgCost), `${JSON.stringify(cut)} ${r.accountId} ${r.symbol} avgCost ${s.avgCost} vs ${r.avgCost}`).toBe(true);
        expect(close(s.realizedPnl, r.realizedPnl), `${JSON.stringify(cut)} ${r.accountId} ${r.symbol} pnl ${s.realizedPnl} vs ${r.realizedPnl}`).toBe(true);
        if (r.realizedPnl !== 0) crossed++;
      });
    }
    expect(crossed).toBeGreaterThan(20);
  });

  it('positions_at and streams_at are the same as the SQL for the cut', async () => {
    const t = events[Math.floor(events.length / 2)]!.ts!;
    expect(await store.all(`SELECT * FROM positions_at('${t}') ORDER BY accountId, symbol`)).toEqual(await store.all(positionsSql(cutSql({ ts: t }))));
    expect(await store.all(`SELECT * FROM streams_at_seq(1000) ORDER BY stream`)).toEqual(await store.all(streamsSql('seq <= 1000')));
  });
});
