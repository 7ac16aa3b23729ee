import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { cli, cliJson, tmpDir } from '../helpers.js';

/**
 * `evtrail snapshot` and `evtrail replay` from a snapshot, as a user runs them: the same bytes
 * as a replay from the first event, a note saying where it started, a stale snapshot ignored
 * with a note, bad input refused with exit 2.
 */
let dir: string;
let db: string;
let total: number;
let mid: string;

const module1 = `export default { name: 'perType', initialState: () => ({ n: 0 }), evolve: (s, e) => ({ n: s.n + 1, last: e.id }), keyOf: (e) => e.type };\n`;

beforeAll(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 150, seed: 5, anomalyRate: 0.2 })) lines.push(serializeTradingEvent(e));
  const file = path.join(dir, 'log.ndjson');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  total = cliJson(['ingest', file, '--db', db]).ingested;
  fs.writeFileSync(path.join(dir, 'per-type.mjs'), module1);
  mid = cliJson(['query', `select evt_iso(max(ts)) as t from events where seq <= ${Math.floor(total * 0.6)}`, '--db', db])[0].t;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail snapshot + replay', () => {
  it('makes snapshots every N events and replays from the nearest one, byte for byte the same', () => {
    const made = cliJson(['snapshot', '--projection', 'orders', '--every', '200', '--db', db]);
    expect(made.projection).toBe('orders');
    expect(made.snapshots.map((s: { seq: string }) => Number(s.seq))).toEqual(Array.from({ length: Math.floor(total / 200) }, (_, i) => (i + 1) * 200));
    for (const [at, format] of [[`seq:${Math.floor(total / 2) + 3}`, '--json'], [mid, '--json'], [`seq:${total}`, '--csv']] as const) {
      const withSnap = cli(['replay', '--projection', 'orders', '--at', at, format, '--db', db]);
      const without = cli(['replay', '--projection', 'orders', '--at', at, format, '--no-snapshots', '--db', db]);
      expect(withSnap.code, withSnap.stderr).toBe(0);
      expect(withSnap.stdout).toBe(without.stdout);
      expect(withSnap.stderr).toMatch(/^note: replayed from the snapshot at seq \d+00\n$/);
      expect(without.stderr).toBe('');
    }
    // --diff between two points, each side from its snapshot: the same bytes.
    const diffArgs = ['replay', '--projection', 'orders', '--at', `seq:${Math.floor(total / 3)}`, '--diff', mid, '--json', '--db', db];
    const d1 = cli(diffArgs);
    const d2 = cli([...diffArgs, '--no-snapshots']);
    expect(d1.code, d1.stderr).toBe(0);
    expect(JSON.parse(d1.stdout).rows.length).toBeGreaterThan(10);
    expect(d1.stdout).toBe(d2.stdout);
    expect(d1.stderr.match(/replayed from the snapshot at seq \d+/g)?.length).toBe(2);
    // Before the first snapshot: no note, a full replay.
    expect(cli(['replay', '--projection', 'orders', '--at', 'seq:150', '--json', '--db', db]).stderr).toBe('');
  });

  it('a custom module: snapshots used while its code is the same, ignored with a note after it changes', () => {
    const file = path.join(dir, 'per-type.mjs');
    const made = cliJson(['snapshot', '--projection', file, '--every', '300', '--db', db]);
    expect(made.snapshots.length).toBe(Math.floor(total / 300));
    const at = `seq:${total - 5}`;
    const a = cli(['replay', '--projection', file, '--at', at, '--json', '--db', db]);
    expect(a.stderr).toMatch(/replayed from the snapshot at seq \d+/);
    expect(a.stdout).toBe(cli(['replay', '--projection', file, '--at', at, '--json', '--no-snapshots', '--db', db]).stdout);
    const diffArgs = ['replay', '--projection', file, '--at', `seq:${Math.floor(total / 2)}`, '--diff', at, '--json', '--db', db];
    const d1 = cli(diffArgs);
    expect(d1.stderr).toMatch(/replayed from the snapshot/);
    expect(JSON.parse(d1.stdout).rows.length).toBeGreaterThan(3);
    expect(d1.stdout).toBe(cli([...diffArgs, '--no-snapshots']).stdout);
    // The code changes: the snapshots are stale.
    fs.writeFileSync(file, module1.replace('n: s.n + 1', 'n: s.n + 2'));
    const b = cli(['replay', '--projection', file, '--at', at, '--json', '--db', db]);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/^note: the snapshot of perType at seq \d+ was made by other code of the projection: ignored/);
    expect(b.stderr).not.toMatch(/replayed from/);
    const rows = JSON.parse(b.stdout).rows as { key: string; n: number }[];
    const counts = cliJson(['query', `select type, count(*)::INTEGER as n from events where seq <= ${total - 5} and dup_kind is distinct from 'redelivery' group by all`, '--db', db]);
    const byType = new Map(counts.map((c: { type: string; n: number }) => [c.type, c.n]));
    for (const r of rows) expect(r.n, r.key).toBe(2 * (byType.get(r.key) as number));
  });

  it('a custom module whose imported helper changes: the snapshots are stale too (keyed by what the module loads)', () => {
    const sub = path.join(dir, 'graph');
    fs.mkdirSync(path.join(sub, 'lib'), { recursive: true });
    const file = path.join(sub, 'counted.mjs');
    fs.writeFileSync(file, `import { step } from './lib/step.mjs';\nexport default { name: 'counted', initialState: () => ({ n: 0 }), evolve: (s) => ({ n: s.n + step() }), keyOf: (e) => e.type };\n`);
    fs.writeFileSync(path.join(sub, 'lib', 'step.mjs'), `import { one } from './one.mjs';\nexport const step = () => one;\n`);
    fs.writeFileSync(path.join(sub, 'lib', 'one.mjs'), `export const one = 1;\n`);
    expect(cliJson(['snapshot', '--projection', file, '--every', '300', '--db', db]).snapshots.length).toBeGreaterThan(0);
    const at = `seq:${total - 5}`;
    expect(cli(['replay', '--projection', file, '--at', at, '--json', '--db', db]).stderr).toMatch(/replayed from the snapshot/);
    // A module two imports away changes: what the projection computes changes.
    fs.writeFileSync(path.join(sub, 'lib', 'one.mjs'), `export const one = 3;\n`);
    const b = cli(['replay', '--projection', file, '--at', at, '--json', '--db', db]);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/snapshot of counted at seq \d+ was made by other code of the projection: ignored/);
    expect(b.stdout).toBe(cli(['replay', '--projection', file, '--at', at, '--json', '--no-snapshots', '--db', db]).stdout);
  });

  it('refuses bad input with one line and exit 2', () => {
    for (const args of [
      ['--projection', 'orders', '--every', '0'],
      ['--projection', 'orders', '--every', 'lots'],
      ['--projection', 'nope', '--every', '10'],
      ['--projection', './no-such-module.mjs', '--every', '10'],
    ]) {
      const r = cli(['snapshot', ...args, '--db', db]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
  });
});
