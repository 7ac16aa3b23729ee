/**
 * Test helpers for the seeded LOBSTER book (no evtrail code here): a generator of a full-depth
 * LOBSTER day and its level-N cut (as LOBSTER cuts: the orderbook file keeps the top N levels,
 * the message file only the messages that change them), a plain sequential replay of the rule
 * "a price is known while it has stayed in the top N since the seed", and the comparison of what
 * a replay claims with the orderbook file's row.
 */

import { existsSync } from 'node:fs';
import { seededRandom } from './helpers.js';

export type Side = 'ask' | 'bid';
export type Level = { price: number; size: number };
export interface Message { time: string; type: number; orderId: string; size: number; price: number; side: Side }

export function parseMessages(csv: string): Message[] {
  return csv.trimEnd().split('\n').map((line) => {
    const [time, type, orderId, size, price, direction] = line.split(',');
    return { time: time!, type: Number(type), orderId: orderId!, size: Number(size), price: Number(price), side: direction === '-1' ? 'ask' : 'bid' };
  });
}

export function parseOrderbook(csv: string): number[][] {
  return csv.trimEnd().split('\n').map((line) => line.split(',').map(Number));
}

const EMPTY = { ask: 9999999999, bid: -9999999999 };

/** The occupied levels of an orderbook row on one side, best first. */
export function fileLevels(row: number[], side: Side): Level[] {
  const out: Level[] = [];
  for (let k = 0; 4 * k < row.length; k++) {
    const price = row[4 * k + (side === 'ask' ? 0 : 2)]!;
    if (price === EMPTY[side]) break;
    out.push({ price, size: row[4 * k + (side === 'ask' ? 1 : 3)]! });
  }
  return out;
}

const isBetter = (side: Side, a: number, b: number) => (side === 'ask' ? a < b : a > b);

/**
 * The reference replay, one message at a time: the seed row's levels, known through its deepest
 * (every price when the side has fewer occupied levels than the file's columns), no deeper than
 * the N-th; a message at a known price changes its level; after each message, a side with N or
 * more occupied known levels is known no deeper than its N-th.
 */
export function referenceKnown(messages: Message[], book: number[][], levels: number, seedRow: number, cutRow: number): Record<Side, { bound: number | null; levels: Level[] }> {
  const columns = book[seedRow - 1]!.length / 4;
  const out = {} as Record<Side, { bound: number | null; levels: Level[] }>;
  for (const side of ['ask', 'bid'] as const) {
    const seed = fileLevels(book[seedRow - 1]!, side);
    let bound: number | null = seed.length >= levels ? seed[levels - 1]!.price : seed.length < columns ? null : seed.at(-1)!.price;
    const known = (price: number) => bound === null || !isBetter(side, bound, price);
    const sizes = new Map<number, number>();
    for (const l of seed) if (known(l.price)) sizes.set(l.price, l.size);
    for (let row = seedRow + 1; row <= cutRow; row++) {
      const m = messages[row - 1]!;
      if (m.side === side && m.type >= 1 && m.type <= 4 && known(m.price)) sizes.set(m.price, (sizes.get(m.price) ?? 0) + (m.type === 1 ? m.size : -m.size));
      const occupied = [...sizes].filter(([p, s]) => s > 0 && known(p)).map(([p]) => p).sort((a, b) => (isBetter(side, a, b) ? -1 : 1));
      if (occupied.length >= levels) bound = occupied[levels - 1]!;
    }
    const shown = [...sizes].filter(([p, s]) => s > 0 && known(p)).map(([price, size]) => ({ price, size })).sort((a, b) => (isBetter(side, a.price, b.price) ? -1 : 1));
    out[side] = { bound, levels: shown };
  }
  return out;
}

/** What a replay's rows claim against the orderbook file's row at the cut. */
export function tally(rows: { side: string; level: number; priceTicks: number | string | null; size: number | null; complete: boolean }[], fileRow: number[]) {
  let claimed = 0;
  let wrong = 0;
  let unknown = 0;
  for (const side of ['ask', 'bid'] as const) {
    const file = fileLevels(fileRow, side);
    const claims = rows.filter((r) => r.side === side && r.complete);
    claimed += claims.length;
    for (const r of claims) {
      const f = file[r.level - 1];
      // A claimed level past the file's columns cannot be checked against it; none is expected here.
      if (r.level > fileRow.length / 4) continue;
      if (!f || String(f.price) !== String(r.priceTicks) || f.size !== r.size) wrong++;
    }
    unknown += file.filter((_, i) => !claims.some((r) => r.level === i + 1)).length;
  }
  return { claimed, wrong, unknown };
}

const prng = seededRandom;

export interface GeneratedDay {
  /** Every message of the day (LOBSTER's columns), and the full-depth book after each. */
  messages: Message[];
  books: Record<Side, Level[]>[];
  /** The book before the first message. */
  initial: Record<Side, Level[]>;
}

/**
 * A full-depth LOBSTER day: a book already populated before the first message (as at 09:30),
 * then submissions (at the best, inside the spread, or deep), partial cancels, deletions of any
 * resting order (mostly deep ones), executions at the best and hidden executions. Never crossed.
 */
export function generateDay(seed: number, count: number): GeneratedDay {
  const rand = prng(seed);
  const TICK = 100;
  const orders = new Map<string, { side: Side; price: number; size: number }>();
  const queue = { ask: new Map<number, string[]>(), bid: new Map<number, string[]>() };
  let nextId = 1000;
  const add = (side: Side, price: number, size: number) => {
    const id = String(nextId++);
    orders.set(id, { side, price, size });
    queue[side].set(price, [...(queue[side].get(price) ?? []), id]);
    return id;
  };
  const remove = (id: string, size: number) => {
    const o = orders.get(id)!;
    o.size -= size;
    if (o.size > 0) return;
    orders.delete(id);
    const q = queue[o.side].get(o.price)!.filter((x) => x !== id);
    if (q.length) queue[o.side].set(o.price, q);
    else queue[o.side].delete(o.price);
  };
  const prices = (side: Side) => [...queue[side].keys()].sort((a, b) => (isBetter(side, a, b) ? -1 : 1));
  const best = (side: Side) => prices(side)[0]!;
  const snapshot = (): Record<Side, Level[]> => {
    const lv = (side: Side) => prices(side).map((price) => ({ price, size: queue[side].get(price)!.reduce((s, id) => s + orders.get(id)!.size, 0) }));
    return { ask: lv('ask'), bid: lv('bid') };
  };
  const mid = 1_000_000;
  for (let k = 1; k <= 30; k++) {
    for (const side of ['ask', 'bid'] as const) {
      if (k > 1 && rand() < 0.25) continue;
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) add(side, side === 'ask' ? mid + k * TICK : mid - k * TICK, 10 * (1 + Math.floor(rand() * 30)));
    }
  }
  const initial = snapshot();
  const messages: Message[] = [];
  const books: Record<Side, Level[]>[] = [];
  const size = () => 10 * (1 + Math.floor(rand() * 30));
  for (let i = 0; i < count; i++) {
    const time = `${34200 + Math.floor(i / 1000)}.${String(i % 1000).padStart(3, '0')}000001`;
    const side: Side = rand() < 0.5 ? 'ask' : 'bid';
    const other: Side = side === 'ask' ? 'bid' : 'ask';
    const dir = side === 'ask' ? 1 : -1;
    let r = rand();
    if (queue[side].size < 4) r = 0; // keep each side a few levels deep
    let m: Omit<Message, 'time' | 'side'>;
    if (r < 0.42) {
      const spread = Math.abs(best('ask') - best('bid')) / TICK;
      let price: number;
      if (spread > 1 && rand() < 0.2) price = best(other) + dir * TICK * (1 + Math.floor(rand() * (spread - 1)));
      else price = best(side) + dir * TICK * Math.floor(rand() * rand() * 25);
      if (side === 'ask' ? price <= best('bid') : price >= best('ask')) price = best(other) + dir * TICK; // never crossed
      const s = size();
      m = { type: 1, orderId: add(side, price, s), size: s, price };
    } else if (r < 0.75) {
      const ids = [...orders.keys()].filter((id) => orders.get(id)!.side === side);
      const id = ids[Math.floor(rand() * ids.length)]!;
      const o = orders.get(id)!;
      const partial = r < 0.47 && o.size > 10;
      const s = partial ? 10 * Math.max(1, Math.floor((rand() * o.size) / 10)) : o.size;
      const part = Math.min(s, partial ? o.size - 10 : o.size);
      m = { type: partial ? 2 : 3, orderId: id, size: part, price: o.price };
      remove(id, part);
    } else if (r < 0.95) {
      const price = best(side);
      const id = queue[side].get(price)![0]!;
      const o = orders.get(id)!;
      const s = rand() < 0.5 ? o.size : Math.max(1, Math.floor(rand() * o.size));
      m = { type: 4, orderId: id, size: s, price };
      remove(id, s);
    } else {
      m = { type: 5, orderId: '0', size: size(), price: side === 'ask' ? best('ask') : best('bid') };
    }
    messages.push({ time, side, ...m });
    books.push(snapshot());
  }
  return { messages, books, initial };
}

/**
 * The day cut to N levels as LOBSTER cuts it: a message is kept when it changes its side's top N
 * levels (hidden executions are always kept), and the orderbook row after it holds the top N
 * levels per side, empty levels as LOBSTER writes them.
 */
export function cutToLevels(day: GeneratedDay, levels: number): { message: string; orderbook: string; rows: number } {
  const top = (book: Record<Side, Level[]>, side: Side) => JSON.stringify(book[side].slice(0, levels));
  const messageLines: string[] = [];
  const bookLines: string[] = [];
  let before = day.initial;
  day.messages.forEach((m, i) => {
    const after = day.books[i]!;
    const changed = top(before, m.side) !== top(after, m.side);
    before = after;
    if (!changed && m.type !== 5) return;
    messageLines.push([m.time, m.type, m.orderId, m.size, m.price, m.side === 'ask' ? -1 : 1].join(','));
    const cells: number[] = [];
    for (let k = 0; k < levels; k++) {
      const a = after.ask[k];
      const b = after.bid[k];
      cells.push(a ? a.price : EMPTY.ask, a ? a.size : 0, b ? b.price : EMPTY.bid, b ? b.size : 0);
    }
    bookLines.push(cells.join(','));
  });
  return { message: messageLines.join('\n') + '\n', orderbook: bookLines.join('\n') + '\n', rows: messageLines.length };
}

/**
 * The LOBSTER AMZN sample pair in ../shared/data/lobster, or null when it is absent (a fresh
 * clone): the caller skips its tests, saying so on the console; under CI=true an absent sample
 * is an error instead, so a CI run cannot pass without it.
 */
export function amznSample(shared: string): { messages: string; orderbook: string } | null {
  const dir = `${shared}/data/lobster`;
  const messages = `${dir}/AMZN_2012-06-21_34200000_57600000_message_1.csv`;
  const orderbook = `${dir}/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv`;
  const present = existsSync(messages) && existsSync(orderbook);
  if (present) return { messages, orderbook };
  if (process.env.CI === 'true') throw new Error(`the LOBSTER sample is missing (${dir}); CI=true needs it (see its SOURCE.md)`);
  console.log(`SKIPPED: the LOBSTER AMZN tests, ${dir} is absent (a fresh clone); set it up from SOURCE.md to run them`);
  return null;
}
