import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { formatIsoNs, parseIsoNs } from '../../src/core/time.js';
import { replayOrders, type OrderEvent, type OrderRow } from '../../src/replay/reference/orders.js';
import { replayStreams } from '../../src/replay/reference/streams.js';
import { cli, cliJson, tmpDir } from '../helpers.js';

/**
 * `evtrail replay` as a user runs it (the built CLI, stdout a pipe), checked against the plain
 * JavaScript folds over the store's own events.
 */
let dir: string;
let db: string;
let events: (OrderEvent & { id: string; rev: number | null })[];

beforeAll(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 150, seed: 31, anomalyRate: 0.2 })) lines.push(serializeTradingEvent(e));
  const file = path.join(dir, 'log.ndjson');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  expect(cliJson(['ingest', file, '--db', db]).ingested).toBe(lines.length);
  const rows = cliJson(['query', 'select seq, id, stream, rev, type, evt_iso(ts) as ts, data, dup_kind from events order by seq', '--db', db]);
  events = rows.map((r: any) => ({ seq: Number(r.seq), id: r.id, stream: r.stream, rev: r.rev === null ? null : Number(r.rev), type: r.type, ts: r.ts, data: r.data, dup_kind: r.dup_kind }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function replay(args: string[]) {
  return cli(['replay', '--db', db, ...args]);
}

function expectOrders(actual: OrderRow[], expected: OrderRow[]) {
  const round = (rows: OrderRow[]) => rows.map((r) => ({ ...r, avgPrice: r.avgPrice === null ? null : Math.round(r.avgPrice * 1e4) / 1e4 }));
  expect(round(actual)).toEqual(round(expected));
}

describe('evtrail replay (built CLI)', () => {
  it('prints { at, projection, rows } for orders as of a time, equal to the reference fold', () => {
    const t = events[Math.floor(events.length / 2)]!.ts!;
    const out = cliJson(['replay', '--db', db, '--projection', 'orders', '--at', t]);
    expect(Object.keys(out)).toEqual(['at', 'projection', 'rows']);
    expect(out.at).toBe(t);
    expect(out.projection).toBe('orders');
    expect(out.rows.length).toBeGreaterThan(20);
    expectOrders(out.rows, replayOrders(events, { ts: t }));
  });

  it('reads every --at form: time of day, seq:N, relative to the end', () => {
    const byClock = cliJson(['replay', '--db', db, '--projection', 'orders', '--at', '09:33']);
    expect(byClock.at).toBe('2025-08-26T09:33:00.000000000Z');
    expectOrders(byClock.rows, replayOrders(events, { ts: '2025-08-26T09:33:00.000000000Z' }));
    const bySeq = cliJson(['replay', '--db', db, '--projection', 'orders', '--at', 'seq:700']);
    expect(bySeq.at).toBe('seq:700');
    expectOrders(bySeq.rows, replayOrders(events, { seq: 700 }));
    const last = events.map((e) => e.ts!).sort().at(-1)!;
    const t = formatIsoNs(parseIsoNs(last)! - 30_000_000_000n);
    const byEnd = cliJson(['replay', '--db', db, '--projection', 'orders', '--at', 'end-30s']);
    expect(byEnd.at).toBe(t);
    expectOrders(byEnd.rows, replayOrders(events, { ts: t }));
  });

  it('--key gives one order; the streams projection folds the data', () => {
    const one = cliJson(['replay', '--db', db, '--projection', 'orders', '--key', 'ord-00000007', '--at', 'seq:400']);
    expect(one.key).toBe('ord-00000007');
    expectOrders(one.rows, replayOrders(events, { seq: 400 }).filter((r) => r.orderId === 'ord-00000007'));
    expect(one.rows).toHaveLength(1);
    const streams = cliJson(['replay', '--db', db, '--at', 'seq:300']);
    expect(streams.projection).toBe('streams');
    expect(streams.rows).toEqual(replayStreams(events, { seq: 300 }));
  });

  it('--diff lists what changed, entity by entity, field by field', () => {
    const [a, b] = ['2025-08-26T09:31:00.000000000Z', '2025-08-26T09:32:00.000000000Z'];
    const out = cliJson(['replay', '--db', db, '--projection', 'orders', '--at', a, '--diff', b]);
    expect(out).toMatchObject({ at: a, diff: b, projection: 'orders' });
    const before = new Map(replayOrders(events, { ts: a }).map((r) => [r.orderId, r]));
    const after = new Map(replayOrders(events, { ts: b }).map((r) => [r.orderId, r]));
    const want: [string, string][] = [];
    for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const x = before.get(id);
      const y = after.get(id);
      if (!x) want.push([id, 'added']);
      else if (!y) want.push([id, 'removed']);
      else if (JSON.stringify(x) !== JSON.stringify(y)) want.push([id, 'changed']);
    }
    expect(want.length).toBeGreaterThan(5);
    expect(out.rows.map((r: any) => [r.orderId, r.change])).toEqual(want);
    for (const r of out.rows.filter((r: any) => r.change === 'changed')) {
      const x = before.get(r.orderId)! as unknown as Record<string, unknown>;
      const y = after.get(r.orderId)! as unknown as Record<string, unknown>;
      // (avgPrice: the reference adds floats, so compare the other fields exactly)
      const differ = Object.keys(x).filter((f) => f !== 'avgPrice' && JSON.stringify(x[f]) !== JSON.stringify(y[f]));
      expect(r.fields.filter((f: string) => f !== 'avgPrice')).toEqual(differ);
      expect(r.after.status).toBe(y.status);
    }
  });

  it('prints CSV and plain text, and the same bytes every time', () => {
    const csv = replay(['--projection', 'orders', '--at', 'seq:500', '--csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('orderId,accountId,symbol,side,qty,limitPrice,status,cumQty,leavesQty,avgPrice,venue,lastEventType,lastEventAt,events,conflicts');
    expect(lines.length - 1).toBe(replayOrders(events, { seq: 500 }).length);
    const text = replay(['--projection', 'positions', '--at', 'seq:500', '--limit', '3']);
    expect(text.code).toBe(0);
    const shown = text.stdout.split('\n');
    expect(shown[0]).toBe('positions as of seq:500 (average cost method)');
    expect(shown[1]).toMatch(/^accountId\s+symbol\s+netQty\s+avgCost\s+realizedPnl/);
    expect(shown[6]).toMatch(/^… \d+ more rows/);
    const again = replay(['--projection', 'orders', '--at', 'seq:500', '--csv']);
    expect(again.stdout).toBe(csv.stdout);
  });

  it('runs a custom projection module, keyed, equal to the same fold in the test', () => {
    const file = path.join(dir, 'fills.mjs');
    fs.writeFileSync(file, `export default {
      name: 'fills',
      initialState: () => ({ fills: 0, qty: 0 }),
      evolve: (s, e) => (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled') ? { fills: s.fills + 1, qty: s.qty + e.data.fillQty } : s,
      keyOf: (e) => e.data?.orderId,
    };\n`);
    const out = cliJson(['replay', '--db', db, '--projection', file, '--at', 'seq:900']);
    expect(out.projection).toBe('fills');
    const want = new Map<string, { fills: number; qty: number }>();
    for (const e of events) {
      if (e.seq > 900 || e.dup_kind === 'redelivery') continue;
      const k = (e.data as { orderId: string }).orderId;
      const s = want.get(k) ?? { fills: 0, qty: 0 };
      if (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled') want.set(k, { fills: s.fills + 1, qty: s.qty + (e.data as { fillQty: number }).fillQty });
      else want.set(k, s);
    }
    expect(out.rows).toEqual([...want].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, s]) => ({ key, ...s })));
  });

  it('stops a projection that throws with exit 2, naming the event', () => {
    const file = path.join(dir, 'boom.mjs');
    fs.writeFileSync(file, `export const initialState = 0;\nexport function evolve(s, e) { if (e.type === 'OrderFilled') throw new Error('no fills here'); return s + 1; }\n`);
    const first = events.find((e) => e.type === 'OrderFilled' && e.dup_kind !== 'redelivery')!;
    const r = replay(['--projection', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [line, hint, ...rest] = r.stderr.trimEnd().split('\n');
    expect(line).toBe(`evtrail: projection boom failed at event ${first.id} (seq ${first.seq}, OrderFilled): no fills here`);
    expect(hint).toMatch(/^hint: fix \S*boom\.mjs; evtrail query "select \* from events where seq = \d+" shows the event$/);
    expect(rest).toEqual([]);
  });

  it('refuses bad input with one line and a hint (exit 2)', () => {
    const ts = path.join(dir, 'p.ts');
    fs.writeFileSync(ts, 'export const initialState = 0; export const evolve = (s: number) => s + 1;\n');
    const noEvolve = path.join(dir, 'none.mjs');
    fs.writeFileSync(noEvolve, 'export const initialState = 0;\n');
    const cases: [string[], RegExp][] = [
      [['--at', 'yesterday'], /--at yesterday: not a time or a seq/],
      [['--projection', 'ordres'], /--projection ordres: no such projection/],
      [['--projection', noEvolve], /exports no evolve/],
    ];
    // A .ts module loads (compiled when Node cannot strip types: evtrail's own TypeScript here);
    // one with a syntax error is refused with the place of the error.
    fs.writeFileSync(ts, 'export const initialState = 0; export const evolve = (s: number) => s + ;\n');
    const stripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
    cases.push([['--projection', ts], stripsTypes ? /--projection \S+p\.ts: cannot load it/ : /--projection \S+p\.ts: TypeScript cannot compile it: .*p\.ts\(1,\d+\): error TS\d+/]);
    cases.push([['--projection', 'orders', '--upcasters', noEvolve], /--upcasters applies to custom projections only: orders is a built-in/]);
    for (const [args, message] of cases) {
      const r = replay(args);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^hint: /);
    }
    const missing = cli(['replay', '--db', path.join(dir, 'nope.duckdb')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no store at/);
  });
  it('loads a .ts projection and applies --upcasters (a .ts module too) before it', () => {
    const proj = path.join(dir, 'placed.ts');
    fs.writeFileSync(proj, `import type { EnvelopeEvent } from './types.js';
interface State { v1: number; v2: number; tif: Record<string, number> }
export default {
  name: 'placed',
  initialState: (): State => ({ v1: 0, v2: 0, tif: {} }),
  evolve(s: State, e: EnvelopeEvent & { data: { timeInForce?: string } }): State {
    if (e.type !== 'OrderPlaced') return s;
    const k: string = e.data.timeInForce ?? 'none';
    return { v1: s.v1 + (e.schema_version === 1 ? 1 : 0), v2: s.v2 + (e.schema_version === 2 ? 1 : 0), tif: { ...s.tif, [k]: (s.tif[k] ?? 0) + 1 } };
  },
};
`);
    const up = path.join(dir, 'up.ts');
    fs.writeFileSync(up, `export default { OrderPlaced: { 1: (d: object): object => ({ ...d, timeInForce: 'DAY' }) } };\n`);
    const placed = (rows: any[]) => rows.filter((e) => e.seq <= 900 && e.type === 'OrderPlaced' && e.dup_kind !== 'redelivery');
    const rows = cliJson(['query', 'select seq, type, schema_version, data, dup_kind from events order by seq', '--db', db]);
    const asStored = placed(rows);
    const tif = (list: any[]) => {
      const out: Record<string, number> = {};
      for (const e of list) out[e.data.timeInForce ?? 'none'] = (out[e.data.timeInForce ?? 'none'] ?? 0) + 1;
      return out;
    };
    const before = cliJson(['replay', '--db', db, '--projection', proj, '--at', 'seq:900']);
    expect(before.rows).toEqual([{ v1: asStored.filter((e) => e.schema_version === 1).length, v2: asStored.filter((e) => e.schema_version === 2).length, tif: tif(asStored) }]);
    expect(before.rows[0].v1).toBeGreaterThan(0);
    const after = cliJson(['replay', '--db', db, '--projection', proj, '--upcasters', up, '--at', 'seq:900']);
    const upcast = asStored.map((e) => (e.schema_version === 1 ? { ...e, data: { ...e.data, timeInForce: 'DAY' } } : e));
    expect(after.rows).toEqual([{ v1: 0, v2: asStored.length, tif: tif(upcast) }]);
    // No compiled file is left beside the modules.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.evtrail.'))).toEqual([]);
  });

  it('stops at a throwing upcaster with exit 2 naming the event; snapshots know their upcasters', () => {
    const copy = path.join(dir, 'snap.duckdb');
    fs.copyFileSync(db, copy);
    const proj = path.join(dir, 'count.mjs');
    fs.writeFileSync(proj, `export default { name: 'count', initialState: () => ({ n: 0, days: 0 }), evolve: (s, e) => ({ n: s.n + 1, days: s.days + (e.data?.timeInForce === 'DAY' ? 1 : 0) }) };\n`);
    const [firstV1] = cliJson(['query', "select seq, id from events where type = 'OrderPlaced' and schema_version = 1 and dup_kind is distinct from 'redelivery' order by seq limit 1", '--db', db]);
    const throws = path.join(dir, 'throws.mjs');
    fs.writeFileSync(throws, `export default { OrderPlaced: { 1: () => { throw new Error('v1 is gone'); } } };\n`);
    const r = cli(['replay', '--db', copy, '--projection', proj, '--upcasters', throws]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [line, hint, ...rest] = r.stderr.trimEnd().split('\n');
    expect(line).toMatch(new RegExp(`^evtrail: upcaster OrderPlaced v1 \\(\\S+throws\\.mjs\\) failed at event ${firstV1.id} \\(seq ${firstV1.seq}, OrderPlaced v1\\): threw: v1 is gone$`));
    expect(hint).toMatch(/^hint: fix \S*throws\.mjs; evtrail schema upcast --upcasters \S+ --dry-run/);
    expect(rest).toEqual([]);

    const up = path.join(dir, 'day.mjs');
    fs.writeFileSync(up, `export default { OrderPlaced: { 1: (d) => ({ ...d, timeInForce: 'DAY' }) } };\n`);
    const made = cliJson(['snapshot', '--db', copy, '--projection', proj, '--upcasters', up, '--every', '500']);
    expect(made.snapshots.map((s: any) => s.seq)).toContain(1000);
    const full = cliJson(['replay', '--db', copy, '--projection', proj, '--upcasters', up, '--at', 'seq:1200', '--no-snapshots']);
    const fromSnap = cli(['replay', '--db', copy, '--projection', proj, '--upcasters', up, '--at', 'seq:1200', '--json']);
    expect(fromSnap.stderr).toContain('note: replayed from the snapshot at seq 1000');
    expect(JSON.parse(fromSnap.stdout)).toEqual(full);
    // Another upcaster, or none: the snapshots are stale (a note), the replay starts from the first event.
    fs.writeFileSync(up, `export default { OrderPlaced: { 1: (d) => ({ ...d, timeInForce: 'GTC' }) } };\n`);
    for (const extra of [['--upcasters', up], []]) {
      const stale = cli(['replay', '--db', copy, '--projection', proj, ...extra, '--at', 'seq:1200', '--json']);
      expect(stale.code).toBe(0);
      expect(stale.stderr).toMatch(/note: the snapshot of count at seq 1000 was made by other code of the projection: ignored \(the module, or its upcasters/);
      expect(stale.stderr).not.toContain('replayed from the snapshot');
      expect(JSON.parse(stale.stdout).rows[0].n).toBe(full.rows[0].n);
      expect(JSON.parse(stale.stdout).rows[0].days).toBeLessThan(full.rows[0].days);
    }
  });
});
