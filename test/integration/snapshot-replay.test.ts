import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { atCondition, formatIsoNs, parseIsoNs, type At } from '../../src/core/time.js';
import { builtin } from '../../src/replay/builtins.js';
import { replayCustom, type CustomProjection } from '../../src/replay/custom.js';
import { replayOrders, type OrderEvent } from '../../src/replay/reference/orders.js';
import { builtinFromSnapshotSql, customStateOf, findSnapshot, makeSnapshots, type AnyProjection } from '../../src/replay/snapshots.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';
import { scenarioLog } from '../replay-scenarios.js';

/**
 * Snapshots: a replay that starts from a snapshot and folds the events after it gives exactly
 * the rows of a replay from the first event, at many cuts in seq and in time, on a generated
 * log with every anomaly kind plus redeliveries and conflicts; for the SQL built-ins and for a
 * custom module. And a snapshot is used only where it may be.
 */
let dir: string;
let store: Store;
let n: number;
let times: string[];
const EVERY = 700;

const fillsModule = `export default { name: 'fills', initialState: () => ({ fills: 0, qty: 0, types: [] }),
  evolve(s, e) { if (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled') { s.fills++; s.qty += e.data.fillQty ?? 0; }
    s.types.push(e.type); s.last = e.seq; return s; },
  keyOf: (e) => e.stream };\n`;
const countModule = `export const name = 'count';\nexport const initialState = () => ({ events: 0, conflicts: 0 });
export function evolve(s, e) { return { events: s.events + 1, conflicts: s.conflicts + (e.dup_kind === 'conflict' ? 1 : 0), lastId: e.id }; }\n`;

beforeAll(async () => {
  dir = tmpDir();
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 400, seed: 31, anomalyRate: 0.25 })) lines.push(serializeTradingEvent(e));
  const again: string[] = [];
  lines.forEach((line, i) => {
    if (i % 11 === 3) again.push(line);
    if (i % 17 === 5) {
      const e = JSON.parse(line);
      e.data = { ...e.data, venue: 'ZZZZ', fillPrice: typeof e.data.fillPrice === 'number' ? e.data.fillPrice + 0.01 : undefined };
      // A contradicting OrderPlaced changes the order's details from there on.
      if (e.type === 'OrderPlaced') e.data = { ...e.data, qty: e.data.qty + 1, accountId: 'acc-other' };
      again.push(JSON.stringify(e));
    }
  });
  fs.writeFileSync(path.join(dir, 'log.ndjson'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'again.ndjson'), again.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'fills.mjs'), fillsModule);
  fs.writeFileSync(path.join(dir, 'count.mjs'), countModule);
  store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  await ingestFiles(store, { sources: [path.join(dir, 'log.ndjson'), path.join(dir, 'again.ndjson')] });
  await store.run(MACROS_SQL);
  n = Number((await store.all(`SELECT max(seq)::INTEGER AS n FROM events`))[0]!.n);
  times = (await store.all(`SELECT evt_iso(ts) AS t FROM events WHERE ts IS NOT NULL ORDER BY ts`)).map((r) => String(r.t));
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function seqAt(seq: number): At {
  return { kind: 'seq', seq: BigInt(seq), input: `seq:${seq}` };
}
function timeAt(iso: string): At {
  const ns = parseIsoNs(iso)!;
  return { kind: 'time', ns, iso: formatIsoNs(ns), input: iso };
}

/** Cuts all over the log: seqs on, just before and just after checkpoints, quantiles; times too. */
function cuts(): At[] {
  const out: At[] = [];
  for (let s = 0; s <= n; s += Math.floor(EVERY / 3)) out.push(seqAt(s));
  for (const k of [1, 2, 3, 4]) out.push(seqAt(k * EVERY - 1), seqAt(k * EVERY), seqAt(k * EVERY + 1));
  out.push(seqAt(n));
  for (const q of [0.02, 0.1, 0.2, 0.33, 0.5, 0.61, 0.75, 0.9, 0.99, 1]) out.push(timeAt(times[Math.min(times.length - 1, Math.floor(times.length * q))]!));
  out.push(timeAt('2030-01-01T00:00:00Z'), timeAt('2000-01-01T00:00:00Z'));
  return out;
}

describe('snapshots: replay from a snapshot = replay from the first event', () => {
  for (const name of ['orders', 'streams', 'positions'] as const) {
    it(`${name}, at many cuts in seq and time`, async () => {
      const def = builtin(name)!;
      const p: AnyProjection = { kind: 'builtin', def };
      const made = await makeSnapshots(store, p, BigInt(EVERY));
      expect(made.map((m) => Number(m.seq))).toEqual(Array.from({ length: Math.floor(n / EVERY) }, (_, i) => (i + 1) * EVERY));
      let used = 0;
      let usedTime = 0;
      for (const at of cuts()) {
        const cut = atCondition(at);
        const snap = await findSnapshot(store, p, at, () => undefined);
        const full = await store.all(def.sql(cut));
        // positions may have to pass a snapshot over (an order placed again after it, see positions.ts).
        if (at.kind === 'seq' && at.seq >= BigInt(EVERY) && name !== 'positions') expect(snap, at.input).not.toBeNull();
        if (!snap) continue;
        used++;
        if (at.kind === 'time') usedTime++;
        if (at.kind === 'seq' && name !== 'positions') expect(snap.seq, at.input).toBe((at.seq / BigInt(EVERY)) * BigInt(EVERY));
        const fromSnap = await store.all(builtinFromSnapshotSql(def, snap, cut));
        expect(fromSnap, `${name} ${at.input} from seq ${snap.seq}`).toEqual(full);
      }
      expect(used).toBeGreaterThan(10);
      // positions: at these times the contradicting copies (ingested last, with old times) place orders again.
      if (name !== 'positions') expect(usedTime).toBeGreaterThan(2);
    });
  }

  it('orders from a snapshot agree with the JavaScript reference too', async () => {
    const def = builtin('orders')!;
    const p: AnyProjection = { kind: 'builtin', def };
    await makeSnapshots(store, p, BigInt(EVERY));
    const events = (await store.all(`SELECT seq, stream, type, evt_iso(ts) AS ts, data::VARCHAR AS data, dup_kind FROM events ORDER BY seq`)).map(
      (r) => ({ seq: Number(r.seq), stream: (r.stream as string | null) ?? null, type: String(r.type), ts: (r.ts as string | null) ?? null,
        data: r.data === null ? null : JSON.parse(String(r.data)), dup_kind: (r.dup_kind as OrderEvent['dup_kind']) ?? null }) as OrderEvent,
    );
    for (const seq of [EVERY + 5, 3 * EVERY + 77, n]) {
      const at = seqAt(seq);
      const snap = (await findSnapshot(store, p, at, () => undefined))!;
      const rows = (await store.all(builtinFromSnapshotSql(def, snap, atCondition(at)))) as Record<string, unknown>[];
      const ref = replayOrders(events, { seq }) as unknown as Record<string, unknown>[];
      expect(rows.map((r) => [r.orderId, r.status, r.cumQty, r.leavesQty, r.venue, r.events, r.conflicts])).toEqual(
        ref.map((r) => [r.orderId, r.status, r.cumQty, r.leavesQty, r.venue, r.events, r.conflicts]),
      );
    }
  });

  it('--key narrows a snapshot replay to one order', async () => {
    const def = builtin('orders')!;
    const p: AnyProjection = { kind: 'builtin', def };
    await makeSnapshots(store, p, BigInt(EVERY));
    const at = seqAt(2 * EVERY + 300);
    const snap = (await findSnapshot(store, p, at, () => undefined))!;
    const all = await store.all(def.sql(atCondition(at)));
    const some = all.filter((_, i) => i % 37 === 0);
    expect(some.length).toBeGreaterThan(3);
    for (const row of some) {
      const one = await store.all(builtinFromSnapshotSql(def, snap, atCondition(at), def.keyEvents!(String(row.orderId))));
      expect(one).toEqual([row]);
    }
  });

  for (const file of ['fills.mjs', 'count.mjs']) {
    it(`a custom module (${file}), keyed or not`, async () => {
      const { loadCustomProjection } = await import('../../src/replay/custom.js');
      const def: CustomProjection = await loadCustomProjection(path.join(dir, file));
      const p: AnyProjection = { kind: 'custom', def };
      const made = await makeSnapshots(store, p, BigInt(EVERY));
      expect(made.length).toBe(Math.floor(n / EVERY));
      let used = 0;
      for (const at of cuts()) {
        const cut = atCondition(at);
        const snap = await findSnapshot(store, p, at, () => undefined);
        if (!snap) continue;
        used++;
        const full = await replayCustom(store, def, cut);
        const fromSnap = await replayCustom(store, def, `seq > ${snap.seq} AND (${cut})`, undefined, await customStateOf(store, snap));
        expect(fromSnap, `${file} ${at.input}`).toEqual(full);
      }
      expect(used).toBeGreaterThan(10);
    });
  }
});

describe('snapshots on the hand-written sagas (every transition, compensation, repeats)', () => {
  it('orders, streams and positions from a snapshot every 3 events, after every event', async () => {
    const s = await Store.open(path.join(dir, 'sagas.duckdb'), { create: true });
    try {
      fs.writeFileSync(path.join(dir, 'sagas.ndjson'), scenarioLog().lines.join('\n') + '\n');
      await ingestFiles(s, { sources: [path.join(dir, 'sagas.ndjson')] });
      await s.run(MACROS_SQL);
      const last = Number((await s.all(`SELECT max(seq)::INTEGER AS n FROM events`))[0]!.n);
      expect(last).toBeGreaterThan(20);
      for (const name of ['orders', 'streams', 'positions'] as const) {
        const def = builtin(name)!;
        const p: AnyProjection = { kind: 'builtin', def };
        for (const every of [3]) {
          await makeSnapshots(s, p, BigInt(every));
          for (let seq = every; seq <= last; seq++) {
            const at = seqAt(seq);
            const snap = (await findSnapshot(s, p, at, () => undefined))!;
            expect(Number(snap.seq)).toBe(seq - (seq % every));
            expect(await s.all(builtinFromSnapshotSql(def, snap, atCondition(at))), `${name} every ${every} seq ${seq}`).toEqual(await s.all(def.sql(atCondition(at))));
          }
        }
      }
    } finally {
      s.close();
    }
  });
});

describe('snapshots: which one serves', () => {
  it('positions: not one after which an order with fills is placed again (its fills would move)', async () => {
    const def = builtin('positions')!;
    const p: AnyProjection = { kind: 'builtin', def };
    await makeSnapshots(store, p, BigInt(EVERY));
    const notes: string[] = [];
    const at = seqAt(n);
    const snap = await findSnapshot(store, p, at, (t) => notes.push(t));
    expect(notes.some((t) => /cannot serve: \d+ order\(s\) with fills before it are placed again/.test(t))).toBe(true);
    const full = await store.all(def.sql(atCondition(at)));
    if (snap) expect(await store.all(builtinFromSnapshotSql(def, snap, atCondition(at)))).toEqual(full);
    // The latest snapshot, passed over, would have given other rows.
    const [latest] = await store.all(`SELECT snapshot_id::INTEGER AS id, seq::VARCHAR AS seq FROM snapshots WHERE projection = 'positions' ORDER BY seq DESC LIMIT 1`);
    const wrong = await store.all(builtinFromSnapshotSql(def, { id: Number(latest!.id), seq: BigInt(String(latest!.seq)), codeHash: '' }, atCondition(at)));
    expect(wrong).not.toEqual(full);
  });

  it('none for a time before its last event time; the stale one is skipped with a note', async () => {
    const def = builtin('orders')!;
    const p: AnyProjection = { kind: 'builtin', def };
    await makeSnapshots(store, p, BigInt(EVERY));
    const [first] = await store.all(`SELECT evt_iso(max(ts)) AS t FROM events WHERE seq <= ${EVERY}`);
    const maxTs = String(first!.t);
    // One nanosecond before the first snapshot's latest event: it holds an event after the cut.
    const before = formatIsoNs(parseIsoNs(maxTs)! - 1n);
    expect(await findSnapshot(store, p, timeAt(before), () => undefined)).toBeNull();
    expect((await findSnapshot(store, p, timeAt(maxTs), () => undefined))?.seq).toBe(BigInt(EVERY));
    // Another code hash: skipped, noted, and the earlier valid one serves.
    await store.run(`UPDATE snapshots SET code_hash = 'old' WHERE projection = 'orders' AND seq = ${2 * EVERY}`);
    const notes: string[] = [];
    const snap = await findSnapshot(store, p, seqAt(2 * EVERY + 10), (t) => notes.push(t));
    expect(snap?.seq).toBe(BigInt(EVERY));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/snapshot of orders at seq 1400 was made by other code/);
    // Events changed before a snapshot's seq: that one is not used either.
    await store.run(`UPDATE snapshots SET events = events + 1 WHERE projection = 'orders' AND seq = ${EVERY}`);
    const notes2: string[] = [];
    expect(await findSnapshot(store, p, seqAt(EVERY + 10), (t) => notes2.push(t))).toBeNull();
    expect(notes2[0]).toMatch(/made from other events/);
  });
});
