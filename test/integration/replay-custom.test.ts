import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { replayCustom, type CustomProjection } from '../../src/replay/custom.js';
import { replayEvents, type ReplayEvent } from '../../src/replay/events.js';
import { ordersSql } from '../../src/replay/projections/orders.js';
import { evolve as evolveOrder, initialState as initialOrder, replayOrders, toRow, type OrderState } from '../../src/replay/reference/orders.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * Events streamed to custom projections: every envelope field as the store holds it, in seq
 * order across batch boundaries, redeliveries out, odd values (a separator inside an id, NULLs,
 * no time) intact; and a projection folded through them.
 */
let dir: string;
let store: Store;

const odd = [
  { id: 'odd-1\u001eid', stream: 'odd', rev: 1, type: 'Ünïcode "type"', ts: '2025-08-26T09:30:00Z', data: { text: 'a\u001eb\u001fc', n: null }, meta: { m: 1 } },
  { id: 'odd-2', type: 'NoStream', ts: '2025-08-26T09:35:00Z', data: null },
  { id: 'odd-3', stream: 'odd', type: 'NoData', ts: '2025-08-26T09:30:00.000000001Z' },
  { id: 'odd-4', stream: 'odd', type: 'Array', ts: '2025-08-26T16:30:00.5Z', data: [1, { a: 'x' }], correlation_id: 'c', causation_id: 'odd-3', source: 's' },
];

async function expected(cut: string): Promise<ReplayEvent[]> {
  const rows = await store.all(`SELECT seq, id, stream, rev, type, schema_version, evt_iso(ts) AS ts, evt_iso(recorded_ts) AS recorded_ts,
      correlation_id, causation_id, source, data::VARCHAR AS data, meta::VARCHAR AS meta, dup_kind
    FROM events WHERE (${cut}) AND dup_kind IS DISTINCT FROM 'redelivery' ORDER BY seq`);
  return rows.map((r) => ({
    seq: Number(r.seq), id: String(r.id), stream: (r.stream as string | null) ?? null, rev: r.rev === null ? null : Number(r.rev),
    type: String(r.type), schema_version: Number(r.schema_version), ts: (r.ts as string | null) ?? null, recorded_ts: (r.recorded_ts as string | null) ?? null,
    correlation_id: (r.correlation_id as string | null) ?? null, causation_id: (r.causation_id as string | null) ?? null, source: (r.source as string | null) ?? null,
    data: r.data === null ? null : JSON.parse(String(r.data)), meta: r.meta === null ? null : JSON.parse(String(r.meta)),
    dup_kind: (r.dup_kind as 'conflict' | null) ?? null,
  }));
}

/** The events as a projection sees them, written as JSON (meta is read on demand). */
async function streamed(s: Store, cut: string, batch?: number): Promise<ReplayEvent[]> {
  const out: ReplayEvent[] = [];
  for await (const slice of replayEvents(s, cut, batch)) out.push(...slice);
  return JSON.parse(JSON.stringify(out)) as ReplayEvent[];
}

beforeAll(async () => {
  dir = tmpDir();
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 300, seed: 8, anomalyRate: 0.2 })) lines.push(serializeTradingEvent(e));
  fs.writeFileSync(path.join(dir, 'log.ndjson'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'odd.ndjson'), odd.map((e) => JSON.stringify(e)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'again.ndjson'), lines.filter((_, i) => i % 5 === 0).join('\n') + '\n');
  store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  await ingestFiles(store, { sources: ['log.ndjson', 'odd.ndjson', 'again.ndjson'].map((f) => path.join(dir, f)) });
  await store.run(MACROS_SQL);
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('events streamed from DuckDB', () => {
  it('are the store\'s events in seq order, every field, across batches, without redeliveries', async () => {
    const want = await expected('true');
    expect(want.length).toBeGreaterThan(3000);
    const [{ n }] = (await store.all(`SELECT count(*)::INTEGER AS n FROM events WHERE dup_kind = 'redelivery'`)) as [{ n: number }];
    expect(n).toBeGreaterThan(500);
    for (const batch of [97, 1000, 65_536]) expect(await streamed(store, 'true', batch)).toEqual(want);
    // The odd values came through: the separator inside an id and in data, NULLs, no time.
    const got = await streamed(store, 'true', 97);
    expect(got.find((e) => e.id === 'odd-1\u001eid')).toMatchObject({ type: 'Ünïcode "type"', data: { text: 'a\u001eb\u001fc', n: null }, meta: { m: 1 } });
    expect(got.find((e) => e.id === 'odd-2')).toMatchObject({ stream: null, ts: '2025-08-26T09:35:00.000000000Z', rev: null, data: null, meta: null });
    expect(got.filter((e) => e.dup_kind === 'conflict').length).toBeGreaterThan(0);
    // Read directly, every field is there (meta on demand); a spread copies all but meta.
    const live: ReplayEvent[] = [];
    for await (const slice of replayEvents(store, 'seq <= 5')) live.push(...slice);
    const plain = want.slice(0, 5);
    expect(live.map((e) => ({ ...e, meta: e.meta }))).toEqual(plain);
    expect(live.map((e) => Object.keys({ ...e }))[0]).toEqual(Object.keys(plain[0]!).filter((k) => k !== 'meta'));
  });

  it('stop at a time or a seq', async () => {
    expect(await streamed(store, `ts <= '2025-08-26 09:40:00'::TIMESTAMP_NS`, 500)).toEqual(await expected(`ts <= '2025-08-26 09:40:00'::TIMESTAMP_NS`));
    expect(await streamed(store, 'seq <= 1234', 500)).toEqual(await expected('seq <= 1234'));
    expect(await streamed(store, 'seq <= 0')).toEqual([]);
  });

  it('come in seq order even from a store whose rows are not stored in seq order', async () => {
    const other = await Store.open(path.join(dir, 'shuffled.duckdb'), { create: true });
    try {
      await other.run(`INSERT INTO events (seq, id, stream, type, schema_version, ts, data, source_id, source_pos)
        SELECT s, 'e' || s, 'st' || (s % 7), 'T', 1, TIMESTAMP_NS '2025-08-26 10:00:00' + INTERVAL (s) SECOND, json_object('n', s), 1, s
        FROM (SELECT unnest([5, 3, 9, 1, 2, 8, 4, 7, 6, 10]) AS s)`);
      // An event without a time (CloudEvents may have none): only a seq cut reaches it.
      await other.run(`INSERT INTO events (seq, id, type, schema_version, source_id, source_pos) VALUES (11, 'no-time', 'T', 1, 1, 11)`);
      await other.run(MACROS_SQL);
      const got = await streamed(other, 'true', 4);
      expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(got[10]).toMatchObject({ id: 'no-time', ts: null, recorded_ts: null, stream: null, data: null });
      expect((await streamed(other, `ts <= '2030-01-01'::TIMESTAMP_NS`, 4)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(got.slice(0, 10).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      other.close();
    }
  });
});

describe('a custom projection', () => {
  it('folded through the streamed events gives what the SQL orders projection gives', async () => {
    // The orders reference fold, as a user would write it: keyed by stream.
    const orders: CustomProjection = {
      name: 'orders-js',
      file: 'orders-js.mjs',
      initialState: initialOrder,
      evolve: (s, e) => evolveOrder(s as OrderState, e),
      keyOf: (e) => (e.stream?.startsWith('order-') ? e.stream : null),
    };
    for (const cut of ['true', `ts <= '2025-08-26 09:41:30'::TIMESTAMP_NS`, 'seq <= 2000']) {
      const rows = await replayCustom(store, orders, cut);
      const asOrders = rows.map((r) => toRow(String(r.key), r as unknown as OrderState));
      asOrders.sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
      const sql = (await store.all(ordersSql(cut))).filter((r) => String(r.orderId).startsWith('ord-'));
      expect(asOrders.map((r) => ({ ...r, avgPrice: r.avgPrice === null ? null : Math.round(r.avgPrice * 1e4) }))).toEqual(
        sql.map((r) => ({ ...r, avgPrice: r.avgPrice === null ? null : Math.round((r.avgPrice as number) * 1e4) })),
      );
      // And the same as the reference over the store's events.
      expect(asOrders.length).toBe(replayOrders(await expected(cut), { seq: Number.MAX_SAFE_INTEGER }).filter((r) => r.orderId.startsWith('ord-')).length);
    }
  });

  it('without keyOf gives its one state; with --key one entity', async () => {
    const count: CustomProjection = { name: 'count', file: 'count.mjs', initialState: () => ({ n: 0 }), evolve: (s, _e) => ({ n: (s as { n: number }).n + 1 }) };
    const [{ n }] = (await store.all(`SELECT count(*)::INTEGER AS n FROM events WHERE seq <= 777 AND dup_kind IS DISTINCT FROM 'redelivery'`)) as [{ n: number }];
    expect(await replayCustom(store, count, 'seq <= 777')).toEqual([{ n }]);
    const perType: CustomProjection = { name: 'types', file: 'types.mjs', initialState: () => 0, evolve: (s) => (s as number) + 1, keyOf: (e) => e.type };
    const rows = await replayCustom(store, perType, 'true', 'OrderPlaced');
    const [{ placed }] = (await store.all(`SELECT count(*)::INTEGER AS placed FROM events WHERE type = 'OrderPlaced' AND dup_kind IS DISTINCT FROM 'redelivery'`)) as [{ placed: number }];
    expect(rows).toEqual([{ key: 'OrderPlaced', state: placed }]);
  });

  it('that throws names the event and stops with a user error', async () => {
    const [target] = await store.all(`SELECT seq::INTEGER AS seq, id FROM events WHERE type = 'OrderFilled' ORDER BY seq LIMIT 1 OFFSET 3`);
    const boom: CustomProjection = {
      name: 'boom', file: path.join(dir, 'boom.mjs'), initialState: () => 0,
      evolve: (s, e) => {
        if (e.seq === target!.seq) throw new TypeError('cannot read fillQty');
        return s;
      },
    };
    const error = await replayCustom(store, boom, 'true').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`projection boom failed at event ${target!.id} (seq ${target!.seq}, OrderFilled): cannot read fillQty`);
    expect((error as UserError).exitCode).toBe(2);
    // The store is usable after it (the reader stopped cleanly, threads restored).
    expect((await store.all(`SELECT current_setting('threads')::INTEGER AS t`))[0]!.t).toBeGreaterThanOrEqual(1);
    expect((await streamed(store, 'seq <= 10')).length).toBe(10);
  });

  it('whose state cannot be JSON is refused with a hint', async () => {
    const big: CustomProjection = { name: 'big', file: 'big.mjs', initialState: () => ({ n: 0n }), evolve: (s) => s };
    await expect(replayCustom(store, big, 'seq <= 3')).rejects.toThrow(/cannot be written as JSON/);
  });
});
