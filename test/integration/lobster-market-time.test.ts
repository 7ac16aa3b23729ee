/**
 * Market time on LOBSTER stores, through the built CLI as a user runs it: times are New York's
 * wall clock (or --tz), stored as true instants across the days clocks change (checked against
 * DuckDB's own time zone data, icu); `--at 10:31` and `--since 10:00` on such a store mean the
 * exchange's clock and say so; names: --date / --symbol for a nameless file, a link keeps its
 * own name, --seed-book takes any name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACROS_SQL } from '../../src/store/macros.js';
import { Store } from '../../src/store/store.js';
import { cli, cliJson, SHARED, tmpDir } from '../helpers.js';
import { amznSample } from '../lobster-book.js';

const DATA = path.join(SHARED, 'data', 'lobster');
const MESSAGES = path.join(DATA, 'AMZN_2012-06-21_34200000_57600000_message_1.csv');
const ORDERBOOK = path.join(DATA, 'AMZN_2012-06-21_34200000_57600000_orderbook_1.csv');
/** The AMZN pair, or null on a fresh clone (those tests skip and say so; under CI=true its absence fails). */
const sample = amznSample(SHARED);
const ROWS = 57_515;

let dir: string;
beforeAll(() => {
  dir = tmpDir('evtrail-markettime-');
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function ok(args: string[]): string {
  const r = cli(args, { cwd: dir });
  expect(r.code, `evtrail ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function refused(args: string[], message: RegExp): void {
  const r = cli(args, { cwd: dir });
  expect(r.code, `evtrail ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/hint:/);
}

async function rows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const store = await Store.open(db, { readOnly: true });
  try {
    await store.run(MACROS_SQL);
    return await store.all(sql);
  } finally {
    store.close();
  }
}

/** A message file with one limit order per reading (seconds after midnight). */
function messageFile(name: string, times: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, times.map((t, i) => `${t},1,${i + 1},100,1000000,1`).join('\n') + '\n');
  return file;
}

describe('LOBSTER times across the days New York changes its clocks', () => {
  it('the spring day: 01:59:59.5 is -05:00, 03:00 is -04:00, a reading in the skipped hour is rejected with why', async () => {
    const db = path.join(dir, 'spring.duckdb');
    const file = messageFile('TEST_2012-03-11_0_86400000_message_1.csv', ['7199.5', '9000', '10800', '34200.000000001']);
    ok(['ingest', file, '--preset', 'lobster', '--db', db]);
    expect(await rows(db, `SELECT source_pos::INTEGER AS pos, evt_iso(ts) AS ts FROM events ORDER BY seq`)).toEqual([
      { pos: 1, ts: '2012-03-11T06:59:59.500000000Z' },
      { pos: 3, ts: '2012-03-11T07:00:00.000000000Z' },
      { pos: 4, ts: '2012-03-11T13:30:00.000000001Z' },
    ]);
    expect(await rows(db, `SELECT source_pos::INTEGER AS pos, reason FROM rejects`)).toEqual([
      { pos: 2, reason: 'time: 9000 is a reading of the America/New_York clock that does not exist on 2012-03-11 (clocks jumped from 02:00:00 to 03:00:00)' },
    ]);
    // DuckDB's icu turns each instant back into its reading.
    expect(await rows(db, `SELECT count(*)::INTEGER AS n FROM events
      WHERE timezone('America/New_York', timezone('UTC', ts::TIMESTAMP)) <> DATE '2012-03-11' + to_microseconds(floor((data->>'time')::DECIMAL(38,9) * 1000000)::BIGINT)`)).toEqual([{ n: 0 }]);
  });

  it('the autumn day: the repeated 01:30 is the first (-04:00), 02:00 is -05:00, 09:30 is 14:30Z', async () => {
    const db = path.join(dir, 'autumn.duckdb');
    const file = messageFile('TEST_2012-11-04_0_86400000_message_1.csv', ['3599', '5400', '7200', '34200']);
    ok(['ingest', file, '--preset', 'lobster', '--db', db]);
    expect((await rows(db, `SELECT evt_iso(ts) AS ts FROM events ORDER BY seq`)).map((r) => r.ts)).toEqual([
      '2012-11-04T04:59:59.000000000Z', '2012-11-04T05:30:00.000000000Z', '2012-11-04T07:00:00.000000000Z', '2012-11-04T14:30:00.000000000Z',
    ]);
    expect(await rows(db, `SELECT count(*)::INTEGER AS n FROM events
      WHERE timezone('America/New_York', timezone('UTC', ts::TIMESTAMP)) <> DATE '2012-11-04' + to_microseconds(floor((data->>'time')::DECIMAL(38,9) * 1000000)::BIGINT)`)).toEqual([{ n: 0 }]);
  });
});

describe('the exchange\'s zone is a preset option', () => {
  it('--tz reads the readings in another zone, and the store keeps it', async () => {
    const db = path.join(dir, 'london.duckdb');
    const file = messageFile('VOD_2012-06-21_28800000_59400000_message_1.csv', ['28800.25']);
    ok(['ingest', file, '--preset', 'lobster', '--tz', 'Europe/London', '--db', db]);
    expect(await rows(db, `SELECT evt_iso(ts) AS ts, mapping->>'tz' AS tz FROM events, sources`)).toEqual([{ ts: '2012-06-21T07:00:00.250000000Z', tz: 'Europe/London' }]);
    // Appending to the source in another zone is refused: one source, one clock.
    fs.appendFileSync(file, '28801,1,9,100,1000000,1\n');
    refused(['ingest', file, '--preset', 'lobster', '--db', db], /ingested with its times in Europe\/London, now read in America\/New_York/);
    ok(['ingest', file, '--preset', 'lobster', '--tz', 'Europe/London', '--db', db]);
  });

  it('the config file\'s tz and symbol, and clear refusals', async () => {
    const sub = path.join(dir, 'cfg');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'evtrail.config.json'), JSON.stringify({ preset: 'lobster', date: '2013-01-02', symbol: 'MSFT', tz: 'America/Chicago' }));
    fs.writeFileSync(path.join(sub, 'm.csv'), '34200,1,1,100,300000,1\n');
    const r = cli(['ingest', 'm.csv', '--db', 'c.duckdb'], { cwd: sub });
    expect(r.code, r.stderr).toBe(0);
    // 09:30 in Chicago in winter (UTC-6) is 15:30Z.
    expect(await rows(path.join(sub, 'c.duckdb'), `SELECT id, evt_iso(ts) AS ts, data->>'symbol' AS symbol FROM events`)).toEqual([
      { id: 'MSFT-2013-01-02-00000001', ts: '2013-01-02T15:30:00.000000000Z', symbol: 'MSFT' },
    ]);
    refused(['ingest', messageFile('TZ_2012-06-21_34200000_57600000_message_1.csv', ['34200.5']), '--preset', 'lobster', '--tz', 'Mars/Olympus', '--db', path.join(dir, 'x.duckdb')], /--tz Mars\/Olympus: not a time zone/);
    refused(['ingest', path.join(sub, 'm.csv'), '--tz', 'America/New_York', '--db', path.join(dir, 'x.duckdb')], /--tz is for presets whose times are an exchange's clock/);
    refused(['ingest', path.join(sub, 'm.csv'), '--symbol', 'AMZN', '--db', path.join(dir, 'x.duckdb')], /--symbol is for LOBSTER files/);
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  });
});

describe('a LOBSTER store written before evtrail knew the exchange\'s clock', () => {
  it('is said by info, keeps reading bare times as UTC, and is not continued in another clock', async () => {
    const db = path.join(dir, 'old.duckdb');
    const file = messageFile('OLD_2012-06-21_34200000_57600000_message_1.csv', ['34200.5']);
    ok(['ingest', file, '--preset', 'lobster', '--db', db]);
    // What an older evtrail wrote: the reading as UTC and no zone with the source.
    const store = await Store.open(db);
    try {
      await store.run(`UPDATE sources SET mapping = '{"preset":"lobster","map":{},"date":null}'`);
    } finally {
      store.close();
    }
    expect(ok(['info', '--db', db])).toMatch(/OLD_2012-06-21_34200000_57600000_message_1\.csv: ingested by an older evtrail, its times are New York readings stored as UTC/);
    expect(cliJson(['replay', '--db', db, '--projection', 'streams', '--at', '10:31']).timeZone).toBeUndefined();
    fs.appendFileSync(file, '34201,1,9,100,1000000,1\n');
    refused(['ingest', file, '--preset', 'lobster', '--db', db], /ingested by an older evtrail with its times read as UTC/);
  });
});

describe('file names', () => {
  it('a file whose name has no date or symbol is given both', async () => {
    const db = path.join(dir, 'named.duckdb');
    const file = messageFile('messages.csv', ['34200.5']);
    fs.appendFileSync(file, '34201,5,0,10,1000000,-1\n');
    ok(['ingest', file, '--preset', 'lobster', '--date', '2012-06-21', '--symbol', 'AAPL', '--db', db]);
    expect(await rows(db, `SELECT id, stream, data->>'symbol' AS symbol, evt_iso(ts) AS ts FROM events ORDER BY seq`)).toEqual([
      { id: 'AAPL-2012-06-21-00000001', stream: 'order-1', symbol: 'AAPL', ts: '2012-06-21T13:30:00.500000000Z' },
      { id: 'AAPL-2012-06-21-00000002', stream: 'market-AAPL', symbol: 'AAPL', ts: '2012-06-21T13:30:01.000000000Z' },
    ]);
  });

  it('a file reached through a link keeps the name given, not the target\'s', async () => {
    const db = path.join(dir, 'link.duckdb');
    const target = messageFile('download-1234.csv', ['34200.5']);
    const link = path.join(dir, 'IBM_2012-06-21_34200000_57600000_message_1.csv');
    fs.symlinkSync(target, link);
    const out = cliJson(['ingest', link, '--preset', 'lobster', '--db', db], { cwd: dir });
    expect(out.sources[0].source).toBe('IBM_2012-06-21_34200000_57600000_message_1.csv');
    expect(await rows(db, `SELECT id, data->>'symbol' AS symbol, mapping->>'file' AS file FROM events, sources`)).toEqual([
      { id: 'IBM-2012-06-21-00000001', symbol: 'IBM', file: 'IBM_2012-06-21_34200000_57600000_message_1.csv' },
    ]);
  });
});

describe.skipIf(!sample)('--at, --since and --until on a LOBSTER store are the exchange\'s clock', () => {
  let db: string;
  const times = sample ? fs.readFileSync(MESSAGES, 'utf8').trimEnd().split('\n').map((l) => l.split(',')[0]!) : [];
  beforeAll(() => {
    db = path.join(dir, 'amzn.duckdb');
    ok(['ingest', MESSAGES, '--preset', 'lobster', '--db', db]);
  });

  it('--at 10:31 is New York\'s 10:31 (14:31Z), the same cut as its LOBSTER seconds, and the output says the zone', () => {
    const local = cliJson(['replay', '--db', db, '--projection', 'book', '--at', '10:31']);
    expect(local).toMatchObject({ at: '2012-06-21T14:31:00.000000000Z', atLocal: '2012-06-21T10:31:00.000000000-04:00', timeZone: 'America/New_York' });
    const utc = cliJson(['replay', '--db', db, '--projection', 'book', '--at', '2012-06-21T14:31:00Z']);
    const seconds = cliJson(['replay', '--db', db, '--projection', 'book', '--at', '37860']);
    expect(local.rows).toEqual(utc.rows);
    expect(local.rows).toEqual(seconds.rows);
    // The messages up to 10:31:00 local are those the book saw: a cut at seq gives the same book.
    const n = times.filter((t) => Number(t) <= 37860).length;
    expect(local.rows).toEqual(cliJson(['replay', '--db', db, '--projection', 'book', '--at', `seq:${n}`]).rows);
    const text = ok(['replay', '--db', db, '--projection', 'streams', '--at', '10:31', '--limit', '1']);
    expect(text).toContain('as of 2012-06-21T10:31:00.000000000-04:00 America/New_York (2012-06-21T14:31:00.000000000Z)');
  });

  it('export --since 10:00 --until 10:01 takes New York\'s minute', () => {
    const out = path.join(dir, 'minute');
    const r = cliJson(['export', '--db', db, '--format', 'ndjson', '--out', out, '--since', '10:00', '--until', '10:01'], { cwd: dir });
    const expected = times.filter((t) => Number(t) >= 36000 && Number(t) < 36060).length;
    expect(expected).toBeGreaterThan(0);
    expect(r.events).toBe(expected);
  });

  it('info shows the first and last event on the exchange\'s clock; trace shows its times there', () => {
    const info = cliJson(['info', '--db', db]);
    expect(info).toMatchObject({
      firstTs: '2012-06-21T13:30:00.017459617Z',
      market: { timeZone: 'America/New_York', firstLocal: '2012-06-21T09:30:00.017459617-04:00', lastLocal: '2012-06-21T15:59:59.959359650-04:00' },
    });
    expect(info.sources[0]).toMatchObject({ timeZone: 'America/New_York' });
    expect(ok(['info', '--db', db])).toContain('on the exchange\'s clock (America/New_York): first 2012-06-21T09:30:00.017459617-04:00');
    const trace = ok(['trace', 'order-11885113', '--db', db]);
    expect(trace).toContain('2012-06-21 America/New_York');
    expect(trace).toContain('09:30:00.189607670');
    expect(trace).not.toContain('13:30:00.189607670');
  });

  it('audit --since / --until take the exchange\'s clock too', () => {
    const r = cli(['audit', '--db', db, '--since', '10:00', '--until', '10:01', '--json', '--fail-on', 'none'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).window).toEqual({ since: '2012-06-21T14:00:00.000000000Z', until: '2012-06-21T14:01:00.000000000Z' });
  });

  it('a store without LOBSTER sources keeps UTC', () => {
    const plain = path.join(dir, 'plain.duckdb');
    const file = path.join(dir, 'plain.ndjson');
    fs.writeFileSync(file, ['{"id":"a","type":"T","stream":"s","ts":"2012-06-21T10:30:00Z"}', '{"id":"b","type":"T","stream":"s","ts":"2012-06-21T10:32:00Z"}'].join('\n') + '\n');
    ok(['ingest', file, '--db', plain]);
    const out = cliJson(['replay', '--db', plain, '--projection', 'streams', '--at', '10:31']);
    expect(out.at).toBe('2012-06-21T10:31:00.000000000Z');
    expect(out.timeZone).toBeUndefined();
    expect(out.rows).toHaveLength(1);
  });

  it('--seed-book takes any file name: the store\'s one message file, --levels-in-file checked against its columns', () => {
    const renamed = path.join(dir, 'book.csv');
    fs.copyFileSync(ORDERBOOK, renamed);
    const named = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${ORDERBOOK}:100`, '--at', 'seq:130']);
    const any = cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${renamed}:100`, '--at', 'seq:130']);
    expect(any.rows).toEqual(named.rows);
    expect(any.contradictions).toEqual(named.contradictions);
    expect(any.seed).toMatchObject({ row: 100, fileLevels: 1 });
    expect(cliJson(['replay', '--db', db, '--projection', 'book', '--seed-book', `${renamed}:100`, '--levels-in-file', '1', '--at', 'seq:130']).rows).toEqual(named.rows);
    refused(['replay', '--db', db, '--projection', 'book', '--seed-book', `${renamed}:100`, '--levels-in-file', '10'], /--levels-in-file 10: the orderbook file book\.csv has 4 columns, 1 level/);
    // A file of another length is not this message file's book.
    fs.writeFileSync(path.join(dir, 'short.csv'), fs.readFileSync(ORDERBOOK, 'utf8').split('\n').slice(0, 200).join('\n') + '\n');
    refused(['replay', '--db', db, '--projection', 'book', '--seed-book', `${path.join(dir, 'short.csv')}:100`], /has 200 rows and the message file .* 57515/);
  }, 120_000);

  it('with two message files, a seed named otherwise is paired by --symbol', () => {
    const two = path.join(dir, 'two.duckdb');
    const other = messageFile('other.csv', ['34200.5']);
    ok(['ingest', MESSAGES, '--preset', 'lobster', '--db', two]);
    ok(['ingest', other, '--preset', 'lobster', '--date', '2012-06-21', '--symbol', 'ZZZ', '--db', two]);
    const renamed = path.join(dir, 'book.csv');
    refused(['replay', '--db', two, '--projection', 'book', '--seed-book', `${renamed}:100`], /does not say its message file, and the store holds 2/);
    const out = cliJson(['replay', '--db', two, '--projection', 'book', '--seed-book', `${renamed}:100`, '--symbol', 'AMZN', '--at', 'seq:130']);
    expect(out.symbol).toBe('AMZN');
    expect(out.rows.length).toBeGreaterThan(0);
  }, 120_000);
});

it.skipIf(!sample)('the AMZN sample has the rows SOURCE.md says', () => {
  expect(fs.readFileSync(MESSAGES, 'utf8').trimEnd().split('\n')).toHaveLength(ROWS);
});
