import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { tmpDir, seededRandom } from '../helpers.js';

/**
 * Ingest loses nothing (README, Ingest: "where every input field goes"): generated records of
 * many shapes go through the real ingest into a real DuckDB, then each input record is rebuilt
 * from the stored envelope, data and meta and compared with the original: keys in any order,
 * values exactly (numbers by their text, strings by their value).
 */

// ---------------------------------------------------------------------------------------------
// JSON with numbers as their text

class Num {
  constructor(readonly text: string) {}
}
type V = null | boolean | string | Num | V[] | { [k: string]: V };

/** A JSON parser that keeps every number's text (JSON.parse would round them). */
function parseExact(text: string): V {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i] ?? '')) i++; };
  const value = (): V => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: { [k: string]: V } = {};
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        const k = value() as string;
        ws(); i++; // :
        if (Object.hasOwn(o, k)) throw new Error(`duplicate key ${k}`);
        o[k] = value();
        ws();
        if (text[i++] === '}') return o;
      }
    }
    if (c === '[') {
      i++;
      const a: V[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (text[i++] === ']') return a;
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))!;
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    const m = /^(true|false|null|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(text.slice(i))!;
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : new Num(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}

/** A canonical text: keys sorted, numbers as written, strings by value. */
function canon(v: V): string {
  if (v instanceof Num) return v.text;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k]!)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Writes a V as JSON text (numbers as their text). */
function write(v: V): string {
  if (v instanceof Num) return v.text;
  if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Generated records

const rng = seededRandom;

/** Numbers DuckDB's JSON functions would re-spell, and others they keep. */
const RESPELLED = ['123.456789012345678901', '1.10', '1e400', '1E-7', '0.0000001', '-0', '1.5e3', '100.50', '12345678.123456789', '-1.0000000000000002'];
const KEPT_NUMBERS = ['9007199254740993', '-9223372036854775809', '123456789012345678901234567890', '0', '42', '96.89', '-0.0', '1.0', '0.5'];
const STRINGS = ['héllo ✓ 𝄞', 'tab\t"q" \\ /', 'é', '', '1.10', 'x\u0001y', '{"not":"json object"}', 'a,b'];
const KEYS = ['a', 'b', 'ünï', 'with space', 'x.y', 'n', 'list', 'nested'];

function genValue(r: () => number, depth: number, respell: boolean): V {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const k = r();
  if (depth > 0 && k < 0.2) {
    const o: { [key: string]: V } = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) o[pick(KEYS)] = genValue(r, depth - 1, respell);
    return o;
  }
  if (depth > 0 && k < 0.35) return Array.from({ length: Math.floor(r() * 4) }, () => genValue(r, depth - 1, respell));
  if (k < 0.6) return new Num(pick(respell ? [...RESPELLED, ...KEPT_NUMBERS] : KEPT_NUMBERS));
  if (k < 0.85) return pick(STRINGS);
  return pick([true, false, null] as V[]);
}

/** A record: the envelope (canonical names), maybe a payload, maybe meta, maybe other keys. */
function genRecord(r: () => number, i: number, respell: boolean): { [k: string]: V } {
  const rec: { [k: string]: V } = {
    id: `r${i}`,
    type: r() < 0.5 ? 'Placed' : 'Filled',
    ts: `2024-12-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`,
  };
  if (r() < 0.7) rec.stream = `s${i % 5}`;
  const shape = r();
  if (shape < 0.4) rec.data = genValue(r, 3, respell) ?? {};
  else if (shape < 0.5) rec.data = {};
  if (r() < 0.3) rec.meta = r() < 0.2 ? [] : r() < 0.2 ? {} : { host: 'h1', n: new Num(respell ? '1.10' : '7') };
  const extras = Math.floor(r() * 4);
  for (let e = 0; e < extras; e++) rec[KEYS[Math.floor(r() * KEYS.length)]!] = genValue(r, 2, respell);
  // An alias behind the id that won: kept, not taken.
  if (r() < 0.1) rec.eventId = `alias-${i}`;
  if (rec.data === null) delete rec.data;
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Rebuild

interface Row { id: string; type: string; stream: string | null; ts: string | null; data: string | null; meta: string | null }

/** The input record as the stored envelope, data and meta say it was (README's rule, reversed). */
function rebuild(row: Row): { [k: string]: V } {
  const rec: { [k: string]: V } = { id: row.id, type: row.type };
  if (row.ts !== null) rec.ts = row.ts;
  if (row.stream !== null) rec.stream = row.stream;
  const data = row.data === null ? undefined : parseExact(row.data);
  let meta = row.meta === null ? undefined : (parseExact(row.meta) as { [k: string]: V });
  let unmapped: V | undefined;
  if (meta && typeof meta === 'object' && !Array.isArray(meta) && 'evtrail_unmapped' in meta) {
    const { evtrail_unmapped: u, evtrail_meta: original, ...rest } = meta;
    unmapped = u;
    meta = original !== undefined ? (original as { [k: string]: V }) : Object.keys(rest).length ? rest : undefined;
  }
  if (unmapped === 'data') Object.assign(rec, data as object);
  else {
    if (unmapped) Object.assign(rec, unmapped as object);
    if (data !== undefined) rec.data = data;
  }
  if (meta !== undefined) rec.meta = meta;
  return rec;
}

let dir: string;

async function ingestAndRebuild(file: string, options: { preset?: string; map?: Record<string, string>; format?: 'ndjson' | 'json' | 'csv' | 'parquet' } = {}) {
  const db = path.join(dir, `${path.basename(file)}-${Math.random().toString(36).slice(2)}.duckdb`);
  const store = await Store.open(db, { create: true });
  try {
    const summary = await ingestFiles(store, { sources: [file], preset: options.preset, map: options.map as never, format: options.format });
    const rows = (await store.all(`SELECT id, type, stream, evt_iso(ts) AS ts, data::VARCHAR AS data, meta::VARCHAR AS meta FROM events ORDER BY seq`)) as unknown as Row[];
    const rejects = await store.all(`SELECT source_pos, reason FROM rejects ORDER BY source_pos`);
    return { summary, rows, rejects };
  } finally {
    store.close();
  }
}

function expectRoundTrip(records: { [k: string]: V }[], rows: Row[]): void {
  expect(rows.length).toBe(records.length);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const original of records) {
    const row = byId.get(original.id as string)!;
    expect(canon(rebuild(row)), `record ${original.id}: data ${row.data} meta ${row.meta}`).toBe(canon(original));
  }
}

beforeAll(() => {
  dir = tmpDir('evtrail-lossless-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('round trip: every field of every record comes back', () => {
  it('canonical, NDJSON: flat, nested, with and without payload, extra keys, big and long numbers, unicode', async () => {
    const r = rng(15);
    const records = Array.from({ length: 400 }, (_, i) => genRecord(r, i, true));
    const file = path.join(dir, 'gen.ndjson');
    fs.writeFileSync(file, records.map(write).join('\n') + '\n');
    const { rows, rejects } = await ingestAndRebuild(file);
    expect(rejects).toEqual([]);
    expectRoundTrip(records, rows);
  });

  it('canonical, JSON array (numbers DuckDB keeps: its JSON reader re-spells decimals)', async () => {
    const r = rng(16);
    const records = Array.from({ length: 200 }, (_, i) => genRecord(r, i, false));
    const file = path.join(dir, 'gen.json');
    fs.writeFileSync(file, `[\n${records.map(write).join(',\n')}\n]\n`);
    const { rows, rejects } = await ingestAndRebuild(file);
    expect(rejects).toEqual([]);
    expectRoundTrip(records, rows);
  });

  it('canonical, CSV with a header: every column comes back as its text', async () => {
    const r = rng(17);
    // (A cell with a doubled quote, say ""hi"", comes back with its quotes doubled: DuckDB's CSV
    // sniffer, a reader matter outside this test.)
    const cells = ['a,b', 'é ✓', '9007199254740993', '1.10', 'x', 'line\nbreak'];
    const records = Array.from({ length: 100 }, (_, i) => ({
      id: `r${i}`, type: 'T', ts: `2024-12-01T00:00:00.${String(i).padStart(9, '0')}Z`, stream: `s${i % 3}`,
      amount: cells[Math.floor(r() * cells.length)]!, note: cells[Math.floor(r() * cells.length)]!,
    }));
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    const file = path.join(dir, 'gen.csv');
    fs.writeFileSync(file, 'id,type,ts,stream,amount,note\n' + records.map((x) => Object.values(x).map(quote).join(',')).join('\n') + '\n');
    const { rows, rejects } = await ingestAndRebuild(file);
    expect(rejects).toEqual([]);
    expectRoundTrip(records, rows);
  });

  it('canonical, Parquet: typed columns (DECIMAL(38,20), BIGINT, DOUBLE, structs, lists) come back as DuckDB writes the row', async () => {
    const file = path.join(dir, 'gen.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      await con.run(`COPY (SELECT 'r' || i AS id, 'T' AS type, '2024-12-01T00:00:00.' || lpad(i::VARCHAR, 9, '0') || 'Z' AS ts,
          '123.456789012345678901'::DECIMAL(38,20) + i AS amount, 9007199254740993 + i AS big, 0.1 * i AS ratio,
          {'a': i, 'b': [1.10::DECIMAL(5,2), 2.5::DECIMAL(5,2)]} AS nested, CASE WHEN i % 2 = 0 THEN {'k': 'v' || i} END AS data
        FROM range(50) t(i)) TO '${file}' (FORMAT parquet)`);
      const read = await con.runAndReadAll(`SELECT to_json(t)::VARCHAR AS j FROM read_parquet('${file}') t`);
      const originals = read.getRowObjectsJson().map((x) => parseExact(String(x.j)) as { [k: string]: V });
      // A null payload column is the envelope's NULL (README): the record is as if it had none.
      for (const o of originals) if (o.data === null) delete o.data;
      const { rows, rejects } = await ingestAndRebuild(file);
      expect(rejects).toEqual([]);
      expectRoundTrip(originals, rows);
      expect(rows.find((x) => x.id === 'r1')!.data).toContain('"amount":124.45678901234567890100');
      expect(rows.find((x) => x.id === 'r2')!.meta).toContain('"amount":125.45678901234567890100');
    } finally {
      con.closeSync();
    }
  });

  it('--map data=$ keeps the whole record as data', async () => {
    const r = rng(18);
    const records = Array.from({ length: 100 }, (_, i) => genRecord(r, i, true));
    const file = path.join(dir, 'whole.ndjson');
    fs.writeFileSync(file, records.map(write).join('\n') + '\n');
    const { rows, rejects } = await ingestAndRebuild(file, { map: { data: '$' } });
    expect(rejects).toEqual([]);
    const byId = new Map(rows.map((x) => [x.id, x]));
    for (const original of records) {
      const row = byId.get(original.id as string)!;
      expect(canon(parseExact(row.data!))).toBe(canon(original));
    }
  });

  it('cloudevents: every attribute in meta, data as written', async () => {
    const r = rng(19);
    const records = Array.from({ length: 150 }, (_, i) => {
      const e: { [k: string]: V } = { specversion: '1.0', id: `ce-${i}`, source: '/orders', type: 'com.example.placed', time: '2024-12-01T00:00:00.123456789Z' };
      if (r() < 0.5) e.subject = `order-${i}`;
      if (r() < 0.5) e.correlationid = `c-${i % 7}`;
      if (r() < 0.3) e.extcount = new Num('9007199254740993');
      if (r() < 0.8) e.data = genValue(r, 3, true);
      if (e.data === null) delete e.data;
      return e;
    });
    const file = path.join(dir, 'ce.ndjson');
    fs.writeFileSync(file, records.map(write).join('\n') + '\n');
    const { rows, rejects } = await ingestAndRebuild(file, { preset: 'cloudevents', format: 'ndjson' });
    expect(rejects).toEqual([]);
    const byId = new Map(rows.map((x) => [x.id, x]));
    for (const original of records) {
      const row = byId.get(original.id as string)!;
      const rebuilt = parseExact(row.meta!) as { [k: string]: V };
      if (row.data !== null) rebuilt.data = parseExact(row.data);
      expect(canon(rebuilt)).toBe(canon(original));
    }
  });

  it('lobster: every column of every row is in the envelope or data', async () => {
    const lines = ['34200.004241176,1,16113575,18,5853300,1', '34200.025552082,1,16120456,18,5859100,-1', '34200.201743104,3,16120456,18,5859100,-1',
      '34200.401743100,4,16113575,10,5853300,1', '34713.685155243,7,0,0,-1,-1'];
    const file = path.join(dir, 'AMZN_2012-06-21_34200000_57600000_message_1.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const { rows, rejects } = await ingestAndRebuild(file, { preset: 'lobster' });
    expect(rejects).toEqual([]);
    const rebuilt = rows.map((row) => {
      const d = JSON.parse(row.data!) as Record<string, unknown>;
      const price = d.halt !== null ? ({ HALTED: '-1', QUOTING: '0', TRADING: '1' } as Record<string, string>)[d.halt as string] : String(d.priceTicks);
      return [d.time, d.lobsterType, d.orderId, d.size, price, d.side === 'BUY' ? 1 : -1].join(',');
    });
    expect(rebuilt).toEqual(lines);
  });
});

describe('round trip of any shape (issue 15 point 4): array records and exploded records', () => {
  /** Ingests with --map / --each / --skip, returns the events with their line. */
  async function ingestShaped(file: string, options: { map: Record<string, string>; each?: string[]; skip?: string }) {
    const db = path.join(dir, `${path.basename(file)}-${Math.random().toString(36).slice(2)}.duckdb`);
    const store = await Store.open(db, { create: true });
    try {
      const summary = await ingestFiles(store, { sources: [file], map: options.map as never, each: options.each, skip: options.skip });
      const rows = (await store.all(`SELECT id, source_pos::INT AS line, data::VARCHAR AS data, meta::VARCHAR AS meta FROM events ORDER BY seq`)) as unknown as
        { id: string; line: number; data: string | null; meta: string | null }[];
      const rejects = await store.all(`SELECT source_pos, reason FROM rejects ORDER BY source_pos`);
      return { summary, rows, rejects };
    } finally {
      store.close();
    }
  }

  /** A record (or an exploded element) that is not an object, as data and meta keep it. */
  function rebuildWhole(row: { data: string | null; meta: string | null }): V {
    const meta = parseExact(row.meta!) as { [k: string]: V };
    const unmapped = meta.evtrail_unmapped!;
    if (unmapped === 'data') return parseExact(row.data!);
    return unmapped;
  }

  it('JSON-array records mapped by index come back whole, from data or from meta.evtrail_unmapped', async () => {
    const r = rng(151);
    const records: V[] = Array.from({ length: 300 }, (_, i) => {
      const rec: V[] = [new Num(String(8000 + (i % 3))), [`ord-${i}`, genValue(r, 0, true), genValue(r, 2, true)], r() < 0.5 ? 'add' : 'fill',
        new Num(String(1733011200000 + i))];
      const extra = Math.floor(r() * 3);
      for (let e = 0; e < extra; e++) rec.push(genValue(r, 2, true));
      return rec;
    });
    const file = path.join(dir, 'arrays.ndjson');
    fs.writeFileSync(file, records.map(write).join('\n') + '\n');
    for (const map of [
      { id: '$[1][0]', type: '$[2]', ts: '$[3]' } as Record<string, string>,
      { id: '$[1][0]', type: '$[2]', ts: 'sql:epoch_ms(CAST($[3] AS BIGINT))', data: '$[1]' },
    ]) {
      const { rows, rejects } = await ingestShaped(file, { map });
      expect(rejects).toEqual([]);
      expect(rows.length).toBe(records.length);
      for (const row of rows) expect(canon(rebuildWhole(row)), `line ${row.line}`).toBe(canon(records[row.line - 1]!));
    }
  });

  it('exploded frames: each element comes back from its event, and each frame from its first event; skipped lines are none', async () => {
    const r = rng(152);
    const lines: string[] = [];
    const frames = new Map<number, { [k: string]: V }>();
    for (let i = 0; i < 200; i++) {
      if (i % 17 === 5) { lines.push('{"event":"info","n":1.10}'); continue; }
      const elements = (n: number): V[] => Array.from({ length: n }, () => (r() < 0.5
        ? [new Num(r() < 0.5 ? '100.10' : '9007199254740993'), genValue(r, 1, true)]
        : r() < 0.8 ? { a: genValue(r, 2, true), 'x.y': genValue(r, 1, true) } : genValue(r, 0, true)));
      const frame: { [k: string]: V } = { type: r() < 0.3 ? 'snapshot' : 'delta', data: { b: elements(1 + Math.floor(r() * 4)), a: elements(Math.floor(r() * 3)), u: new Num(String(i)) } };
      if (r() < 0.3) frame.extra = genValue(r, 2, true);
      lines.push(write(frame));
      frames.set(lines.length, frame);
    }
    const file = path.join(dir, 'frames.ndjson');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const { rows, rejects, summary } = await ingestShaped(file, {
      map: { id: 'none', ts: 'none', type: 'sql:$frame.type' }, each: ['$.data.b', '$.data.a'], skip: "$.event = 'info'",
    });
    expect(rejects).toEqual([]);
    expect(summary.skipped).toBe(lines.length - frames.size);
    const byLine = new Map<number, typeof rows>();
    for (const row of rows) byLine.set(row.line, [...(byLine.get(row.line) ?? []), row]);
    expect([...byLine.keys()].sort((x, y) => x - y)).toEqual([...frames.keys()]);
    for (const [line, frame] of frames) {
      const events = byLine.get(line)!;
      const data = frame.data as { b: V[]; a: V[] };
      expect(events.length).toBe(data.b.length + data.a.length);
      // The frame, whole, in its first event's meta.
      expect(canon((parseExact(events[0]!.meta!) as { [k: string]: V }).evtrail_frame!)).toBe(canon(frame));
      for (const e of events) {
        const meta = parseExact(e.meta!) as { [k: string]: V };
        const at = meta.evtrail_each as { path: string; index: Num };
        const original = (at.path === '$.data.b' ? data.b : data.a)[Number(at.index.text)]!;
        // An element: an object's fields are data (nothing of it is taken); any other value is kept whole.
        const rebuilt = meta.evtrail_unmapped === 'data' && original !== null && typeof original === 'object' && !Array.isArray(original) && !(original instanceof Num)
          ? parseExact(e.data!) : rebuildWhole(e);
        expect(canon(rebuilt), `line ${line} ${at.path}[${at.index.text}]`).toBe(canon(original));
      }
    }
  });
});

describe('what failed before (issue 15)', () => {
  const one = async (name: string, text: string, options: { map?: Record<string, string> } = {}) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return ingestAndRebuild(file, options);
  };

  it('a flat record keeps its other fields in data (it stored data NULL)', async () => {
    const { rows } = await one('flat.ndjson', '{"id":"1","type":"x","ts":1733011200691,"a":1,"b":{"c":2}}\n');
    expect(rows[0]!.data).toBe('{"a":1,"b":{"c":2}}');
    expect(rows[0]!.meta).toBe('{"evtrail_unmapped":"data"}');
  });

  it('--map data=$ is the whole record (it did nothing)', async () => {
    const { rows } = await one('whole1.ndjson', '{"id":"1","type":"x","ts":1733011200691,"a":1}\n', { map: { data: '$' } });
    expect(rows[0]!.data).toBe('{"id":"1","type":"x","ts":1733011200691,"a":1}');
  });

  it('fields beside a payload go to meta.evtrail_unmapped, nulls included', async () => {
    const { rows } = await one('beside.ndjson', '{"id":"1","type":"x","ts":1733011200691,"data":{"k":1},"meta":{"m":1},"eventId":"e","z":null}\n');
    expect(rows[0]!.data).toBe('{"k":1}');
    expect(rows[0]!.meta).toBe('{"evtrail_unmapped":{"eventId":"e","z":null},"m":1}');
  });

  it('numbers keep their text in the store (123.456789012345678901 was a double, 1.10 was 1.1)', async () => {
    const { rows } = await one('numbers.ndjson', '{"id":"1","type":"x","ts":1733011200691,"data":{"n":9007199254740993,"d":123.456789012345678901,"e":1e400,"f":1.10,"g":[1E-7,-0]}}\n');
    expect(rows[0]!.data).toBe('{"n":9007199254740993,"d":123.456789012345678901,"e":1e400,"f":1.10,"g":[1E-7,-0]}');
  });

  it('a key twice is a reject (SQL read the first, JavaScript the last)', async () => {
    const { rows, rejects } = await one('dup.ndjson', '{"id":"e-2","id":"e-2b","type":"x","ts":1733011200691}\n{"id":"e-3","type":"x","ts":1733011200691}\n');
    expect(rows.map((x) => x.id)).toEqual(['e-3']);
    expect(rejects.map((x) => [Number(x.source_pos), x.reason])).toEqual([[1, 'key "id" occurs more than once (JSON readers disagree on which value counts)']]);
  });

  // Issue 15: DuckDB read the first of two equal keys in data, JSON.parse the last.
  const READERS = ' (JSON readers disagree on which value counts)';
  const NESTED_DUPS: [string, string][] = [
    ['{"id":"n1","type":"x","ts":1733011200691,"data":{"a":1,"a":2}}', 'key "a" occurs more than once in $.data'],
    ['{"id":"n2","type":"x","ts":1733011200691,"data":{"a":1,"\\u0061":2}}', 'key "a" occurs more than once in $.data'],
    ['{"id":"n3","type":"x","ts":1733011200691,"meta":{"u":1,"u":1}}', 'key "u" occurs more than once in $.meta'],
    ['{"id":"n4","type":"x","ts":1733011200691,"extra":{"k":1,"k":2}}', 'key "k" occurs more than once in $.extra'],
    ['{"id":"n5","type":"x","ts":1733011200691,"data":{"x":[{"a":1,"a":2}]}}', 'key "a" occurs more than once in a nested object'],
    ['{"id":"n6","type":"x","ts":1733011200691,"data":{"q":{"r":{"a":1,"a":2}}}}', 'key "a" occurs more than once in a nested object'],
    ['{"id":"n7","type":"x","ts":1733011200691,"data":{"f":1.10,"q":{"a":null,"a":null}}}', 'key "a" occurs more than once in a nested object'],
    ['[{"b":1,"b":2}]', 'not a JSON object'],
  ];
  const NESTED_FINE = [
    // The same key in sibling objects, in array elements, a key equal to a value, at two depths, a key quoted in a string.
    '{"id":"f1","type":"x","ts":1733011200691,"data":{"a":{"k":1},"b":{"k":2},"l":[{"k":1},{"k":2}],"s":"a","k":"k"},"meta":{"k":1}}',
    '{"id":"f2","type":"x","ts":1733011200691,"data":{"a":1,"b":{"a":2,"c":{"a":3}}},"meta":{"s":"{\\"a\\":1,\\"a\\":2}"}}',
    '{"id":"f3","type":"x","ts":1733011200691,"data":{"a":1,"A":2,"a ":3},"meta":{}}',
  ];

  it('a key twice in any object below the top level is a reject (SQL read the first, JavaScript the last)', async () => {
    const { rows, rejects } = await one('dup-nested.ndjson', [...NESTED_DUPS.map(([l]) => l), ...NESTED_FINE].join('\n') + '\n');
    expect(rows.map((x) => x.id)).toEqual(['f1', 'f2', 'f3']);
    expect(rows[0]!.data).toBe('{"a":{"k":1},"b":{"k":2},"l":[{"k":1},{"k":2}],"s":"a","k":"k"}');
    expect(rejects.map((x) => [Number(x.source_pos), x.reason])).toEqual(
      NESTED_DUPS.map(([, reason], i) => [i + 1, reason === 'not a JSON object' ? reason : reason + READERS]));
  });

  it('a nested key twice is a reject from a JSON array file, CloudEvents and a frame exploded with --each', async () => {
    const arr = await one('dup-nested.json', `[${NESTED_DUPS[0]![0]},\n ${NESTED_FINE[0]}, {"id":"n8","type":"x","ts":1733011200691,"data":{"l":[{"z":1,"z":2}]}}]`);
    expect(arr.rows.map((x) => x.id)).toEqual(['f1']);
    expect(arr.rejects.map((x) => x.reason)).toEqual([
      'key "a" occurs more than once in $.data' + READERS, 'key "z" occurs more than once in a nested object' + READERS]);

    const ceFile = path.join(dir, 'dup-ce.ndjson');
    fs.writeFileSync(ceFile, ['{"specversion":"1.0","id":"c1","source":"/o","type":"t","data":{"p":1,"p":2}}',
      '{"specversion":"1.0","id":"c2","source":"/o","type":"t","data":{"p":{"q":1},"r":{"q":2}}}'].join('\n') + '\n');
    const ce = await ingestAndRebuild(ceFile, { preset: 'cloudevents', format: 'ndjson' });
    expect(ce.rows.map((x) => x.id)).toEqual(['c2']);
    expect(ce.rejects.map((x) => x.reason)).toEqual(['key "p" occurs more than once in $.data' + READERS]);

    const frames = path.join(dir, 'dup-frames.ndjson');
    fs.writeFileSync(frames, ['{"t":1,"orders":[{"id":"a1"},{"id":"a2"}],"x":{"k":1,"k":2}}', '{"t":1,"orders":[{"id":"b1","id":"b2"}]}',
      '{"t":1,"orders":[{"id":"c1","d":{"k":1,"k":2}},{"id":"c2"}]}', '{"t":1,"orders":[{"id":"d1","d":{"k":1}},{"id":"d2","d":{"k":2}}]}'].join('\n') + '\n');
    const store = await Store.open(path.join(dir, 'dup-frames.duckdb'), { create: true });
    try {
      await ingestFiles(store, { sources: [frames], map: { ts: 'none', type: 'sql:\'order\'' } as never, each: ['$.orders'] });
      expect((await store.all(`SELECT id FROM events ORDER BY seq`)).map((x) => x.id)).toEqual(['d1', 'd2']);
      expect((await store.all(`SELECT source_pos::INT AS p, reason FROM rejects ORDER BY source_pos, reason`)).map((x) => [x.p, x.reason])).toEqual([
        [1, 'at $.orders[0]: key "k" occurs more than once in an object of the record' + READERS],
        [1, 'at $.orders[1]: key "k" occurs more than once in an object of the record' + READERS],
        [2, 'at $.orders[0]: key "id" occurs more than once' + READERS],
        [3, 'at $.orders[0]: key "k" occurs more than once in an object of the record' + READERS],
        [3, 'at $.orders[1]: key "k" occurs more than once in an object of the record' + READERS],
      ]);
    } finally {
      store.close();
    }
  });

  it('nesting beyond 64 levels is a reject (10,000 broke --json output, 100,000 crashed replay)', async () => {
    const nested = (depth: number) => `{"id":"d${depth}","type":"x","ts":1733011200691,"stream":"s","data":{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;
    const { rows, rejects } = await one('deep.ndjson', [64, 65, 10_000, 100_000].map(nested).join('\n') + '\n');
    expect(rows.map((x) => x.id)).toEqual(['d64']);
    expect(rejects.map((x) => [Number(x.source_pos), x.reason])).toEqual([2, 3, 4].map((p) => [p, 'nested deeper than 64 levels']));
  });

  it('a record holding the text of evtrail\'s number mark is a reject, not a number later', async () => {
    // A good record first: a source whose every record is rejected is refused whole (issue 15).
    const { rows, rejects } = await one('mark.ndjson', '{"id":"ok","type":"x","ts":1733011200691,"data":{"s":"fine"}}\n{"id":"m","type":"x","ts":1733011200691,"data":{"s":"\\u0001N:5"}}\n');
    expect(rows.map((r) => r.id)).toEqual(['ok']);
    expect(rejects).toHaveLength(1);
    expect(String(rejects[0]!.reason)).toMatch(/mark/);
  });
});
