// The replay screen's positions step reads only the orders that can move a touched position:
// its changes must equal the whole projection's diff, step after step (seq steps, time steps,
// backwards), on a generated log plus orders that share a position and one that is re-placed
// under another account and symbol (its fills move).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atCondition, type At } from '../../src/core/time.js';
import { builtin } from '../../src/replay/builtins.js';
import type { DiffRow } from '../../src/replay/diff.js';
import { builtinDiff } from '../../src/replay/query.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { replayStep, timeAt } from '../../src/ui/app/data/replay.js';
import { ROOT, cli, tmpDir } from '../helpers.js';

let store: Store;
let lastSeq = 0;
let handMadeFrom = 0;

const event = (n: number, stream: string, type: string, ts: string, data: Record<string, unknown>) =>
  JSON.stringify({ id: `evt-hand-${n}`, stream, rev: n, type, ts, source: 'oms', data });

beforeAll(async () => {
  const dir = tmpDir('evtrail-ui-replay-');
  const log = path.join(dir, 'log.ndjson');
  execFileSync(process.execPath, [path.join(ROOT, 'dist/fixtures/generate.js'), '--orders', '200', '--anomalies', '0.1', '--seed', '11', '--out', log]);
  const placed = (orderId: string, accountId: string, symbol: string, side: string) => ({ orderId, accountId, symbol, side, qty: 100, limitPrice: 10, orderType: 'LIMIT' });
  const fill = (orderId: string, q: number, p: number) => ({ orderId, fillQty: q, fillPrice: p, cumQty: q, leavesQty: 0, tradeId: `T-${orderId}-${q}` });
  const hand = [
    event(1, 'order-t1', 'OrderPlaced', '2025-08-26T17:00:00Z', placed('t1', 'acc-T', 'SYM', 'BUY')),
    event(2, 'order-t2', 'OrderPlaced', '2025-08-26T17:00:01Z', placed('t2', 'acc-T', 'SYM', 'SELL')),
    event(3, 'order-t1', 'OrderPartiallyFilled', '2025-08-26T17:00:02Z', fill('t1', 40, 10)),
    event(4, 'order-t2', 'OrderFilled', '2025-08-26T17:00:03Z', fill('t2', 10, 12)),
    event(5, 'order-t3', 'OrderPlaced', '2025-08-26T17:00:04Z', placed('t3', 'acc-T', 'SYM', 'BUY')),
    event(6, 'order-t3', 'OrderPartiallyFilled', '2025-08-26T17:00:05Z', fill('t3', 5, 11)),
    // Re-placed under another account and symbol: its fill above moves from acc-T/SYM.
    event(7, 'order-t3', 'OrderPlaced', '2025-08-26T17:00:06Z', placed('t3', 'acc-U', 'OTHER', 'BUY')),
    event(8, 'order-t3', 'OrderFilled', '2025-08-26T17:00:07Z', fill('t3', 7, 11.5)),
    event(9, 'order-t1', 'OrderFilled', '2025-08-26T17:00:08Z', fill('t1', 60, 9)),
    // A stream name holding ', ' (the step lists streams as SQL literals).
    event(10, 'order-t4, x', 'OrderPlaced', '2025-08-26T17:00:09Z', placed('t4', 'acc-T', 'SYM', 'BUY')),
    event(11, 'order-t4, x', 'OrderFilled', '2025-08-26T17:00:10Z', fill('t4', 3, 10)),
  ];
  const extra = path.join(dir, 'hand.ndjson');
  fs.writeFileSync(extra, hand.join('\n') + '\n');
  const db = path.join(dir, 'replay.duckdb');
  for (const file of [log, extra]) {
    const r = cli(['ingest', file, '--db', db]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  store = await Store.open(db, { readOnly: true });
  await store.run(MACROS_SQL);
  lastSeq = Number((await store.all('SELECT max(seq)::INTEGER AS n FROM events'))[0]!.n);
  handMadeFrom = lastSeq - hand.length + 1;
});
afterAll(() => store?.close());

const seqAt = (n: number): At => ({ kind: 'seq', seq: BigInt(n), input: `seq:${n}` });
const sorted = (rows: DiffRow[]) => rows.map((r) => JSON.stringify(r)).sort();

async function same(from: At, to: At): Promise<DiffRow[]> {
  const def = builtin('positions')!;
  const step = await replayStep(store, def, from, to);
  const whole = await builtinDiff(store, def, atCondition(from), atCondition(to));
  expect(step.partial).toBe(false);
  expect(sorted(step.changes)).toEqual(sorted(whole));
  return step.changes;
}

describe('replay screen: a positions step', () => {
  it('equals the whole projection\'s diff over the hand-made orders, one event at a time and back', async () => {
    let changed = 0;
    for (let n = handMadeFrom; n <= lastSeq; n++) {
      changed += (await same(seqAt(n - 1), seqAt(n))).length;
      await same(seqAt(n), seqAt(n - 1));
    }
    // The re-placing OrderPlaced changes two positions: acc-T/SYM loses the fill, acc-U/OTHER is opened.
    const moved = await same(seqAt(handMadeFrom + 5), seqAt(handMadeFrom + 6));
    expect(moved.map((d) => `${d.key.accountId}/${d.key.symbol}:${d.change}`).sort()).toEqual(['acc-T/SYM:changed', 'acc-U/OTHER:added']);
    expect(changed).toBeGreaterThan(5);
  });

  it('equals it over generated orders: single events, long seq jumps and time steps', async () => {
    let changed = 0;
    for (let n = 37; n < handMadeFrom; n += 97) changed += (await same(seqAt(n - 1), seqAt(n))).length;
    changed += (await same(seqAt(100), seqAt(900))).length;
    changed += (await same(seqAt(1500), seqAt(400))).length;
    const [row] = await store.all('SELECT epoch_ns(min(ts))::VARCHAR AS lo FROM events');
    const lo = BigInt(String(row!.lo));
    for (const [a, b] of [[60n, 120n], [600n, 30n], [0n, 7200n]] as const) {
      changed += (await same(timeAt(lo + a * 1_000_000_000n), timeAt(lo + b * 1_000_000_000n))).length;
    }
    expect(changed).toBeGreaterThan(20);
  });
});
