/**
 * The lobster preset on the real LOBSTER AMZN sample (../shared/data/lobster, see its
 * SOURCE.md), ingested in-process by the real ingest service into a real DuckDB store, and
 * checked against the raw CSV read on its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { ingestFiles, type IngestOptions, type IngestSummary } from '../../src/ingest/ingest.js';
import { LOBSTER_TYPES } from '../../src/ingest/presets/lobster.js';
import { sqlString } from '../../src/store/sql.js';
import { Store, type Row } from '../../src/store/store.js';
import { SHARED, tmpDir } from '../helpers.js';
import { amznSample } from '../lobster-book.js';

const MESSAGE_FILE = path.join(SHARED, 'data', 'lobster', 'AMZN_2012-06-21_34200000_57600000_message_1.csv');
/** The AMZN pair, or null on a fresh clone (those tests skip and say so; under CI=true its absence fails). */
const sample = amznSample(SHARED);
const ROWS = 57_515;
/** Message types of the AMZN sample (SOURCE.md, "Checks run on these files"). */
const TYPE_COUNTS: Record<string, number> = { 1: 27845, 2: 16, 3: 18235, 4: 8974, 5: 2445 };
/** 2012-06-21T00:00:00Z in epoch nanoseconds, computed here, not by DuckDB. */
const DAY_NS = BigInt(Date.UTC(2012, 5, 21)) * 1_000_000n;
/**
 * LOBSTER's seconds after midnight are New York's wall clock: on 2012-06-21 (daylight time,
 * UTC-4) 09:30 there is 13:30Z, so every instant is the reading plus four hours.
 */
const EDT_NS = 4n * 3600n * 1_000_000_000n;

async function withStore<T>(dir: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function count(store: Store, sql: string): Promise<number> {
  return Number((await store.all(sql))[0]?.n);
}

describe.skipIf(!sample)('LOBSTER: the AMZN 2012-06-21 message file', () => {
  let dir: string;
  let store: Store;
  let summary: IngestSummary;

  beforeAll(async () => {
    dir = tmpDir('evtrail-lobster-');
    store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
    summary = await ingestFiles(store, { sources: [MESSAGE_FILE], preset: 'lobster' });
    // The raw file read on its own, every field as text; rowid follows file order.
    await store.run(`CREATE TEMP TABLE raw AS SELECT * FROM read_csv(${sqlString(MESSAGE_FILE)}, header = false, all_varchar = true,
      columns = {'raw_time': 'VARCHAR', 'raw_type': 'VARCHAR', 'raw_order_id': 'VARCHAR', 'raw_size': 'VARCHAR', 'raw_price': 'VARCHAR', 'raw_direction': 'VARCHAR'})`);
    await store.run(`CREATE TEMP VIEW joined AS SELECT e.*, r.* FROM events e JOIN (SELECT rowid + 1 AS raw_line, * FROM raw) r ON e.source_pos = r.raw_line`);
  });
  afterAll(() => {
    store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ingests every row, rejects none', async () => {
    expect(summary).toMatchObject({ ingested: ROWS, rejected: 0, redelivered: 0, conflicts: 0 });
    expect(summary.sources[0]).toMatchObject({ format: 'csv', preset: 'lobster', firstSeq: 1, lastSeq: ROWS });
    expect(await count(store, `SELECT count(*) AS n FROM raw`)).toBe(ROWS);
    expect(await count(store, `SELECT count(*) AS n FROM joined`)).toBe(ROWS);
    expect(await count(store, `SELECT count(DISTINCT id) AS n FROM events`)).toBe(ROWS);
    expect(await count(store, `SELECT count(*) AS n FROM rejects`)).toBe(0);
  });

  it('counts the message types of SOURCE.md, under the preset type names', async () => {
    const rows = await store.all(`SELECT type, (data->>'lobsterType')::INTEGER AS code, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY code`);
    expect(Object.fromEntries(rows.map((r) => [r.type, r.n]))).toEqual(
      Object.fromEntries(Object.entries(TYPE_COUNTS).map(([code, n]) => [LOBSTER_TYPES[code], n])),
    );
    for (const row of rows) expect(row.type).toBe(LOBSTER_TYPES[String(row.code)]);
    expect(await count(store, `SELECT count(*) AS n FROM joined WHERE (data->>'lobsterType') <> raw_type`)).toBe(0);
  });

  it('keeps every time exactly to the nanosecond: the New York reading on the date, as the true instant', async () => {
    // Expected instant from the string alone: a DECIMAL holds any 5.9-digit time exactly.
    const mismatches = await count(store, `SELECT count(*) AS n FROM joined
      WHERE epoch_ns(ts) <> ${DAY_NS + EDT_NS} + (raw_time::DECIMAL(38,9) * 1000000000)::BIGINT`);
    expect(mismatches).toBe(0);
    // And as ISO text built digit by digit from the string (four hours on).
    const isoMismatches = await count(store, `SELECT count(*) AS n FROM (
        SELECT evt_iso(ts) AS got, split_part(raw_time, '.', 1)::INTEGER + 4 * 3600 AS s, rpad(split_part(raw_time, '.', 2), 9, '0') AS frac FROM joined
      ) WHERE got <> '2012-06-21T' || lpad((s // 3600)::VARCHAR, 2, '0') || ':' || lpad((s % 3600 // 60)::VARCHAR, 2, '0') || ':'
        || lpad((s % 60)::VARCHAR, 2, '0') || '.' || frac || 'Z'`);
    expect(isoMismatches).toBe(0);
    // DuckDB's own time zone data (icu) turns every instant back into the reading, to the microsecond.
    expect(await count(store, `SELECT count(*) AS n FROM joined
      WHERE timezone('America/New_York', timezone('UTC', ts::TIMESTAMP))
        <> DATE '2012-06-21' + to_microseconds(floor(raw_time::DECIMAL(38,9) * 1000000)::BIGINT)`)).toBe(0);
    // The store keeps the zone with the source, for later commands.
    expect(await store.all(`SELECT mapping->>'tz' AS tz FROM sources`)).toEqual([{ tz: 'America/New_York' }]);
    // The original text stays in data.time.
    expect(await count(store, `SELECT count(*) AS n FROM joined WHERE (data->>'time') <> raw_time`)).toBe(0);
    // Nanosecond digits really occur (the check above would pass on a microsecond file too).
    expect(await count(store, `SELECT count(*) AS n FROM events WHERE epoch_ns(ts) % 1000 <> 0`)).toBeGreaterThan(50_000);
  });

  it('spot-checks rows by hand', async () => {
    const rows = await store.all(`SELECT seq, id, type, stream, evt_iso(ts) AS ts, epoch_ns(ts) AS ns, source, data FROM events
      WHERE source_pos IN (1, 2, 3, ${ROWS}) ORDER BY seq`);
    const byPos = rows.map((r): Row => ({ ...r, data: JSON.parse(String(r.data)) as unknown }));
    // 34200.017459617,5,0,1,2238200,-1
    expect(byPos[0]).toMatchObject({
      seq: '1', type: 'HiddenOrderExecuted', stream: 'market-AMZN', ts: '2012-06-21T13:30:00.017459617Z', source: 'lobster',
      data: { orderId: '0', symbol: 'AMZN', lobsterType: 5, size: 1, priceTicks: 2238200, price: 223.82, side: 'SELL', time: '34200.017459617' },
    });
    expect(byPos[0]!.ns).toBe(String(DAY_NS + EDT_NS + 34200_017459617n));
    // 34200.18960767,1,11885113,21,2238100,1 (LOBSTER drops the trailing zero of the nanoseconds)
    expect(byPos[1]).toMatchObject({
      seq: '2', type: 'LimitOrderSubmitted', stream: 'order-11885113', ts: '2012-06-21T13:30:00.189607670Z',
      data: { orderId: '11885113', size: 21, priceTicks: 2238100, price: 223.81, side: 'BUY', time: '34200.18960767' },
    });
    // 34200.190226476,4,11885113,21,2238100,1
    expect(byPos[2]).toMatchObject({ seq: '3', type: 'VisibleOrderExecuted', stream: 'order-11885113', ts: '2012-06-21T13:30:00.190226476Z' });
    // 57599.95935965,3,287174077,100,2206300,-1 (the last row)
    expect(byPos[3]).toMatchObject({
      seq: String(ROWS), type: 'LimitOrderDeleted', stream: 'order-287174077', ts: '2012-06-21T19:59:59.959359650Z',
      data: { size: 100, priceTicks: 2206300, price: 220.63, side: 'SELL' },
    });
    expect(byPos[3]!.ns).toBe(String(DAY_NS + EDT_NS + 57599_959359650n));
  });

  it('keeps prices as integer ticks and as an exact decimal', async () => {
    expect(await count(store, `SELECT count(*) AS n FROM joined WHERE (data->>'priceTicks')::BIGINT <> raw_price::BIGINT`)).toBe(0);
    expect(await count(store, `SELECT count(*) AS n FROM joined
      WHERE (data->>'price')::DECIMAL(18,4) * 10000 <> raw_price::DECIMAL(18,0)`)).toBe(0);
    expect(await count(store, `SELECT count(*) AS n FROM joined WHERE (data->>'size')::BIGINT <> raw_size::BIGINT`)).toBe(0);
  });

  it('puts each order in its own stream and hidden executions in the market stream', async () => {
    expect(await count(store, `SELECT count(*) AS n FROM joined
      WHERE stream <> CASE WHEN raw_order_id = '0' THEN 'market-AMZN' ELSE 'order-' || raw_order_id END OR (data->>'orderId') <> raw_order_id`)).toBe(0);
    expect(await count(store, `SELECT count(DISTINCT stream) AS n FROM events`))
      .toBe(await count(store, `SELECT count(DISTINCT raw_order_id) AS n FROM raw`));
    expect(await store.all(`SELECT type, count(*)::INTEGER AS n FROM events WHERE stream = 'market-AMZN' GROUP BY type`))
      .toEqual([{ type: 'HiddenOrderExecuted', n: TYPE_COUNTS[5] }]);
  });

  it('follows file order in seq, and time never goes back', async () => {
    expect(await count(store, `SELECT count(*) AS n FROM events WHERE seq <> source_pos OR position <> source_pos`)).toBe(0);
    expect(await count(store, `SELECT count(*) AS n FROM (SELECT ts < lag(ts) OVER (ORDER BY seq) AS back FROM events) WHERE back`)).toBe(0);
  });

  it('reads the side from the direction', async () => {
    expect(await count(store, `SELECT count(*) AS n FROM joined
      WHERE (data->>'side') IS DISTINCT FROM CASE raw_direction WHEN '1' THEN 'BUY' WHEN '-1' THEN 'SELL' END`)).toBe(0);
    const sides = await store.all(`SELECT (data->>'side') AS side, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY side`);
    expect(sides.map((r) => r.side)).toEqual(['BUY', 'SELL']);
  });
});

describe.skipIf(!sample)('LOBSTER: the trading date', () => {
  it('refuses a file whose name has no date unless date is given, then reads it', async () => {
    const dir = tmpDir('evtrail-lobster-');
    try {
      const renamed = path.join(dir, 'amzn-messages.csv');
      fs.copyFileSync(MESSAGE_FILE, renamed);
      const options: IngestOptions = { sources: [renamed], preset: 'lobster' };
      await withStore(dir, async (store) => {
        const error = await ingestFiles(store, options).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(UserError);
        expect(error).toMatchObject({ exitCode: 2, message: expect.stringMatching(/amzn-messages\.csv.*--date/) });
        expect((error as UserError).hint).toMatch(/--date YYYY-MM-DD/);
        // Nothing was stored.
        expect(await count(store, `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM sources) AS n`)).toBe(0);

        const bad = await ingestFiles(store, { ...options, date: '2012-06-31' }).then(() => undefined, (e: unknown) => e);
        expect(bad).toBeInstanceOf(UserError);
        expect(bad).toMatchObject({ exitCode: 2, message: expect.stringMatching(/2012-06-31/) });

        const summary = await ingestFiles(store, { ...options, date: '2012-06-21' });
        expect(summary).toMatchObject({ ingested: ROWS, rejected: 0 });
        const first = await store.all(`SELECT evt_iso(ts) AS ts, stream, data->>'symbol' AS symbol FROM events ORDER BY seq LIMIT 1`);
        expect(first).toEqual([{ ts: '2012-06-21T13:30:00.017459617Z', stream: expect.stringMatching(/^market-/), symbol: expect.any(String) }]);
        // The date given is the one used, and the instants match the original's.
        expect(await count(store, `SELECT count(*) AS n FROM events WHERE ts::DATE <> DATE '2012-06-21'`)).toBe(0);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets date override the file name\'s', async () => {
    const dir = tmpDir('evtrail-lobster-');
    try {
      const file = path.join(dir, 'MSFT_2012-06-21_34200000_57600000_message_1.csv');
      fs.writeFileSync(file, '34200.000000001,1,7,100,300000,1\n');
      await withStore(dir, async (store) => {
        expect(await ingestFiles(store, { sources: [file], preset: 'lobster', date: '2013-01-02' })).toMatchObject({ ingested: 1 });
        expect(await store.all(`SELECT id, evt_iso(ts) AS ts, stream FROM events`)).toEqual([
          // 2013-01-02 is winter: New York is UTC-5, 09:30 there is 14:30Z.
          { id: 'MSFT-2013-01-02-00000001', ts: '2013-01-02T14:30:00.000000001Z', stream: 'order-7' },
        ]);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LOBSTER: bad rows', () => {
  it('rejects them with clear reasons and keeps the good ones in file order', async () => {
    const dir = tmpDir('evtrail-lobster-');
    try {
      const file = path.join(dir, 'TEST_2012-06-21_34200000_57600000_message_1.csv');
      fs.writeFileSync(file, [
        '34200.5,1,100,10,2238200,1', // 1 good
        '34201.0,9,101,10,2238200,1', // 2 type 9
        '34202.25,1,102,10,22.38x,1', // 3 price not numeric
        '34203.1234567891,1,103,10,2238200,-1', // 4 ten fractional digits
        '34204,7,0,0,-1,-1', // 5 good: trading halt
        '34205,1,104,10,2238200,0', // 6 direction 0
        '86400.5,1,105,10,2238200,1', // 7 past the end of the day
        '34206,1,106,abc,2238200,1', // 8 size not numeric
        '34207.000000001,3,100,10,2238200,1', // 9 good
      ].join('\n') + '\n');
      await withStore(dir, async (store) => {
        const summary = await ingestFiles(store, { sources: [file], preset: 'lobster' });
        expect(summary).toMatchObject({ ingested: 3, rejected: 6 });
        const rejects = await store.all(`SELECT source_pos, reason, raw FROM rejects ORDER BY source_pos`);
        expect(rejects.map((r: Row) => [Number(r.source_pos), r.reason])).toEqual([
          [2, 'type: expected 1 to 7, got 9'],
          [3, 'price: expected an integer, got 22.38x'],
          [4, 'time: 34203.1234567891 has more than nine fractional digits (nanoseconds)'],
          [6, 'direction: expected 1 (buy) or -1 (sell), got 0'],
          [7, 'time: 86400.5 is not within a day (seconds after midnight, below 86400)'],
          [8, 'size: expected a whole number, got abc'],
        ]);
        expect(JSON.parse(String(rejects[0]!.raw))).toMatchObject({ time: '34201.0', event_type: '9' });
        expect(await store.all(`SELECT seq, source_pos, type, stream, evt_iso(ts) AS ts, (data->>'price') AS price, (data->>'halt') AS halt FROM events ORDER BY seq`)).toEqual([
          { seq: '1', source_pos: '1', type: 'LimitOrderSubmitted', stream: 'order-100', ts: '2012-06-21T13:30:00.500000000Z', price: '223.82', halt: null },
          { seq: '2', source_pos: '5', type: 'TradingHalt', stream: 'market-TEST', ts: '2012-06-21T13:30:04.000000000Z', price: null, halt: 'HALTED' },
          { seq: '3', source_pos: '9', type: 'LimitOrderDeleted', stream: 'order-100', ts: '2012-06-21T13:30:07.000000001Z', price: '223.82', halt: null },
        ]);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
