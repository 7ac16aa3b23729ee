/**
 * `replay --projection book` on the real LOBSTER AMZN sample (../shared/data/lobster, SOURCE.md),
 * through the built CLI: the message file is ingested, the book is seeded from a row of the
 * orderbook file and replayed over the messages after it, and everything it says is checked
 * against a plain JavaScript fold of the two CSV files written here (no DuckDB, no evtrail code):
 * the levels it knows, and exactly the rows where the log contradicts itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, SHARED, tmpDir } from '../helpers.js';

const DATA = path.join(SHARED, 'data', 'lobster');
const MESSAGES = path.join(DATA, 'AMZN_2012-06-21_34200000_57600000_message_1.csv');
const ORDERBOOK = path.join(DATA, 'AMZN_2012-06-21_34200000_57600000_orderbook_1.csv');

interface Message { time: string; type: number; orderId: string; size: number; price: number; side: 'ask' | 'bid' }
type Level = { price: number; size: number };

const messages: Message[] = fs.readFileSync(MESSAGES, 'utf8').trimEnd().split('\n').map((line) => {
  const [time, type, orderId, size, price, direction] = line.split(',');
  return { time: time!, type: Number(type), orderId: orderId!, size: Number(size), price: Number(price), side: direction === '-1' ? 'ask' : 'bid' };
});
const book: number[][] = fs.readFileSync(ORDERBOOK, 'utf8').trimEnd().split('\n').map((line) => line.split(',').map(Number));

interface Contradiction { row: number; kind: 'over-removal' | 'book-file'; side: 'ask' | 'bid'; file?: Level[]; replay?: Level[] }

/**
 * The reference: the seed row's level 1 per side; a price at or better than it is known (every
 * order there is in the seed or in the messages); types 1–4 add / remove their size at their
 * price; after each message the known best level must be the file's (when the file's best lies
 * in the known region), else the row is a contradiction. A removal below what the order (seen
 * submitted) or the level's volume from before the seed holds is an over-removal.
 */
function referenceReplay(seedRow: number, lastRow = messages.length) {
  const [ap, as, bp, bs] = book[seedRow - 1]!;
  const bound = { ask: ap!, bid: bp! };
  const known = (side: 'ask' | 'bid', price: number) => (side === 'ask' ? price <= bound.ask : price >= bound.bid);
  const levels = { ask: new Map([[ap!, as!]]), bid: new Map([[bp!, bs!]]) };
  const unseen = { ask: new Map([[ap!, as!]]), bid: new Map([[bp!, bs!]]) };
  const seen = new Set(messages.slice(seedRow, lastRow).filter((m) => m.type === 1).map((m) => m.orderId));
  const orderLeft = new Map<string, number>();
  const best = (side: 'ask' | 'bid'): Level[] => {
    let top: Level | undefined;
    for (const [price, size] of levels[side]) {
      if (size > 0 && (!top || (side === 'ask' ? price < top.price : price > top.price))) top = { price, size };
    }
    return top ? [top] : [];
  };
  const contradictions: Contradiction[] = [];
  for (let row = seedRow + 1; row <= lastRow; row++) {
    const m = messages[row - 1]!;
    if (m.type >= 1 && m.type <= 4 && known(m.side, m.price)) {
      const delta = m.type === 1 ? m.size : -m.size;
      levels[m.side].set(m.price, (levels[m.side].get(m.price) ?? 0) + delta);
      let left: number;
      if (seen.has(m.orderId)) {
        left = (orderLeft.get(m.orderId) ?? 0) + delta;
        orderLeft.set(m.orderId, left);
      } else {
        left = (unseen[m.side].get(m.price) ?? 0) + delta;
        unseen[m.side].set(m.price, left);
      }
      if (m.type !== 1 && left < 0) contradictions.push({ row, kind: 'over-removal', side: m.side });
    }
    const [fap, fas, fbp, fbs] = book[row - 1]!;
    for (const side of ['ask', 'bid'] as const) {
      const [price, size] = side === 'ask' ? [fap!, fas!] : [fbp!, fbs!];
      const file = known(side, price) ? [{ price, size }] : [];
      const replay = best(side);
      if (JSON.stringify(file) !== JSON.stringify(replay)) contradictions.push({ row, kind: 'book-file', side, file, replay });
    }
  }
  const sorted = (side: 'ask' | 'bid') => [...levels[side]].filter(([, s]) => s > 0).sort((x, y) => (side === 'ask' ? x[0] - y[0] : y[0] - x[0]));
  // In the order evtrail lists them: by row, then kind, then side.
  const order = (c: Contradiction) => [String(c.row).padStart(8, '0'), c.kind, c.side].join(' ');
  contradictions.sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0));
  return { contradictions, asks: sorted('ask'), bids: sorted('bid'), bound };
}

let dir: string;
let db: string;

beforeAll(() => {
  dir = tmpDir('evtrail-book-');
  db = path.join(dir, 'amzn.duckdb');
  const ingest = cliJson(['ingest', MESSAGES, '--preset', 'lobster', '--db', db]);
  expect(ingest).toMatchObject({ ingested: messages.length, rejected: 0 });
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const key = (c: { row: number; kind: string; side: string }) => `${c.row} ${c.kind} ${c.side}`;

describe('book seeded from an orderbook row (AMZN 2012-06-21)', () => {
  it('the pair has as many rows as SOURCE.md says', () => {
    expect(messages.length).toBe(57_515);
    expect(book.length).toBe(57_515);
  });

  for (const seedRow of [100, 20_000]) {
    it(`seeded at row ${seedRow} and replayed to the end: the contradictions are exactly the reference's`, () => {
      const out = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:${seedRow}`]);
      const ref = referenceReplay(seedRow);
      expect(out).toMatchObject({ projection: 'book', symbol: 'AMZN', complete: true, seed: { row: seedRow, fileLevels: 1 } });
      expect(out.seed.knownThrough).toEqual({ ask: ref.bound.ask / 10000, bid: ref.bound.bid / 10000 });
      const got = out.contradictions as (Contradiction & { seq: string; file: Level[] | null; replay: Level[] | null })[];
      expect(got.map(key)).toEqual(ref.contradictions.map(key));
      // The book-file rows also carry the same levels on both sides of the disagreement.
      const refByKey = new Map(ref.contradictions.map((c) => [key(c), c]));
      for (const c of got.filter((x) => x.kind === 'book-file')) {
        const r = refByKey.get(key(c))!;
        expect({ file: c.file, replay: c.replay }).toEqual({ file: r.file, replay: r.replay });
      }
      // Each row is the message of the same number (row i of the orderbook file is the book after message i).
      for (const c of got.slice(0, 50)) expect(c.seq).toBe(String(c.row));
      // Both kinds occur, so the checks above compare something.
      expect(ref.contradictions.some((c) => c.kind === 'book-file')).toBe(true);
      expect(ref.contradictions.some((c) => c.kind === 'over-removal')).toBe(true);
      // The final book: the reference's known levels, best first, all complete; then where knowledge stops.
      const asks = (out.rows as any[]).filter((r) => r.side === 'ask' && r.price !== null);
      expect(asks.map((r) => [r.priceTicks, r.size])).toEqual(ref.asks.map(([p, s]) => [String(p), s]));
      expect(asks.every((r) => r.complete === true)).toBe(true);
      const bids = (out.rows as any[]).filter((r) => r.side === 'bid' && r.price !== null);
      expect(bids.map((r) => [r.priceTicks, r.size])).toEqual(ref.bids.map(([p, s]) => [String(p), s]));
      expect(out.rows.filter((r: any) => r.price === null)).toEqual([
        expect.objectContaining({ side: 'ask', level: asks.length + 1, size: null, complete: false }),
        expect.objectContaining({ side: 'bid', level: bids.length + 1, size: null, complete: false }),
      ]);
    }, 120_000);
  }

  it('finds the lost order of SOURCE.md: 16797917 (sell 100 @ 224.03) is gone from the file from row 126 on', () => {
    const out = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', 'seq:130']);
    const fileRows = out.contradictions.filter((c: any) => c.kind === 'book-file');
    expect(fileRows.map((c: any) => c.row)).toEqual([126, 127, 128, 129, 130]);
    expect(fileRows[0]).toMatchObject({ side: 'ask', file: [{ price: 2240700, size: 100 }], replay: [{ price: 2240300, size: 100 }] });
    // One run: every row from 126 on says since 126.
    expect(fileRows.map((c: any) => c.since)).toEqual([126, 126, 126, 126, 126]);
    expect(out.counts).toEqual({ 'book-file': 5, 'over-removal': 0 });
    // Up to row 125 the files agree with the replay.
    const before = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', 'seq:125']);
    expect(before.contradictions).toEqual([]);
    expect(before.rows.filter((r: any) => r.price !== null).map((r: any) => [r.side, r.priceTicks, r.size, r.orders, r.unseenSize])).toEqual([
      ['ask', '2240200', 29, 1, 0], ['ask', '2240300', 100, 1, 0], ['ask', '2240700', 100, 0, 100], ['bid', '2239200', 87, 1, 0], ['bid', '2238900', 100, 1, 0],
    ]);
  });

  it('--at as seconds after midnight, top N levels, in text and CSV', () => {
    const cutRow = messages.findLastIndex((m) => Number(m.time) <= 34500.5) + 1;
    const ref = referenceReplay(100, cutRow);
    const out = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', '34500.5', '--levels', '3']);
    // 34500.5 is New York's 09:35:00.5, 13:35:00.5Z (daylight time).
    expect(out).toMatchObject({ at: '2012-06-21T13:35:00.500000000Z', atLocal: '2012-06-21T09:35:00.500000000-04:00', timeZone: 'America/New_York' });
    expect(out.rows.filter((r: any) => r.side === 'ask').map((r: any) => [r.level, r.priceTicks, r.size])).toEqual(
      ref.asks.slice(0, 3).map(([p, s], i) => [i + 1, String(p), s]),
    );
    expect(out.contradictions.map(key)).toEqual(ref.contradictions.map(key));
    const text = cli(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', '34500.5', '--levels', '3']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/known through ask 224\.07 and bid 223\.89/);
    expect(text.stdout).toMatch(/where the log contradicts itself/);
    const csv = cli(['replay', '--db', db, '--projection', 'book', '--symbol', 'AMZN', '--at', '34500.5', '--levels', '2', '--csv']);
    expect(csv.stdout.split('\n')[0]).toBe('symbol,side,level,price,priceTicks,size,orders,unseenSize,complete');
    expect(csv.stdout.trimEnd().split('\n')).toHaveLength(5);
  });
});

describe('book from the messages alone', () => {
  it('counts the orders submitted in the log, says it is not complete, and agrees with book_at in evtrail query', () => {
    const cutRow = messages.findLastIndex((m) => Number(m.time) <= 34500.5) + 1;
    // Reference: per order seen submitted, submitted − cancelled − deleted − executed.
    const orders = new Map<string, { side: 'ask' | 'bid'; price: number; left: number; submitted: boolean }>();
    for (const m of messages.slice(0, cutRow)) {
      if (m.type < 1 || m.type > 4) continue;
      const o = orders.get(m.orderId) ?? { side: m.side, price: m.price, left: 0, submitted: false };
      o.left += m.type === 1 ? m.size : -m.size;
      o.submitted ||= m.type === 1;
      orders.set(m.orderId, o);
    }
    const levels = new Map<string, { size: number; orders: number }>();
    for (const o of orders.values()) {
      if (!o.submitted || o.left <= 0) continue;
      const l = levels.get(`${o.side} ${o.price}`) ?? { size: 0, orders: 0 };
      l.size += o.left;
      l.orders += 1;
      levels.set(`${o.side} ${o.price}`, l);
    }
    const expected = [...levels].map(([k, l]) => {
      const [side, price] = k.split(' ');
      return [side!, Number(price), l.size, l.orders] as const;
    }).sort((x, y) => (x[0] === y[0] ? (x[0] === 'ask' ? x[1] - y[1] : y[1] - x[1]) : x[0] < y[0] ? -1 : 1));
    const out = cliJson(['replay', '--db', db, '--projection', 'book', '--at', '34500.5']);
    expect(out).toMatchObject({ complete: false, seed: null, contradictions: [] });
    expect(out.rows.map((r: any) => [r.side, Number(r.priceTicks), r.size, r.orders])).toEqual(expected);
    expect(out.rows.every((r: any) => r.complete === false && r.symbol === 'AMZN')).toBe(true);
    const query = cliJson(['query', `select * from book_at('2012-06-21 13:35:00.5') order by symbol, side, level`, '--db', db]);
    expect(query).toEqual(out.rows);
  });
});

describe('book: bad input', () => {
  it('refuses a seed after the cut, a row past the file, a bad --seed-book, --levels 0, and book flags on another projection', () => {
    const cases: [string[], RegExp][] = [
      [['--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', 'seq:50'], /before the seed/],
      [['--projection', 'book', '--seed-book', `${ORDERBOOK}:99999999`], /has 57515 rows/],
      [['--projection', 'book', '--seed-book', ORDERBOOK], /FILE:ROW/],
      [['--projection', 'book', '--seed-book', `${MESSAGES}:1`], /its first line has 6 fields/],
      [['--projection', 'book', '--levels', '0'], /--levels 0/],
      [['--projection', 'book', '--symbol', 'MSFT'], /--symbol MSFT/],
      [['--projection', 'orders', '--symbol', 'AMZN'], /--symbol goes with --projection book/],
    ];
    for (const [args, message] of cases) {
      const r = cli(['replay', '--db', db, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/hint:/);
    }
  });
});

describe('book seeded from a two-level orderbook file (written here)', () => {
  it('knows a side whole when the seed has fewer levels than the file, compares both levels, and flags an over-removal', () => {
    const tmp = tmpDir('evtrail-book2-');
    try {
      const name = (kind: string) => path.join(tmp, `TEST_2012-06-21_34200000_57600000_${kind}_2.csv`);
      // time, type, order, size, price, direction
      fs.writeFileSync(name('message'), [
        '34200.1,1,1,100,1000000,-1', // 1 ask 100.00 × 100 (before the seed: unseen)
        '34200.2,1,2,50,999000,1', // 2 bid 99.90 × 50 (unseen)
        '34200.3,1,3,30,1001000,-1', // 3 ask 100.10 × 30: the seed row
        '34200.4,1,4,20,1002000,-1', // 4 ask 100.20 × 20: deeper than the seed's level 2
        '34200.5,3,3,30,1001000,-1', // 5 delete order 3
        '34200.6,4,2,60,999000,1', // 6 executes 60 of the 50 order 2 has (from the seed's bid volume)
        '34200.7,2,9,10,1000000,-1', // 7 cancels 10 at 100.00; the file loses 10 more
        '34200.8,1,10,5,1000500,-1', // 8 ask 100.05 × 5 (seen)
      ].join('\n') + '\n');
      const E = '9999999999,0';
      const B = '-9999999999,0';
      // ask p1, s1, bid p1, s1, ask p2, s2, bid p2, s2
      fs.writeFileSync(name('orderbook'), [
        `1000000,100,${B},${E},${B}`,
        `1000000,100,999000,50,${E},${B}`,
        `1000000,100,999000,50,1001000,30,${B}`,
        `1000000,100,999000,50,1001000,30,${B}`,
        `1000000,100,999000,50,1002000,20,${B}`,
        `1000000,100,${B},1002000,20,${B}`,
        `1000000,80,${B},1002000,20,${B}`,
        `1000000,80,${B},1000500,5,${B}`,
      ].join('\n') + '\n');
      const store = path.join(tmp, 's.duckdb');
      expect(cliJson(['ingest', name('message'), '--preset', 'lobster', '--db', store])).toMatchObject({ ingested: 8, rejected: 0 });
      const out = cliJson(['replay', '--db', store, '--projection', 'book', '--seed-book', `${name('orderbook')}:3`]);
      expect(out.seed).toMatchObject({ row: 3, fileLevels: 2, knownThrough: { ask: 100.1, bid: null } });
      expect(out.contradictions.map((c: any) => [c.row, c.kind, c.side, c.since])).toEqual([
        [6, 'over-removal', 'bid', 6],
        [7, 'book-file', 'ask', 7],
        [8, 'book-file', 'ask', 7],
      ]);
      expect(out.contradictions[0].detail).toMatch(/executes 60 of order 2 at 99\.9000, submitted before the seed, where the level holds 50/);
      expect(out.contradictions[2]).toMatchObject({
        file: [{ price: 1000000, size: 80 }, { price: 1000500, size: 5 }],
        replay: [{ price: 1000000, size: 90 }, { price: 1000500, size: 5 }],
      });
      // The book: two known ask levels, then where knowledge stops (100.20 is deeper than the seed knew); no bid level left, and no marker (every bid price is known).
      expect(out.rows.map((r: any) => [r.side, r.level, r.priceTicks, r.size, r.orders, r.unseenSize, r.complete])).toEqual([
        ['ask', 1, '1000000', 90, 0, 90, true],
        ['ask', 2, '1000500', 5, 1, 0, true],
        ['ask', 3, null, null, null, null, false],
      ]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
