/**
 * The seeded book claims only what a level-N message file lets it know, on LOBSTER pairs made
 * here (test/lobster-book.ts): a full-depth day cut to N = 1, 5 and 10 levels as LOBSTER cuts
 * (deeper messages dropped), so levels that slip below rank N change unseen. For many seed rows
 * and cuts, every level the replay claims (complete = true) must be the orderbook file's level of
 * the same rank at the cut, and the claimed levels must be exactly those of a plain sequential
 * replay of the rule; and it must claim most levels, so the rule is not met by claiming nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAnswer } from '../../src/replay/book-replay.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { cliJson, tmpDir } from '../helpers.js';
import { cutToLevels, generateDay, parseMessages, parseOrderbook, referenceKnown, tally, type Message } from '../lobster-book.js';

const LEVELS = [1, 5, 10];
const day = generateDay(7, 4000);
const pairs = new Map<number, { message: string; orderbook: string; messages: Message[]; book: number[][] }>();
let dir: string;
let db: string;
let store: Store;

beforeAll(async () => {
  dir = tmpDir('evtrail-book-levels-');
  db = path.join(dir, 'gen.duckdb');
  for (const n of LEVELS) {
    const cut = cutToLevels(day, n);
    const name = (kind: string) => path.join(dir, `GEN_2012-06-21_34200000_57600000_${kind}_${n}.csv`);
    fs.writeFileSync(name('message'), cut.message);
    fs.writeFileSync(name('orderbook'), cut.orderbook);
    pairs.set(n, { message: name('message'), orderbook: name('orderbook'), messages: parseMessages(cut.message), book: parseOrderbook(cut.orderbook) });
    expect(cliJson(['ingest', name('message'), '--preset', 'lobster', '--db', db])).toMatchObject({ ingested: cut.rows, rejected: 0 });
  }
  store = await Store.open(db, { readOnly: true });
  await store.run(MACROS_SQL);
}, 120_000);
afterAll(async () => {
  await store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The seq of row `row` of the level-N message file. */
async function seqOf(n: number, row: number): Promise<bigint> {
  const [r] = await store.all(`SELECT seq::VARCHAR AS seq FROM events e JOIN sources s USING (source_id) WHERE s.uri LIKE '%message_${n}.csv' AND e.source_pos = ${row}`);
  return BigInt(String(r!.seq));
}

describe('seeded book on generated level-N pairs', () => {
  it('the cut files drop messages (the levels beyond N change unseen)', () => {
    expect(pairs.get(1)!.messages.length).toBeLessThan(pairs.get(5)!.messages.length);
    expect(pairs.get(5)!.messages.length).toBeLessThan(pairs.get(10)!.messages.length);
    expect(pairs.get(10)!.messages.length).toBeLessThan(day.messages.length);
  });

  for (const n of LEVELS) {
    it(`N = ${n}: claims no wrong level over many seeds and cuts, and claims most`, async () => {
      const { messages, book, orderbook } = pairs.get(n)!;
      const total = { claimed: 0, wrong: 0, unknown: 0, runs: 0 };
      for (let seedRow = 1; seedRow < messages.length; seedRow += Math.ceil(messages.length / 8)) {
        for (const ahead of [0, 7, 60, 400]) {
          const cutRow = Math.min(messages.length, seedRow + ahead);
          const seq = await seqOf(n, cutRow);
          const answer = await bookAnswer(store, { seedBook: `${orderbook}:${seedRow}` }, { kind: 'seq', seq, input: `seq:${seq}` });
          const ref = referenceKnown(messages, book, n, seedRow, cutRow);
          const where = `seed ${seedRow}, cut ${cutRow}`;
          expect(answer.seed!.cutRow, where).toBe(cutRow);
          expect(answer.contradictions, where).toEqual([]);
          for (const side of ['ask', 'bid'] as const) {
            const claimed = answer.rows.filter((r) => r.side === side && r.complete === true).map((r) => ({ price: Number(r.priceTicks), size: r.size }));
            expect(claimed, `${where} ${side}`).toEqual(ref[side].levels);
            expect(answer.seed!.knownThrough[side], `${where} ${side}`).toBe(ref[side].bound === null ? null : ref[side].bound / 10000);
          }
          expect(answer.complete, where).toBe(answer.rows.every((r) => r.complete === true));
          const t = tally(answer.rows as never, book[cutRow - 1]!);
          // At the seed row every level of the file is the seed's, and claimed.
          if (ahead === 0) expect(t.unknown, where).toBe(0);
          total.claimed += t.claimed;
          total.wrong += t.wrong;
          total.unknown += t.unknown;
          total.runs++;
        }
      }
      console.log(`book, generated level-${n} pair: ${total.runs} seeded replays, ${total.claimed} levels claimed, ${total.unknown} unknown, ${total.wrong} wrong`);
      expect(total.wrong).toBe(0);
      // Most levels are claimed: knowledge is lost only where a level slipped below rank N.
      expect(total.claimed).toBeGreaterThan(n === 1 ? 0.5 * total.unknown : 3 * total.unknown);
    }, 600_000);
  }

  it('the CLI prints the same answer, and --levels K shows the top K of it', async () => {
    const { orderbook, messages } = pairs.get(10)!;
    const seedRow = Math.floor(messages.length / 3);
    const seq = await seqOf(10, seedRow + 250);
    const at = { kind: 'seq', seq, input: `seq:${seq}` } as const;
    const answer = await bookAnswer(store, { seedBook: `${orderbook}:${seedRow}` }, at);
    const printed = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${orderbook}:${seedRow}`, '--at', `seq:${seq}`]);
    expect(printed).toEqual(JSON.parse(JSON.stringify(answer)));
    for (const k of [1, 3, 12]) {
      const top = await bookAnswer(store, { seedBook: `${orderbook}:${seedRow}`, levels: String(k) }, at);
      for (const side of ['ask', 'bid'] as const) {
        const all = answer.rows.filter((r) => r.side === side);
        const shown = top.rows.filter((r) => r.side === side);
        expect(shown, `--levels ${k} ${side}`).toEqual(all.slice(0, k));
      }
      // complete with --levels K: the K levels shown on each side are all known.
      expect(top.complete).toBe(top.rows.every((r) => r.complete === true) && top.rows.length === 2 * k);
    }
  }, 120_000);

  it('--levels-in-file says N when the name does not, and must agree with a name that does', async () => {
    const { orderbook, messages } = pairs.get(5)!;
    const seq = await seqOf(5, 200);
    const at = { kind: 'seq', seq, input: `seq:${seq}` } as const;
    const named = await bookAnswer(store, { seedBook: `${orderbook}:150` }, at);
    expect(named.seed).toMatchObject({ levelsInFile: 5, fileLevels: 5 });
    expect(messages.length).toBeGreaterThan(200);
    await expect(bookAnswer(store, { seedBook: `${orderbook}:150`, levelsInFile: '3' }, at)).rejects.toThrow(/says 5 levels/);
    await expect(bookAnswer(store, { seedBook: `${orderbook}:150`, levelsInFile: '0' }, at)).rejects.toThrow(/--levels-in-file 0/);
  });
});
