import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { generateTradingLog, serializeTradingEvent, type AnomalyRecord, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { buildGraph } from '../../src/trace/graph.js';
import { loadTrace } from '../../src/trace/load.js';
import { resolveId } from '../../src/trace/resolve.js';
import { EventSource } from '../../src/trace/source.js';
import { indexStatus, parseKeyPath, refreshTraceIndex } from '../../src/trace/trace-index.js';
import { ndjson, tmpDir } from '../helpers.js';

/**
 * Loading traces from a real DuckDB store: the graph of every order of a generated log equals
 * the generator's causation (every node, every edge) and its anomalies, through the index,
 * without it, and with events past the index's watermark; the closure across correlations on
 * crafted events; resolving ids.
 */
let dir: string;
const ORDERS = 150;
let events: CanonicalTradingEvent[];
let truth: AnomalyRecord[];
const KEYS = [parseKeyPath('data.orderId')];

async function withStore<T>(name: string, fn: (store: Store) => Promise<T>, readOnly = false): Promise<T> {
  const store = await Store.open(path.join(dir, name), { create: !readOnly, readOnly });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

function writeFile(name: string, lines: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines);
  return file;
}

beforeAll(async () => {
  dir = tmpDir('evtrail-trace-');
  const log = generateTradingLog({ orders: ORDERS, seed: 4242, anomalyRate: 0.6 });
  events = [...log];
  truth = [...log.truth];
  // Two halves, so a store can hold the first half indexed and the second past the watermark.
  const half = Math.floor(events.length / 2);
  writeFile('a.ndjson', events.slice(0, half).map(serializeTradingEvent).join('\n') + '\n');
  writeFile('b.ndjson', events.slice(half).map(serializeTradingEvent).join('\n') + '\n');
  await withStore('indexed.duckdb', async (store) => {
    await ingestFiles(store, { sources: [path.join(dir, 'a.ndjson'), path.join(dir, 'b.ndjson')] });
    await refreshTraceIndex(store);
  });
  await withStore('plain.duckdb', (store) => ingestFiles(store, { sources: [path.join(dir, 'a.ndjson'), path.join(dir, 'b.ndjson')] }));
  await withStore('tail.duckdb', async (store) => {
    await ingestFiles(store, { sources: [path.join(dir, 'a.ndjson')] });
    await refreshTraceIndex(store);
    await ingestFiles(store, { sources: [path.join(dir, 'b.ndjson')] });
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The generator's causation for one order: its event ids and cause → effect links. */
function expected(orderId: string) {
  const mine = events.filter((e) => e.data.orderId === orderId);
  const ids = new Set(mine.map((e) => e.id));
  const edges = new Set(mine.filter((e) => e.causation_id !== null && ids.has(e.causation_id)).map((e) => `${e.causation_id}>${e.id}`));
  return { ids: [...ids].sort(), edges: [...edges].sort() };
}

const GRAPH_KINDS: Record<string, string> = {
  duplicate: 'redelivery',
  conflict: 'conflict',
  'orphan-causation': 'orphan-causation',
  'clock-skew': 'clock-skew',
  'revision-gap': 'revision-gap',
};

describe('trace index', () => {
  it('is built, then up to date, and says how far it covers', async () => {
    await withStore('indexed.duckdb', async (store) => {
      const status = await indexStatus(store);
      expect(status.state).not.toBeNull();
      expect(status.tail).toBe(0);
      expect(status.total).toBe(events.length);
      expect((await refreshTraceIndex(store)).indexed).toBe(0);
    });
    await withStore('tail.duckdb', async (store) => {
      const status = await indexStatus(store);
      expect(status.tail).toBe(events.length - Math.floor(events.length / 2));
    }, true);
  });

  it('is rebuilt when the store no longer matches it', async () => {
    const file = path.join(dir, 'changed.duckdb');
    fs.copyFileSync(path.join(dir, 'indexed.duckdb'), file);
    await withStore('changed.duckdb', async (store) => {
      await store.run(`DELETE FROM events WHERE seq = 5`);
      expect((await indexStatus(store)).state).toBeNull();
      const r = await refreshTraceIndex(store);
      expect(r.rebuilt).toBe(true);
      expect((await indexStatus(store)).tail).toBe(0);
    });
  });

  it('checks values on the events: a colliding index row finds nothing', async () => {
    fs.copyFileSync(path.join(dir, 'indexed.duckdb'), path.join(dir, 'collide.duckdb'));
    await withStore('collide.duckdb', async (store) => {
      await store.run(`INSERT INTO trace_ids SELECT hash('evt-nope'), 7, 'X', 0, true`);
      const source = await EventSource.open(store);
      expect(await source.events('id', ['evt-nope'])).toEqual([]);
      const seventh = events[6]!;
      expect((await source.events('id', [seventh.id])).map((e) => e.seq)).toContain(7);
    });
  });
});

describe('graphs of generated orders equal the generator causation', () => {
  for (const db of ['indexed.duckdb', 'plain.duckdb', 'tail.duckdb']) {
    it(`every order, every node and edge (${db})`, async () => {
      await withStore(db, async (store) => {
        const source = await EventSource.open(store);
        expect(source.indexed).toBe(db !== 'plain.duckdb');
        for (let i = 1; i <= ORDERS; i++) {
          const orderId = `ord-${String(i).padStart(8, '0')}`;
          const resolution = await resolveId(source, orderId, { keys: KEYS });
          expect(resolution.kind).toBe('key');
          const loaded = await loadTrace(source, resolution);
          const graph = buildGraph(loaded.events, { streamRevisions: loaded.streamRevisions, skewToleranceNs: 1_000_000_000n });
          const want = expected(orderId);
          expect(graph.nodes.map((n) => n.id).sort(), orderId).toEqual(want.ids);
          expect(graph.edges.map((e) => `${e.from}>${e.to}`).sort(), orderId).toEqual(want.edges);
          // The graph's anomalies are exactly the generator's (for the kinds a graph can see).
          const wantAnomalies = truth
            .filter((t) => t.orderId === orderId && GRAPH_KINDS[t.kind])
            .map((t) => `${GRAPH_KINDS[t.kind]}:${t.eventId}`);
          expect(graph.anomalies.map((a) => `${a.kind}:${a.eventId}`), orderId).toEqual(wantAnomalies);
        }
      }, true);
    });
  }

  it('covers each graph anomaly kind the generator injects', () => {
    const kinds = new Set(truth.filter((t) => GRAPH_KINDS[t.kind]).map((t) => t.kind));
    expect([...kinds].sort()).toEqual(Object.keys(GRAPH_KINDS).sort());
  });

  it('resolves streams, correlation ids and event ids to the same order', async () => {
    await withStore('indexed.duckdb', async (store) => {
      const source = await EventSource.open(store);
      for (const n of [3, 77, 140]) {
        const num = String(n).padStart(8, '0');
        const want = expected(`ord-${num}`);
        for (const [input, kind] of [[`order-ord-${num}`, 'stream'], [`corr-${num}`, 'correlation']] as const) {
          const r = await resolveId(source, input, { keys: KEYS });
          expect(r.kind).toBe(kind);
          const loaded = await loadTrace(source, r);
          expect([...new Set(loaded.events.map((e) => e.id))].sort()).toEqual(want.ids);
        }
        // An event id: its ancestors and descendants. In a saga (a chain) that is the whole chain.
        const mine = events.filter((e) => e.data.orderId === `ord-${num}`);
        const middle = mine[Math.floor(mine.length / 2)]!;
        const r = await resolveId(source, middle.id, { keys: KEYS });
        expect(r.kind).toBe('event');
        const loaded = await loadTrace(source, r);
        const chain = new Set<string>([middle.id]);
        // Reference: walk the generator's events up and down from the middle one.
        for (let cur: CanonicalTradingEvent | undefined = middle; cur?.causation_id; ) {
          const c: string = cur.causation_id;
          cur = mine.find((e) => e.id === c);
          if (cur) chain.add(cur.id);
        }
        const down = [middle.id];
        while (down.length) {
          const id = down.pop()!;
          for (const e of mine.filter((x) => x.causation_id === id)) if (!chain.has(e.id)) (chain.add(e.id), down.push(e.id));
        }
        expect([...new Set(loaded.events.map((e) => e.id))].sort()).toEqual([...chain].sort());
      }
    }, true);
  });
});

describe('causation closure across correlations', () => {
  // m0 (a market event) causes a1 (order A) and c1 (order C); a2 causes b1 in correlation B,
  // which also holds bx → by, unrelated to A.
  const t = (ms: number) => `2025-08-26T09:30:00.${String(ms).padStart(3, '0')}000000Z`;
  const crafted = [
    { id: 'm0', stream: 'market', rev: 1, type: 'MarketOpened', ts: t(1), correlation_id: 'corr-M', causation_id: null, data: {} },
    { id: 'a1', stream: 'order-A', rev: 1, type: 'OrderPlaced', ts: t(2), correlation_id: 'corr-A', causation_id: 'm0', data: { orderId: 'A' } },
    { id: 'c1', stream: 'order-C', rev: 1, type: 'OrderPlaced', ts: t(3), correlation_id: 'corr-C', causation_id: 'm0', data: { orderId: 'C' } },
    { id: 'a2', stream: 'order-A', rev: 2, type: 'OrderFilled', ts: t(4), correlation_id: 'corr-A', causation_id: 'a1', data: { orderId: 'A' } },
    { id: 'a3', stream: 'order-A', rev: 3, type: 'SettlementCompleted', ts: t(5), correlation_id: 'corr-A', causation_id: 'a2', data: { orderId: 'A' } },
    { id: 'bx', stream: 'order-B', rev: 1, type: 'OrderPlaced', ts: t(6), correlation_id: 'corr-B', causation_id: null, data: { orderId: 'B' } },
    { id: 'b1', stream: 'hedge-B', rev: 1, type: 'HedgePlaced', ts: t(7), correlation_id: 'corr-B', causation_id: 'a2', data: { orderId: 'B' } },
    { id: 'b2', stream: 'hedge-B', rev: 2, type: 'HedgeFilled', ts: t(8), correlation_id: 'corr-B', causation_id: 'b1', data: { orderId: 'B' } },
    { id: 'by', stream: 'order-B', rev: 2, type: 'OrderFilled', ts: t(9), correlation_id: 'corr-B', causation_id: 'bx', data: { orderId: 'B' } },
  ];

  beforeAll(async () => {
    const file = writeFile('cross.ndjson', ndjson(crafted));
    await withStore('cross.duckdb', async (store) => {
      await ingestFiles(store, { sources: [file] });
      await refreshTraceIndex(store);
    });
  });

  const traceIds = (input: string) =>
    withStore('cross.duckdb', async (store) => {
      const source = await EventSource.open(store);
      const loaded = await loadTrace(source, await resolveId(source, input, { keys: KEYS }));
      return loaded.events.map((e) => e.id).sort();
    }, true);

  it('an order: its correlation, its ancestors and its descendants in other correlations', async () => {
    expect(await traceIds('A')).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'm0']);
  });
  it('an event: ancestors and descendants only, no siblings', async () => {
    expect(await traceIds('a2')).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'm0']);
    expect(await traceIds('b1')).toEqual(['a1', 'a2', 'b1', 'b2', 'm0']);
  });
  it('a correlation: all of it plus the ancestors of each event', async () => {
    expect(await traceIds('corr-B')).toEqual(['a1', 'a2', 'b1', 'b2', 'bx', 'by', 'm0']);
  });
  it('shows several roots for correlation B', async () => {
    await withStore('cross.duckdb', async (store) => {
      const source = await EventSource.open(store);
      const loaded = await loadTrace(source, await resolveId(source, 'corr-B', { keys: KEYS }));
      const g = buildGraph(loaded.events, { streamRevisions: loaded.streamRevisions });
      expect(g.roots.sort()).toEqual(['bx', 'm0']);
      expect(g.anomalies.map((a) => a.kind)).toEqual(['several-roots']);
    }, true);
  });
  it('finds effects in other correlations whatever was indexed when (cause arriving late, events past the watermark)', async () => {
    // First ingest: h1 in corr-H names a3 as its cause, but a3 is not in the log yet.
    // Second ingest: a3 (corr-A, caused by a2) and h2 in corr-H caused by a1.
    const hedge = [
      { id: 'h1', stream: 'hedge-H', rev: 1, type: 'HedgePlaced', ts: t(10), correlation_id: 'corr-H', causation_id: 'a3', data: {} },
    ];
    const a = crafted.filter((e) => ['a1', 'a2'].includes(e.id));
    const later = [
      crafted.find((e) => e.id === 'a3')!,
      { id: 'h2', stream: 'hedge-H', rev: 2, type: 'HedgeFilled', ts: t(11), correlation_id: 'corr-H', causation_id: 'a1', data: {} },
    ];
    const first = writeFile('late-1.ndjson', ndjson([...a, ...hedge]));
    const second = writeFile('late-2.ndjson', ndjson(later));
    const traceOf = async (store: Store) => {
      const source = await EventSource.open(store);
      return (await loadTrace(source, await resolveId(source, 'A', { keys: KEYS }))).events.map((e) => e.id).sort();
    };
    await withStore('late.duckdb', async (store) => {
      await ingestFiles(store, { sources: [first] });
      await refreshTraceIndex(store);
      await ingestFiles(store, { sources: [second] });
      expect((await indexStatus(store)).tail).toBe(2);
      expect(await traceOf(store)).toEqual(['a1', 'a2', 'a3', 'h1', 'h2']);
      await refreshTraceIndex(store);
      expect((await indexStatus(store)).tail).toBe(0);
      expect(await traceOf(store)).toEqual(['a1', 'a2', 'a3', 'h1', 'h2']);
    });
  });

  it('stops at maxEvents and says so', async () => {
    await withStore('cross.duckdb', async (store) => {
      const source = await EventSource.open(store);
      const loaded = await loadTrace(source, await resolveId(source, 'corr-B', { keys: KEYS }), { maxEvents: 5 });
      expect(loaded.truncated).toBe(true);
      expect(loaded.events).toHaveLength(5);
    }, true);
  });
});

describe('resolving ids', () => {
  const t = '2025-08-26T09:30:00.000000001Z';
  beforeAll(async () => {
    const file = writeFile('names.ndjson', ndjson([
      // 'x-1' is both a stream and (elsewhere) an event id: two different traces.
      { id: 'x-1', stream: 'other', rev: 1, type: 'A', ts: t, correlation_id: 'k-1', data: { orderId: 'k-1' } },
      { id: 'e-2', stream: 'x-1', rev: 1, type: 'B', ts: t, correlation_id: 'c-2', data: { orderId: 'o-2' } },
      // 'k-1' is the order key and the correlation id of the same events: one trace.
      { id: 'e-3', stream: 'other', rev: 2, type: 'C', ts: t, correlation_id: 'k-1', data: { orderId: 'k-1' } },
      { id: 'e-4', stream: 's-4', rev: 1, type: 'D', ts: t, correlation_id: 'c-4', data: { orderId: 'o-4', accountId: 'acc-9' } },
    ]));
    await withStore('names.duckdb', async (store) => {
      await ingestFiles(store, { sources: [file] });
      await refreshTraceIndex(store);
    });
  });
  const resolve = (input: string, options: Partial<Parameters<typeof resolveId>[2]> = {}) =>
    withStore('names.duckdb', async (store) => resolveId(await EventSource.open(store), input, { keys: KEYS, ...options }), true);

  it('says which kind an id is', async () => {
    expect((await resolve('e-4')).kind).toBe('event');
    expect((await resolve('s-4')).kind).toBe('stream');
    expect(await resolve('o-4')).toMatchObject({ kind: 'key', keyPath: 'data.orderId' });
    expect((await resolve('c-4')).kind).toBe('correlation');
  });
  it('is not ambiguous when two kinds name the same trace', async () => {
    const r = await resolve('k-1');
    expect(r.kind).toBe('key');
    expect(r.alsoMatches).toEqual(['correlation id']);
    expect(r.seeds.map((e) => e.id)).toEqual(['x-1', 'e-3']);
  });
  it('refuses an ambiguous id and says how to choose; --as chooses', async () => {
    const err = await resolve('x-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/ambiguous.*event id.*stream/);
    expect((err as UserError).hint).toMatch(/--as event \| --as stream/);
    expect((await resolve('x-1', { as: 'stream' })).seeds.map((e) => e.id)).toEqual(['e-2']);
  });
  it('names the closest matches for an unknown id', async () => {
    const err = (await resolve('o-5').catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('"o-5"');
    // o-2 and o-4 are one edit away; they come first, before farther names.
    expect(err.hint).toMatch(/^closest: o-2 \(key data\.orderId\), o-4 \(key data\.orderId\)/);
    const typo = (await resolve('E-4').catch((e: unknown) => e)) as UserError;
    expect(typo.hint).toMatch(/closest: e-4 \(event id\)/);
  });
  it('uses other key paths, indexed on demand', async () => {
    const accountKey = parseKeyPath('data.accountId');
    // Not indexed yet: found by a scan.
    expect(await resolve('acc-9', { keys: [accountKey] })).toMatchObject({ kind: 'key', keyPath: 'data.accountId' });
    await withStore('names.duckdb', async (store) => {
      const r = await refreshTraceIndex(store, ['data.accountId']);
      expect(r.rebuilt).toBe(false);
      const source = await EventSource.open(store);
      expect(source.keyIndexed(accountKey)).toBe(true);
      expect((await resolveId(source, 'acc-9', { keys: [accountKey] })).seeds.map((e) => e.id)).toEqual(['e-4']);
    });
  });
  it('rejects a bad key path', () => {
    expect(() => parseKeyPath('orderId')).toThrow(UserError);
    expect(() => parseKeyPath('data.')).toThrow(UserError);
    expect(parseKeyPath('meta.tenant.id').jsonPath).toBe('$."tenant"."id"');
  });
});
