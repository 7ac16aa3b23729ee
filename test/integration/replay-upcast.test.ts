import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { loadCustomProjection, replayCustom } from '../../src/replay/custom.js';
import { replayEvents, type ReplayEvent } from '../../src/replay/events.js';
import { codeHash, findSnapshot, makeSnapshots } from '../../src/replay/snapshots.js';
import { loadUpcasters, parseUpcasters } from '../../src/replay/upcasters.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * Replay with upcasters (issue 7 in issue 3's fold): every event upcast before the projection,
 * failures naming the event, snapshots keyed by the upcasters' code; events whose data is
 * parsed on first read but look like plain objects. (TypeScript modules: test/e2e/replay-cli,
 * through the built CLI: vitest would load them with its own transform here.)
 */
let dir: string;
let store: Store;
/** The stored events as plain objects (data parsed), redeliveries out, in seq order. */
let stored: { seq: number; id: string; type: string; schema_version: number; data: any }[];

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  dir = tmpDir();
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 200, seed: 11, anomalyRate: 0.1 })) lines.push(serializeTradingEvent(e));
  write('log.ndjson', lines.join('\n') + '\n');
  store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  await ingestFiles(store, { sources: [path.join(dir, 'log.ndjson')] });
  await store.run(MACROS_SQL);
  const rows = await store.all(`SELECT seq::INTEGER AS seq, id, type, schema_version, data::VARCHAR AS data FROM events WHERE dup_kind IS DISTINCT FROM 'redelivery' ORDER BY seq`);
  stored = rows.map((r) => ({ seq: Number(r.seq), id: String(r.id), type: String(r.type), schema_version: Number(r.schema_version), data: JSON.parse(String(r.data)) }));
  // The generator writes OrderPlaced v1 and v2: there is something to upcast.
  expect(stored.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 1).length).toBeGreaterThan(20);
  expect(stored.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 2).length).toBeGreaterThan(20);
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A projection that keeps what it saw of every OrderPlaced: its version and data. */
const PLACED = `export default {
  name: 'placed',
  initialState: () => ({ version: null, data: null, seen: 0 }),
  evolve: (s, e) => ({ version: e.schema_version, data: e.data, seen: s.seen + 1 }),
  keyOf: (e) => (e.type === 'OrderPlaced' ? e.id : null),
};\n`;

describe('replay with upcasters', () => {
  it('hands every older event to the projection upcast (data and schema_version), the rest untouched', async () => {
    const up = await loadUpcasters(write('up.mjs', `export default { OrderPlaced: { 1: (data, event) => ({ ...data, timeInForce: 'DAY', from: event.schema_version }) } };\n`));
    const p = await loadCustomProjection(write('placed.mjs', PLACED), '--projection', up);
    const rows = await replayCustom(store, p, 'true');
    const placed = stored.filter((e) => e.type === 'OrderPlaced');
    expect(rows).toEqual(
      placed.map((e) => ({
        key: e.id,
        version: 2,
        data: e.schema_version === 1 ? { ...e.data, timeInForce: 'DAY', from: 1 } : e.data,
        seen: 1,
      })).sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    // Without upcasters the same projection sees the events as stored.
    const plain = await replayCustom(store, await loadCustomProjection(path.join(dir, 'placed.mjs')), 'true');
    expect(plain.filter((r) => r.version === 1).length).toBe(placed.filter((e) => e.schema_version === 1).length);
  });

  it('upcasts step by step to one past the last upcaster', async () => {
    const up = await loadUpcasters(
      write('steps.mjs', `export default { OrderPlaced: { 1: (d) => ({ ...d, steps: ['1>2'] }), 2: (d) => ({ ...d, steps: [...(d.steps ?? []), '2>3'] }) } };\n`),
    );
    const p = await loadCustomProjection(path.join(dir, 'placed.mjs'), '--projection', up);
    const rows = await replayCustom(store, p, 'seq <= 600');
    const byId = new Map(stored.map((e) => [e.id, e]));
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(r.version).toBe(3);
      expect((r.data as { steps: string[] }).steps).toEqual(byId.get(String(r.key))!.schema_version === 1 ? ['1>2', '2>3'] : ['2>3']);
    }
  });

  it('stops at an upcaster that throws, or a missing step, naming the event (exit 2)', async () => {
    const target = stored.filter((e) => e.type === 'OrderPlaced' && e.schema_version === 1)[4]!;
    const throwing = await loadUpcasters(write('throws.mjs', `export default { OrderPlaced: { 1: (d, e) => { if (e.seq === ${target.seq}) throw new RangeError('bad qty'); return d; } } };\n`));
    const p = await loadCustomProjection(path.join(dir, 'placed.mjs'), '--projection', throwing);
    const error = await replayCustom(store, p, 'true').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toBe(`upcaster OrderPlaced v1 (${path.join(dir, 'throws.mjs')}) failed at event ${target.id} (seq ${target.seq}, OrderPlaced v1): threw: bad qty`);
    expect((error as UserError).hint).toMatch(/schema upcast --upcasters \S+throws\.mjs --dry-run/);

    const first = stored.find((e) => e.type === 'OrderPlaced' && e.schema_version === 1)!;
    const gap = await loadUpcasters(write('gap.mjs', `export default { OrderPlaced: { 2: (d) => d } };\n`));
    const q = await loadCustomProjection(path.join(dir, 'placed.mjs'), '--projection', gap);
    await expect(replayCustom(store, q, 'true')).rejects.toThrow(`cannot upcast OrderPlaced to v3 at event ${first.id} (seq ${first.seq}, OrderPlaced v1): no upcaster from v1`);
    // The store is usable after it.
    expect((await replayCustom(store, await loadCustomProjection(path.join(dir, 'placed.mjs')), 'seq <= 5')).length).toBeGreaterThan(0);
  });

  it('refuses a module of the wrong shape, one line and a hint', async () => {
    expect(() => parseUpcasters('u.mjs', { default: { OrderPlaced: { v1: () => 1 } } })).toThrow(/a version is a whole number/);
    expect(() => parseUpcasters('u.mjs', { default: { OrderPlaced: { 1: 'x' } } })).toThrow(/is not a function/);
    await expect(loadUpcasters(path.join(dir, 'missing.mjs'))).rejects.toThrow(/no such file/);
  });

  it('keys snapshots by the upcasters\' code: made with them, they serve only the same upcasters', async () => {
    const upFile = write('snap-up.mjs', `export default { OrderPlaced: { 1: (d) => ({ ...d, timeInForce: 'DAY' }) } };\n`);
    const projFile = write('tif.mjs', `export default { name: 'tif', initialState: () => ({}), evolve(s, e) { if (e.type === 'OrderPlaced') { const k = e.data.timeInForce ?? 'none'; s[k] = (s[k] ?? 0) + 1; } return s; } };\n`);
    const withUp = { kind: 'custom' as const, def: await loadCustomProjection(projFile, '--projection', await loadUpcasters(upFile)) };
    const without = { kind: 'custom' as const, def: await loadCustomProjection(projFile) };
    expect(codeHash(withUp)).not.toBe(codeHash(without));
    await makeSnapshots(store, withUp, 500n);
    const at = { kind: 'seq' as const, seq: 1200n, input: 'seq:1200' };
    const notes: string[] = [];
    const snap = await findSnapshot(store, withUp, at, (n) => notes.push(n));
    expect(snap?.seq).toBe(1000n);
    expect(notes).toEqual([]);
    // From the snapshot, the same rows as a full replay with the upcasters.
    const { customStateOf } = await import('../../src/replay/snapshots.js');
    const fromSnap = await replayCustom(store, withUp.def, `seq > ${snap!.seq} AND seq <= 1200`, undefined, await customStateOf(store, snap!));
    expect(fromSnap).toEqual(await replayCustom(store, withUp.def, 'seq <= 1200'));
    const placed = stored.filter((e) => e.seq <= 1200 && e.type === 'OrderPlaced');
    expect(fromSnap[0]!.DAY).toBe(placed.filter((e) => e.schema_version === 1 || e.data.timeInForce === 'DAY').length);
    // Without the upcasters, or with changed ones, the snapshots are stale.
    expect(await findSnapshot(store, without, at, (n) => notes.push(n))).toBeNull();
    fs.writeFileSync(upFile, `export default { OrderPlaced: { 1: (d) => ({ ...d, timeInForce: 'GTC' }) } };\n`);
    const changed = { kind: 'custom' as const, def: await loadCustomProjection(projFile, '--projection', await loadUpcasters(upFile)) };
    expect(await findSnapshot(store, changed, at, (n) => notes.push(n))).toBeNull();
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/made by other code of the projection: ignored \(the module, or its upcasters/);
  });
});

describe('events with data parsed on first read', () => {
  it('look like plain objects: spread, keys, JSON and assignment', async () => {
    const events: ReplayEvent[] = [];
    for await (const slice of replayEvents(store, 'seq <= 50')) events.push(...slice);
    const want = stored.filter((e) => e.seq <= 50);
    expect(events.map((e) => e.data)).toEqual(want.map((e) => e.data));
    const copy = { ...events[0]! };
    expect(Object.keys(copy)).toEqual(['seq', 'id', 'stream', 'rev', 'type', 'schema_version', 'ts', 'recorded_ts', 'correlation_id', 'causation_id', 'source', 'data', 'dup_kind']);
    expect(copy.data).toEqual(want[0]!.data);
    expect(JSON.parse(JSON.stringify(events[1]))).toMatchObject({ id: want[1]!.id, data: want[1]!.data });
    events[2]!.data = { replaced: true };
    expect(events[2]!.data).toEqual({ replaced: true });
    expect({ ...events[2]! }.data).toEqual({ replaced: true });
  });
});
