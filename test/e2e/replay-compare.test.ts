import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';

/**
 * `evtrail replay --projection ./v2.mjs --compare ./v1.mjs`: both versions over the same events,
 * diffed entity by entity; the expected diff is worked out here from the store's events.
 */
let dir: string;
let db: string;
let total: number;

// v1: per order stream (not those ending in 3) the events and the fills, partial or full.
const v1 = `export default { name: 'fills-v1', initialState: () => ({ events: 0, fills: 0 }),
  evolve: (s, e) => ({ events: s.events + 1, fills: s.fills + (e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled' ? 1 : 0) }),
  keyOf: (e) => (e.stream && !e.stream.endsWith('3') ? e.stream : null) };\n`;
// v2: every stream but those ending in 5; only complete fills count; the last type is kept.
const v2 = `export default { name: 'fills-v2', initialState: () => ({ events: 0, fills: 0 }),
  evolve: (s, e) => ({ events: s.events + 1, fills: s.fills + (e.type === 'OrderFilled' ? 1 : 0), lastType: e.type }),
  keyOf: (e) => (e.stream && !e.stream.endsWith('5') ? e.stream : null) };\n`;

interface Ev {
  seq: number;
  stream: string | null;
  type: string;
}

beforeAll(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 80, seed: 12, anomalyRate: 0.2 })) lines.push(serializeTradingEvent(e));
  const file = path.join(dir, 'log.ndjson');
  // Every 7th line again: redeliveries, which neither version sees twice.
  fs.writeFileSync(file, [...lines, ...lines.filter((_, i) => i % 7 === 0)].join('\n') + '\n');
  total = cliJson(['ingest', file, '--db', db]).ingested;
  fs.writeFileSync(path.join(dir, 'v1.mjs'), v1);
  fs.writeFileSync(path.join(dir, 'v2.mjs'), v2);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function expectedDiff(events: Ev[]) {
  const per = new Map<string, { events: number; partial: number; full: number; last: string }>();
  for (const e of events) {
    if (!e.stream) continue;
    const s = per.get(e.stream) ?? { events: 0, partial: 0, full: 0, last: '' };
    s.events++;
    if (e.type === 'OrderPartiallyFilled') s.partial++;
    if (e.type === 'OrderFilled') s.full++;
    s.last = e.type;
    per.set(e.stream, s);
  }
  const out: { key: string; change: string; fields: string[] }[] = [];
  for (const stream of [...per.keys()].sort()) {
    const s = per.get(stream)!;
    const inOld = !stream.endsWith('3');
    const inNew = !stream.endsWith('5');
    if (inOld && !inNew) out.push({ key: stream, change: 'removed', fields: ['key', 'events', 'fills'] });
    else if (!inOld && inNew) out.push({ key: stream, change: 'added', fields: ['key', 'events', 'fills', 'lastType'] });
    else if (inOld && inNew) out.push({ key: stream, change: 'changed', fields: s.partial > 0 ? ['fills', 'lastType'] : ['lastType'] });
  }
  return out;
}

function storeEvents(upTo: number): Ev[] {
  return cliJson(['query', `select seq, stream, type from events where seq <= ${upTo} and dup_kind is distinct from 'redelivery' order by seq`, '--db', db]).map(
    (r: any) => ({ seq: Number(r.seq), stream: r.stream, type: r.type }),
  );
}

describe('evtrail replay --compare (built CLI)', () => {
  it('diffs two versions of a projection entity by entity, at the end and at a seq', () => {
    for (const upTo of [total, Math.floor(total / 2)]) {
      const args = ['replay', '--db', db, '--projection', path.join(dir, 'v2.mjs'), '--compare', path.join(dir, 'v1.mjs')];
      if (upTo !== total) args.push('--at', `seq:${upTo}`);
      const out = cliJson(args);
      expect(Object.keys(out)).toEqual(['at', 'projection', 'compare', 'rows']);
      expect([out.projection, out.compare]).toEqual(['fills-v2', 'fills-v1']);
      const expected = expectedDiff(storeEvents(upTo));
      expect(expected.map((r) => r.change)).toContain('added');
      expect(expected.map((r) => r.change)).toContain('removed');
      expect(out.rows.map((r: any) => ({ key: r.key, change: r.change, fields: r.fields }))).toEqual(expected);
      // before is v1's state, after v2's.
      const changed = out.rows.find((r: any) => r.change === 'changed' && r.fields.includes('fills'));
      expect(changed.before.fills).toBeGreaterThan(changed.after.fills);
      expect(changed.before.events).toBe(changed.after.events);
    }
  });

  it('prints one line per changed field as text; refuses --compare with a built-in or with --diff', () => {
    const text = cli(['replay', '--db', db, '--projection', path.join(dir, 'v2.mjs'), '--compare', path.join(dir, 'v1.mjs'), '--limit', '5']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/fills-v2 \(--projection\) against fills-v1 \(--compare\)/);
    expect(text.stdout).toMatch(/\d+ added, \d+ removed, \d+ changed/);
    for (const args of [
      ['--projection', 'orders', '--compare', path.join(dir, 'v1.mjs')],
      ['--projection', path.join(dir, 'v2.mjs'), '--compare', 'orders'],
      ['--projection', path.join(dir, 'v2.mjs'), '--compare', path.join(dir, 'v1.mjs'), '--at', 'seq:10', '--diff', 'seq:20'],
      ['--projection', path.join(dir, 'v2.mjs'), '--compare', path.join(dir, 'nope.mjs')],
    ]) {
      const r = cli(['replay', '--db', db, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });
});

describe("src/replay/README.md's example modules (examples/projections) on the bundled sample", () => {
  const example = (name: string) => path.join(ROOT, 'examples', 'projections', name);
  let sampleDb: string;
  beforeAll(() => {
    sampleDb = path.join(tmpDir(), 'sample.duckdb');
    expect(cli(['ingest', path.join(ROOT, 'fixtures', 'trading-sample.ndjson'), '--db', sampleDb, '--quiet']).code).toBe(0);
  });

  it('fills.mjs with upcasters.mjs: a v1 OrderPlaced reads as a day order; without the upcasters it has no time in force', () => {
    const row = (extra: string[]) => cliJson(['replay', '--db', sampleDb, '--projection', example('fills.mjs'), '--key', 'ord-00000001', ...extra, '--json']).rows[0];
    // ord-00000001: OrderPlaced v1 (no timeInForce), a partial fill of 616 at 241.89, a fill of 684 at 241.83.
    expect(row(['--upcasters', example('upcasters.mjs')])).toEqual({ key: 'ord-00000001', symbol: 'IBM', timeInForce: 'DAY', fills: 2, filledQty: 1300, lastPrice: 241.83 });
    expect(row([]).timeInForce).toBeNull();
    const diff = cliJson(['replay', '--db', sampleDb, '--projection', example('fills.mjs'), '--upcasters', example('upcasters.mjs'), '--at', '09:31', '--diff', '09:32', '--json']);
    expect(diff.rows.length).toBeGreaterThan(0);
  });

  it('fills-v2.mjs --compare fills.mjs: the average price instead of the last; schema upcast accepts upcasters.mjs', () => {
    const cmp = cliJson(['replay', '--db', sampleDb, '--projection', example('fills-v2.mjs'), '--compare', example('fills.mjs'), '--key', 'ord-00000001', '--json']);
    expect(cmp.rows).toHaveLength(1);
    expect(cmp.rows[0].fields).toEqual(['lastPrice', 'avgPrice']);
    expect(cmp.rows[0].after.avgPrice).toBe(241.8584); // (616 × 241.89 + 684 × 241.83) / 1300
    const upcast = cli(['schema', 'upcast', '--db', sampleDb, '--upcasters', example('upcasters.mjs'), '--dry-run', '--json']);
    expect(upcast.code, upcast.stderr).toBe(0);
    expect(JSON.parse(upcast.stdout).ok).toBe(true);
  });
});
