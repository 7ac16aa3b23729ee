/**
 * Bad input, driven through the built CLI as a user does. The rule: bad input always gets a
 * reject row or a clear one-line error (`evtrail: …` then `hint: …` on stderr, exit 2), never
 * a stack trace and never a half-written store.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, cli, cliJson, event, ndjson, tmpDir, type CliResult } from '../helpers.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = tmpDir();
  db = path.join(dir, 'store.duckdb');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

const STACK_LINE = /^\s+at /m;

/** exit code, and stderr exactly `evtrail: …` + `hint: …`, nothing on stdout. */
function expectOneLineError(result: CliResult, message: RegExp, code = 2): void {
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^evtrail: \S/);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: \S/);
  expect(result.stdout).toBe('');
}

/** What a store holds, to compare before and after a failure (null: no store file). */
function snapshot(file = db): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  return cliJson<Record<string, unknown>[]>(['query', `select
      (select count(*) from events)::INTEGER AS events,
      (select count(*) from rejects)::INTEGER AS rejects,
      (select count(*) from sources)::INTEGER AS sources,
      (select count(*) from ingests)::INTEGER AS ingests,
      (select string_agg(seq || ':' || id || ':' || coalesce(dup_kind, ''), ',' ORDER BY seq) from events) AS ids,
      (select string_agg(uri || ':' || bytes || ':' || sha256, ',' ORDER BY source_id) from sources) AS sources_state`,
  '--db', file])[0]!;
}

/** A store with two events from one file: the "before" of the failure cases. */
function seed(): unknown {
  const file = write('seed.ndjson', ndjson([event({ id: 's1' }), event({ id: 's2', rev: 2 })]));
  expect(cliJson(['ingest', file, '--db', db]).ingested).toBe(2);
  return snapshot();
}

function rejects(file = db): { line: number; reason: string; raw: string | null }[] {
  return cliJson(['rejects', '--db', file]);
}

function ids(file = db): { id: string; source_pos: number }[] {
  return cliJson(['query', 'select id, source_pos from events order by seq', '--db', file]);
}

/** Deterministic "random" bytes (mulberry32). */
function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let a = seed;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

const READER_REASON = /^(invalid UTF-8|not valid JSON|not a JSON object|incomplete last line|line size over maximum|missing )/;

/** A big log (one OrderPlaced per line), for the interrupt cases. */
function bigLog(name: string, lines: number): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  try {
    const base = Date.parse('2025-08-26T09:30:00Z');
    for (let start = 0; start < lines; start += 10_000) {
      let chunk = '';
      for (let i = start; i < Math.min(lines, start + 10_000); i++) {
        chunk += `{"id":"big-${i}","stream":"order-${i % 5000}","rev":${Math.floor(i / 5000) + 1},"type":"OrderPlaced","ts":"${new Date(base + i).toISOString()}","data":{"orderId":"o${i}","qty":${i},"note":"padding padding padding"}}\n`;
      }
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

interface Running {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Starts the CLI without waiting. Its temp folder (TMPDIR) is one the test watches: an ingest
 * makes its work folder there once the store is open and reading has begun.
 */
function startCli(args: string[]): Running & { started: () => Promise<void> } {
  const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const spawned = Date.now();
  /** Resolves once the ingest is reading (and at least 300 ms after the start). */
  const started = async () => {
    while (fs.readdirSync(tmp).length === 0) {
      if (child.exitCode !== null || Date.now() - spawned > 20_000) throw new Error(`the ingest did not start: ${stderr}`);
      await sleep(10);
    }
    await sleep(Math.max(0, 300 - (Date.now() - spawned)));
  };
  return { child, done, started };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bad input (built CLI)', () => {
  it('truncated last line: held back as a reject, read once the line is complete', () => {
    const file = write('trunc.ndjson', ndjson([event({ id: 'e1' }), event({ id: 'e2', rev: 2 })]) + '{"id": "e3", "type": "OrderPl');
    const result = cli(['ingest', file, '--db', db, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ingested: 2, rejected: 1 });
    expect(rejects()).toEqual([
      { source: fs.realpathSync(file), line: 3, reason: expect.stringMatching(/^incomplete last line/), raw: '{"id": "e3", "type": "OrderPl' },
    ]);
    fs.appendFileSync(file, 'aced", "ts": "2025-08-26T10:00:00Z"}\n');
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 1, rejected: 0 });
    expect(rejects()).toEqual([]);
    expect(ids().map((r) => r.id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('binary garbage (random bytes with NULs) in an .ndjson file: reject rows, good lines kept', () => {
    // Three lines of garbage (no line breaks inside, NULs included) between good lines …
    const garbage = [1, 2, 3].map((seed) => {
      const bytes = randomBytes(400, seed).map((b) => (b === 0x0a || b === 0x0d ? 0x00 : b));
      bytes[0] = 0x00;
      bytes[200] = 0xff;
      return Buffer.from(bytes);
    });
    const good = (id: string) => Buffer.from(JSON.stringify(event({ id })) + '\n');
    const file = write('garbage.ndjson', Buffer.concat([
      good('g1'), garbage[0]!, Buffer.from('\n'), garbage[1]!, Buffer.from('\n'), good('g5'), garbage[2]!, Buffer.from('\n'), good('g7'),
    ]));
    const result = cli(['ingest', file, '--db', db, '--json']);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ingested: 3, rejected: 3 });
    const rows = rejects();
    expect(rows.map((r) => r.line)).toEqual([2, 3, 5]);
    for (const r of rows) expect(r.reason).toMatch(READER_REASON);
    expect(ids()).toEqual([{ id: 'g1', source_pos: 1 }, { id: 'g5', source_pos: 4 }, { id: 'g7', source_pos: 6 }]);

    // … and a file that is nothing but random bytes (line breaks, CRs, NULs, no final newline).
    const noise = write('noise.ndjson', Buffer.concat([good('n1'), randomBytes(64 * 1024, 42)]));
    const second = cli(['ingest', noise, '--db', db, '--json']);
    expect(second.stderr).not.toMatch(STACK_LINE);
    expect(second.code, second.stderr).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary.ingested).toBe(1);
    expect(summary.rejected).toBeGreaterThan(0);
    for (const r of rejects()) expect(r.reason).toMatch(READER_REASON);
  });

  it('a line with invalid UTF-8 among good lines is rejected with its line number', () => {
    const file = write('utf8.ndjson', Buffer.concat([
      Buffer.from(JSON.stringify(event({ id: 'u1' })) + '\n'),
      Buffer.from('{"id": "u2", "type": "OrderPlaced", "ts": "2025-08-26T10:00:00Z", "data": {"note": "'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from('"}}\n'),
      Buffer.from(JSON.stringify(event({ id: 'u3', rev: 3 })) + '\n'),
    ]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 2, rejected: 1 });
    const rows = rejects();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ line: 2, reason: 'invalid UTF-8' });
    expect(rows[0]!.raw).toContain('"id": "u2"');
    expect(ids()).toEqual([{ id: 'u1', source_pos: 1 }, { id: 'u3', source_pos: 3 }]);
  });

  it('a UTF-8 BOM at the start of the file is skipped', () => {
    const file = write('bom.ndjson', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ndjson([event({ id: 'b1' }), event({ id: 'b2', rev: 2 })]))]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 2, rejected: 0 });
    expect(ids()).toEqual([{ id: 'b1', source_pos: 1 }, { id: 'b2', source_pos: 2 }]);
    expect(cliJson(['query', `select count(*)::INTEGER n from events where id like '%' || chr(65279) || '%'`, '--db', db])).toEqual([{ n: 0 }]);
  });

  it('CRLF line endings: read as lines, no CR left in the values, line numbers right', () => {
    const text = [
      JSON.stringify(event({ id: 'c1', data: { note: 'end' } })),
      '',
      'not json',
      JSON.stringify(event({ id: 'c4', rev: 2 })),
    ].join('\r\n') + '\r\n';
    const file = write('crlf.ndjson', text);
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 2, rejected: 1 });
    expect(ids()).toEqual([{ id: 'c1', source_pos: 1 }, { id: 'c4', source_pos: 4 }]);
    expect(rejects().map((r) => [r.line, r.reason, r.raw])).toEqual([[3, 'not valid JSON', 'not json']]);
    expect(cliJson(['query', `select data->>'note' AS note, contains(id, chr(13)) AS cr from events order by seq limit 1`, '--db', db])).toEqual([{ note: 'end', cr: false }]);
  });

  it('a lone CR inside a line (JSON whitespace) does not split the line', () => {
    const file = write('cr.ndjson', [
      JSON.stringify(event({ id: 'r1' })),
      '{"id": "r2", "type": "OrderPlaced",\r"ts": "2025-08-26T10:00:00Z"}',
      JSON.stringify(event({ id: 'r3', rev: 3 })),
    ].join('\n') + '\n');
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(rejects()).toEqual([]);
    expect(summary).toMatchObject({ ingested: 3, rejected: 0 });
    expect(ids()).toEqual([{ id: 'r1', source_pos: 1 }, { id: 'r2', source_pos: 2 }, { id: 'r3', source_pos: 3 }]);
  });

  it('an empty file ingests 0 events and exits 0', () => {
    const file = write('empty.ndjson', '');
    const result = cli(['ingest', file, '--db', db, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ ingested: 0, rejected: 0, redelivered: 0, conflicts: 0 });
    expect(summary.sources).toEqual([expect.objectContaining({ status: 'new', ingested: 0 })]);
    // Lines that are all blank are not records either.
    const blank = write('blank.ndjson', '\n\n  \n');
    expect(cliJson(['ingest', blank, '--db', db])).toMatchObject({ ingested: 0, rejected: 0 });
    expect(snapshot()).toMatchObject({ events: 0, rejects: 0, sources: 2 });
  });

  it('a valid event with a 10 MB data string ingests whole', () => {
    const blob = 'x'.repeat(10 * 1024 * 1024);
    const file = write('big-line.ndjson', ndjson([event({ id: 'small1' }), event({ id: 'big', rev: 2, data: { orderId: 'ord-1', blob } }), event({ id: 'small2', rev: 3 })]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 3, rejected: 0 });
    expect(cliJson(['query', `select id, length(data->>'blob')::INTEGER AS n from events order by seq`, '--db', db])).toEqual([
      { id: 'small1', n: null }, { id: 'big', n: blob.length }, { id: 'small2', n: null },
    ]);
  });

  it('a line over the 32 MB line limit is a reject with the reason, not a crash', () => {
    const blob = 'y'.repeat(33 * 1024 * 1024);
    const file = write('huge-line.ndjson', ndjson([event({ id: 'h1' }), event({ id: 'huge', rev: 2, data: { blob } }), event({ id: 'h3', rev: 3 })]));
    const result = cli(['ingest', file, '--db', db, '--json']);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ingested: 2, rejected: 1 });
    const rows = rejects();
    expect(rows.map((r) => [r.line, r.reason])).toEqual([[2, expect.stringMatching(/line size over maximum.*33554432/i)]]);
    expect(rows[0]!.raw!.length).toBeLessThanOrEqual(1 << 20); // the raw text is kept short
    expect(ids()).toEqual([{ id: 'h1', source_pos: 1 }, { id: 'h3', source_pos: 3 }]);
  });

  it('missing id / type / time are rejects with the field named', () => {
    const file = write('missing.ndjson', ndjson([
      event({ id: 'ok' }),
      { type: 'OrderPlaced', ts: '2025-08-26T10:00:00Z' },
      { id: 'm3', ts: '2025-08-26T10:00:00Z' },
      { id: 'm4', type: 'OrderPlaced' },
      { id: '', type: 'OrderPlaced', ts: '2025-08-26T10:00:00Z' },
      { id: 'm6', type: 'OrderPlaced', ts: null },
    ]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 1, rejected: 5 });
    expect(rejects().map((r) => [r.line, r.reason])).toEqual([
      [2, 'missing id'], [3, 'missing type'], [4, 'missing ts'], [5, 'missing id'], [6, 'missing ts'],
    ]);
  });

  it('an unparseable time is a reject that quotes it', () => {
    const file = write('times.ndjson', ndjson([
      event({ id: 't1' }),
      event({ id: 't2', ts: 'lunchtime' }),
      event({ id: 't3', ts: '2025-13-45T99:00:00Z' }),
      event({ id: 't4', ts: true }),
      event({ id: 't5', ts: { at: 1 } }),
    ]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 1, rejected: 4 });
    expect(rejects().map((r) => [r.line, r.reason])).toEqual([
      [2, 'ts: cannot read lunchtime as a time'],
      [3, 'ts: cannot read 2025-13-45T99:00:00Z as a time'],
      [4, 'ts: cannot read true as a time'],
      [5, 'ts: cannot read {"at":1} as a time'],
    ]);
  });

  it('a time finer than nanoseconds is a reject, never rounded', () => {
    const file = write('fine.ndjson', ndjson([
      event({ id: 'n1', ts: '2025-08-26T10:00:00.123456789Z' }),
      event({ id: 'n2', ts: '2025-08-26T10:00:00.1234567891Z' }),
      event({ id: 'n3', ts: '1756202400.1234567891' }),
    ]));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(cliJson(['query', 'select id, evt_iso(ts) AS ts from events order by seq', '--db', db])).toEqual([
      { id: 'n1', ts: '2025-08-26T10:00:00.123456789Z' },
    ]);
    expect(summary).toMatchObject({ ingested: 1, rejected: 2 });
    expect(rejects().map((r) => [r.line, r.reason])).toEqual([
      [2, 'ts: cannot read 2025-08-26T10:00:00.1234567891Z as a time'],
      [3, 'ts: cannot read 1756202400.1234567891 as a time'],
    ]);
  });

  it('wrong field types (rev "abc", id as an object, type as an array) are rejects', () => {
    const file = write('types.ndjson', ndjson([
      event({ id: 'w1' }),
      event({ id: 'w2', rev: 'abc' }),
      event({ id: { nested: 1 } }),
      event({ id: 'w4', type: ['OrderPlaced'] }),
      event({ id: 'w5', rev: '7' }), // a number in a string is a number
      event({ id: 42, rev: 8 }), // a numeric id is read as text
    ]));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 3, rejected: 3 });
    expect(rejects().map((r) => [r.line, r.reason])).toEqual([
      [2, 'rev: expected an integer, got abc'],
      [3, 'id: expected a string, got {"nested":1}'],
      [4, 'type: expected a string, got ["OrderPlaced"]'],
    ]);
    expect(cliJson(['query', 'select id, rev from events order by seq', '--db', db])).toEqual([
      { id: 'w1', rev: 1 }, { id: 'w5', rev: 7 }, { id: '42', rev: 8 },
    ]);
  });

  it('a fractional rev is a reject, not rounded', () => {
    const file = write('frac.ndjson', ndjson([event({ id: 'f1' }), event({ id: 'f2', rev: 1.5 })]));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(cliJson(['query', 'select id, rev from events order by seq', '--db', db])).toEqual([{ id: 'f1', rev: 1 }]);
    expect(summary).toMatchObject({ ingested: 1, rejected: 1 });
    expect(rejects().map((r) => [r.line, r.reason])).toEqual([[2, 'rev: expected an integer, got 1.5']]);
  });

  it('duplicate ids: redeliveries and conflicts are kept and counted, within a file and across ingests', () => {
    const first = write('one.ndjson', ndjson([
      event({ id: 'd1' }), event({ id: 'd2', rev: 2 }),
      event({ id: 'd1' }), // redelivery
      event({ id: 'd2', rev: 2, data: { orderId: 'ord-1', qty: 7 } }), // conflict
    ]));
    expect(cliJson(['ingest', first, '--db', db])).toMatchObject({ ingested: 4, redelivered: 1, conflicts: 1 });
    const second = write('two.ndjson', ndjson([
      event({ id: 'd1', meta: { delivery: 3 } }), // meta may differ between deliveries
      event({ id: 'd2', rev: 2, ts: '2025-08-26T09:30:00.123456788Z' }),
    ]));
    expect(cliJson(['ingest', second, '--db', db])).toMatchObject({ ingested: 2, redelivered: 1, conflicts: 1 });
    expect(cliJson(['query', 'select seq, id, dup_kind, dup_of from events order by seq', '--db', db])).toEqual([
      { seq: 1, id: 'd1', dup_kind: null, dup_of: null },
      { seq: 2, id: 'd2', dup_kind: null, dup_of: null },
      { seq: 3, id: 'd1', dup_kind: 'redelivery', dup_of: 1 },
      { seq: 4, id: 'd2', dup_kind: 'conflict', dup_of: 2 },
      { seq: 5, id: 'd1', dup_kind: 'redelivery', dup_of: 1 },
      { seq: 6, id: 'd2', dup_kind: 'conflict', dup_of: 2 },
    ]);
    expect(cliJson(['info', '--db', db])).toMatchObject({ events: 6, redelivered: 2, conflicts: 2 });
  });

  it('unknown preset: one-line error, no store created, an existing store unchanged', () => {
    const file = write('a.ndjson', ndjson([event()]));
    expectOneLineError(cli(['ingest', file, '--db', db, '--preset', 'nope']), /unknown preset "nope"/);
    expect(fs.existsSync(db)).toBe(false);
    const before = seed();
    const result = cli(['ingest', file, '--db', db, '--preset', 'nope']);
    expectOneLineError(result, /unknown preset "nope"/);
    expect(result.stderr).toMatch(/hint: file presets: canonical, cloudevents, lobster/);
    expect(snapshot()).toEqual(before);
  });

  it('unknown --format: one-line error, no store created, an existing store unchanged', () => {
    const file = write('a.ndjson', ndjson([event()]));
    const result = cli(['ingest', file, '--db', db, '--format', 'xml']);
    expectOneLineError(result, /unknown format "xml"/);
    expect(result.stderr).toMatch(/hint: use one of: ndjson, json, csv, parquet/);
    expect(fs.existsSync(db)).toBe(false);
    const before = seed();
    expectOneLineError(cli(['ingest', file, '--db', db, '--format', 'xml']), /unknown format "xml"/);
    expect(snapshot()).toEqual(before);
  });

  it('a file that does not exist: one-line error, nothing ingested from the others', () => {
    const good = write('good.ndjson', ndjson([event({ id: 'x1' })]));
    expectOneLineError(cli(['ingest', good, path.join(dir, 'missing.ndjson'), '--db', db]), /no such file: .*missing\.ndjson/);
    expect(fs.existsSync(db)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('store'))).toEqual([]);
    const before = seed();
    expectOneLineError(cli(['ingest', good, path.join(dir, 'missing.ndjson'), '--db', db]), /no such file/);
    expect(snapshot()).toEqual(before);
    expectOneLineError(cli(['ingest', path.join(dir, 'nothing-*.ndjson'), '--db', db]), /no file matches .*nothing-\*\.ndjson/);
    expect(snapshot()).toEqual(before);
  });

  // Root reads any file whatever its mode, so as root the CLI runs as "nobody" for this case.
  const asRoot = process.getuid?.() === 0;
  const nobody = { uid: 65534, gid: 65534 };
  const nobodyProbe = asRoot ? spawnSync(process.execPath, [BIN, '--version'], { ...nobody, encoding: 'utf8' }) : undefined;
  const unreadableSkip = asRoot && nobodyProbe?.status !== 0
    ? `running as root and cannot run the CLI as uid 65534 (${nobodyProbe?.error?.message ?? nobodyProbe?.stderr.trim()})`
    : undefined;
  if (unreadableSkip) console.warn(`skipping the unreadable-file case: ${unreadableSkip}`);

  it.skipIf(unreadableSkip !== undefined)('a file that cannot be read (chmod 000): one-line error, store unchanged', () => {
    fs.chmodSync(dir, 0o777);
    const as = asRoot ? nobody : {};
    const good = write('good.ndjson', ndjson([event({ id: 'p1' })]));
    const locked = write('locked.ndjson', ndjson([event({ id: 'p2' })]));
    fs.chmodSync(locked, 0o000);
    const run = (args: string[]) => cli(args, { ...as, cwd: dir });
    expectOneLineError(run(['ingest', good, locked, '--db', db]), /cannot read .*locked\.ndjson: permission denied/);
    expect(fs.existsSync(db)).toBe(false);
    expect(run(['ingest', good, '--db', db, '--json']).code).toBe(0);
    const before = snapshot();
    expectOneLineError(run(['ingest', locked, '--db', db]), /cannot read .*locked\.ndjson: permission denied/);
    expect(snapshot()).toEqual(before);
    // Inside a folder: an unreadable file, then an unreadable subfolder.
    write('logs/a.ndjson', ndjson([event({ id: 'p3' })]));
    fs.renameSync(locked, path.join(dir, 'logs', 'b.ndjson'));
    expectOneLineError(run(['ingest', path.join(dir, 'logs'), '--db', db]), /cannot read .*logs\/b\.ndjson: permission denied/);
    fs.rmSync(path.join(dir, 'logs', 'b.ndjson'));
    write('logs/sub/c.ndjson', ndjson([event({ id: 'p4' })]));
    fs.chmodSync(path.join(dir, 'logs', 'sub'), 0o000);
    expectOneLineError(run(['ingest', path.join(dir, 'logs'), '--db', db]), /cannot read folder .*logs\/sub: permission denied/);
    fs.chmodSync(path.join(dir, 'logs', 'sub'), 0o755);
    expect(snapshot()).toEqual(before);
  });

  it('a --db that is not a DuckDB file: one-line error, the file untouched', () => {
    const file = write('a.ndjson', ndjson([event()]));
    const text = write('notes.txt', 'these are my notes\n');
    for (const command of [['ingest', file], ['info'], ['query', 'select 1'], ['rejects']]) {
      expectOneLineError(cli([...command, '--db', text]), /notes\.txt is not a DuckDB database file/);
    }
    expect(fs.readFileSync(text, 'utf8')).toBe('these are my notes\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['a.ndjson', 'notes.txt']);
  });

  it('a --db that is a directory: one-line error', () => {
    const file = write('a.ndjson', ndjson([event()]));
    const folder = path.join(dir, 'folder.duckdb');
    fs.mkdirSync(folder);
    expectOneLineError(cli(['ingest', file, '--db', folder]), /--db .*folder\.duckdb is a directory/);
    expectOneLineError(cli(['info', '--db', folder]), /is a directory/);
    expect(fs.readdirSync(folder)).toEqual([]);
    // And a --db inside a folder that does not exist.
    expectOneLineError(cli(['ingest', file, '--db', path.join(dir, 'no-such-folder', 's.duckdb')]), /no folder .*no-such-folder/);
  });

  it('a store held by another process: "in use by another process", exit 2, store unchanged', async () => {
    const before = seed();
    const api = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
    const holder = write('hold.mjs', `import { DuckDBInstance } from ${JSON.stringify(api)};
      const instance = await DuckDBInstance.create(process.argv[2], { access_mode: 'READ_WRITE' });
      const conn = await instance.connect();
      await conn.run('SELECT count(*) FROM events');
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1 << 30);`);
    const child = spawn(process.execPath, [holder, db], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
        setTimeout(() => reject(new Error('holder did not start')), 20_000);
      });
      const file = write('more.ndjson', ndjson([event({ id: 'more' })]));
      const result = cli(['ingest', file, '--db', db]);
      expectOneLineError(result, /store .*store\.duckdb is in use by another process/);
      expect(result.stderr).toMatch(new RegExp(`PID ${child.pid}`));
      expectOneLineError(cli(['info', '--db', db]), /in use by another process/);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    }
    expect(snapshot()).toEqual(before);
  });

  it('an interrupted ingest (SIGINT) exits 130 and leaves the store exactly as before', async () => {
    const before = seed();
    const big = bigLog('big.ndjson', 300_000);
    const running = startCli(['ingest', big, '--db', db, '--json']);
    await running.started(); // ~300 ms, later on a busy machine: a Ctrl-C while the ingest runs
    running.child.kill('SIGINT');
    const result = await running.done;
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 130, signal: null });
    expectOneLineError({ code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr }, /^evtrail: interrupted: nothing was ingested, the store is as it was$/, 130);
    expect(snapshot()).toEqual(before);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('store.duckdb.'))).toEqual([]);
  });

  it('an interrupted first ingest leaves no store behind', async () => {
    const big = bigLog('big.ndjson', 300_000);
    const running = startCli(['ingest', big, '--db', db, '--json']);
    await running.started();
    running.child.kill('SIGINT');
    const result = await running.done;
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 130, signal: null });
    expectOneLineError({ code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr }, /^evtrail: interrupted/, 130);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('store'))).toEqual([]);
  });

  it('a killed ingest (SIGKILL): the store opens afterwards, as before, and the ingest can be rerun', async () => {
    const before = seed();
    const big = bigLog('big.ndjson', 300_000);
    const running = startCli(['ingest', big, '--db', db, '--json']);
    await running.started();
    await sleep(300);
    running.child.kill('SIGKILL');
    const result = await running.done;
    expect(result.signal).toBe('SIGKILL');
    const info = cli(['info', '--db', db, '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ events: 2 });
    expect(snapshot()).toEqual(before);
    expect(cliJson(['ingest', big, '--db', db])).toMatchObject({ ingested: 300_000, rejected: 0 });
  });

  it('a gzip file (.ndjson.gz) ingests; a .gz that is not gzip is a one-line error', () => {
    const events = [event({ id: 'z1' }), event({ id: 'z2', rev: 2 }), event({ id: 'z3', rev: 3 })];
    const file = write('log.ndjson.gz', zlib.gzipSync(ndjson(events)));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(summary).toMatchObject({ ingested: 3, rejected: 0 });
    expect(summary.sources[0]).toMatchObject({ format: 'ndjson', status: 'new' });
    expect(ids()).toEqual([{ id: 'z1', source_pos: 1 }, { id: 'z2', source_pos: 2 }, { id: 'z3', source_pos: 3 }]);
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 0, sources: [{ status: 'unchanged' }] });
    const before = snapshot();
    const fake = write('fake.ndjson.gz', ndjson(events));
    expectOneLineError(cli(['ingest', fake, '--db', db]), /fake\.ndjson\.gz/);
    expect(snapshot()).toEqual(before);
  });

  it('a quoted glob and a folder ingest several files in sorted order', () => {
    // Written out of order; the folder also holds a file that is not a log.
    write('logs/b.ndjson', ndjson([event({ id: 'b1' })]));
    write('logs/a.ndjson', ndjson([event({ id: 'a1' }), event({ id: 'a2', rev: 2 })]));
    write('logs/c.jsonl', ndjson([event({ id: 'c1' })]));
    write('logs/sub/d.ndjson', ndjson([event({ id: 'd1' })]));
    write('logs/README.txt', 'not a log');
    const glob = cliJson(['ingest', path.join(dir, 'logs', '*.ndjson'), '--db', db]);
    expect(glob.sources.map((s: any) => path.basename(s.uri))).toEqual(['a.ndjson', 'b.ndjson']);
    expect(ids().map((r) => r.id)).toEqual(['a1', 'a2', 'b1']);

    const db2 = path.join(dir, 'folder.duckdb');
    const folder = cliJson(['ingest', path.join(dir, 'logs'), '--db', db2]);
    expect(folder.sources.map((s: any) => path.relative(path.join(fs.realpathSync(dir), 'logs'), s.uri))).toEqual(['a.ndjson', 'b.ndjson', 'c.jsonl', 'sub/d.ndjson']);
    expect(cliJson(['query', 'select seq, id from events order by seq', '--db', db2]).map((r: any) => `${r.seq}:${r.id}`))
      .toEqual(['1:a1', '2:a2', '3:b1', '4:c1', '5:d1']);
  });

  it('stdin (-) works, and piping the same content again adds nothing', () => {
    const content = ndjson([event({ id: 'i1' }), event({ id: 'i2', rev: 2 })]);
    const first = cliJson(['ingest', '-', '--db', db], { input: content });
    expect(first).toMatchObject({ ingested: 2, rejected: 0 });
    expect(first.sources[0]).toMatchObject({ source: 'stdin', status: 'new' });
    const again = cliJson(['ingest', '-', '--db', db], { input: content });
    expect(again).toMatchObject({ ingested: 0, sources: [{ status: 'unchanged' }] });
    expect(snapshot()).toMatchObject({ events: 2, sources: 1 });
    expect(cliJson(['info', '--db', db]).sources).toEqual([expect.objectContaining({ kind: 'stdin', events: 2 })]);

    // gzip on standard input is decompressed; a pipe named as a file (<(zcat …)) is read like stdin.
    const gz = cliJson(['ingest', '-', '--db', db], { input: zlib.gzipSync(ndjson([event({ id: 'i3', rev: 3 })])) });
    expect(gz).toMatchObject({ ingested: 1, rejected: 0 });
    const fifo = path.join(dir, 'events.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `printf '%s' '${ndjson([event({ id: 'i4', rev: 4 })]).trimEnd()}' > "${fifo}"`]);
    const pipe = cliJson(['ingest', fifo, '--db', db]);
    writer.kill();
    expect(pipe).toMatchObject({ ingested: 1, rejected: 0, sources: [{ source: fifo }] });
    expect(ids().map((r) => r.id)).toEqual(['i1', 'i2', 'i3', 'i4']);
    const before = snapshot();
    expectOneLineError(cli(['ingest', '-', '-', '--db', db], { input: content }), /standard input\) is given more than once/);
    expect(snapshot()).toEqual(before);
  });

  it('an invalid evtrail.config.json: the error names the file, the field and the expectation', () => {
    const file = write('a.ndjson', ndjson([event()]));
    const cases: [unknown, RegExp][] = [
      ['{"preset": ', /evtrail\.config\.json: not valid JSON/],
      [[], /evtrail\.config\.json: expected a JSON object, got an array/],
      [{ preset: 5 }, /evtrail\.config\.json: preset: expected a preset name \(canonical, cloudevents, lobster\), got 5/],
      [{ preset: 'nope' }, /evtrail\.config\.json: preset: unknown preset "nope"/],
      [{ format: 'xml' }, /evtrail\.config\.json: format: unknown format "xml"/],
      [{ date: '21/06/2012' }, /evtrail\.config\.json: date: expected a date as YYYY-MM-DD, got "21\/06\/2012"/],
      [{ presett: 'canonical' }, /evtrail\.config\.json: unknown field "presett"/],
      [{ map: { colour: 'x' } }, /evtrail\.config\.json: map: unknown envelope field "colour"/],
      [{ map: { id: 3 } }, /evtrail\.config\.json: map\.id: expected a path \("event\.uuid", "\$\[1\]\[0\]"\), null \(absent\) or \{"sql": "…"\}, got 3/],
      [{ map: { id: 'a..b' } }, /evtrail\.config\.json: map\.id: "a\.\.b" is not a path/],
    ];
    for (const [config, message] of cases) {
      fs.writeFileSync(path.join(dir, 'evtrail.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
      expectOneLineError(cli(['ingest', file, '--db', db], { cwd: dir }), message);
      expect(fs.existsSync(db)).toBe(false);
    }
    // A valid one that maps only some fields is fine, and --config names another file.
    fs.writeFileSync(path.join(dir, 'evtrail.config.json'), JSON.stringify({ preset: 'canonical', map: { id: 'data.orderId' } }));
    expect(cliJson(['ingest', file, '--db', db], { cwd: dir }).ingested).toBe(1);
    expect(cliJson(['query', 'select id from events', '--db', db])).toEqual([{ id: 'ord-1' }]);
    expectOneLineError(cli(['ingest', file, '--db', db, '--config', path.join(dir, 'other.json')], { cwd: dir }), /no config file .*other\.json/);
  });

  it('evtrail query with bad SQL: one-line error, exit 2', () => {
    seed();
    expectOneLineError(cli(['query', 'selec nonsense', '--db', db]), /^evtrail: SQL error: Parser Error: syntax error at or near "selec"$/);
    expectOneLineError(cli(['query', 'select * from nope', '--db', db]), /SQL error: Catalog Error: Table with name nope does not exist/);
    expectOneLineError(cli(['query', 'delete from events', '--db', db]), /SQL error: .*read-only/);
    expectOneLineError(cli(['query', '  ', '--db', db]), /no SQL given/);
    // An error found while rows stream is the same one-line error.
    expectOneLineError(cli(['query', `select (case when range > 5000 then 'x' else '1' end)::INTEGER AS n from range(100000)`, '--db', db, '--json']), /SQL error: Conversion Error/);
    expect(snapshot()).toMatchObject({ events: 2 });
  });

  it('evtrail info / query / rejects on a missing store: exit 2 with a hint, no store created', () => {
    for (const command of [['info'], ['query', 'select 1'], ['rejects']]) {
      const result = cli([...command, '--db', db]);
      expectOneLineError(result, /no store at .*store\.duckdb/);
      expect(result.stderr).toMatch(/hint: ingest something first/);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('unknown command or option: exit 2, one line and a hint', () => {
    expectOneLineError(cli(['frobnicate']), /^evtrail: unknown command 'frobnicate'$/);
    const typo = cli(['ingst', 'x']);
    expectOneLineError(typo, /unknown command 'ingst'/);
    expect(typo.stderr).toMatch(/hint: did you mean ingest\?/);
    expectOneLineError(cli(['ingest', 'x.ndjson', '--frob']), /unknown option '--frob'/);
    expectOneLineError(cli(['info', '--db']), /option '--db <file>' argument missing/);
    expectOneLineError(cli(['ingest']), /missing required argument 'source'/);
    expectOneLineError(cli(['query', 'select 1', '--limit', 'lots', '--db', db]), /--limit lots: expected a whole number/);
  });

  it('a reader that stops early (evtrail query … | head) is not an error', () => {
    seed();
    const run = `"${process.execPath}" "${BIN}" query "select * from range(2000000)" --db "${db}" --csv 2>"${dir}/err.txt"`;
    const sh = spawnSync('sh', ['-c', `(${run}; echo $? >"${dir}/code.txt") | head -c 10 >/dev/null`], { encoding: 'utf8' });
    expect(sh.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'err.txt'), 'utf8')).toBe('');
    expect(fs.readFileSync(path.join(dir, 'code.txt'), 'utf8').trim()).toBe('0');
  });
});
