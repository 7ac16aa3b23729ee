import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, cliJson, tmpDir } from '../helpers.js';

// Many CLI runs per test: a shared, loaded machine takes minutes.
vi.setConfig({ testTimeout: 300_000 });

/**
 * Any shape mapped (issue 15 point 4), through the built CLI: paths into arrays, computed
 * fields (sql:), id and ts left out (none), one record → several events (--each), records to
 * skip (--skip). Each of these was refused or impossible before.
 */
let dir: string;
const E = (...args: string[]) => cli(args);
const rows = (db: string, sql: string) => cliJson<Record<string, unknown>[]>(['query', sql, '--db', db, '--json']);

const L3 = [
  '[8047, ["ord-1", 101.5, 3], "add", 1733011200691]',
  '[8047, ["ord-2", 101.10, 5], "add", 1733011200692]',
  '{"event":"info"}',
  '[8047, ["ord-1", 101.5, 0], "cancel", 1733011200693]',
];
const L3_MAP = ['--map', 'id=sql:$[1][0] || \'-\' || $[3]', '--map', 'type=$[2]', '--map', 'stream=$[1][0]',
  '--map', 'ts=sql:epoch_ms(CAST($[3] AS BIGINT))', '--map', "source=sql:'venue-x'", '--skip', "$.event = 'info'"];

const L2 = [
  '{"event":"info","version":2}',
  '{"type":"snapshot","data":{"b":[["100.5","2"],["100.0","1.10"]],"a":[["101.0","3"]],"u":1}}',
  '{"type":"delta","data":{"b":[["100.5","0"]],"a":[],"u":2}}',
];
const L2_ARGS = ['--each', '$.data.b', '--each', '$.data.a', '--map', 'id=none', '--map', 'ts=none',
  '--map', 'type=sql:$frame.type', '--map', 'stream=sql:$each', '--map', 'position=$frame.data.u', '--skip', "$.event = 'info'"];

beforeAll(() => {
  dir = tmpDir('evtrail-shapes-');
  fs.writeFileSync(path.join(dir, 'l3.ndjson'), L3.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'l2.ndjson'), L2.join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('paths into arrays and computed fields', () => {
  it('array records are mapped by index ($[1][0]); numbers keep their text; computed ts, constants, concatenated ids', () => {
    const db = path.join(dir, 'l3.duckdb');
    const r = E('ingest', path.join(dir, 'l3.ndjson'), '--db', db, ...L3_MAP);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ingested 3 events');
    expect(r.stdout).toContain('skipped 1 (--skip)');
    const got = rows(db, `select id, type, stream, source, evt_iso(ts) AS ts, data::VARCHAR AS data, meta::VARCHAR AS meta, source_pos from events order by seq`);
    expect(got.map((e) => [e.id, e.type, e.stream, e.source, e.ts, Number(e.source_pos)])).toEqual([
      ['ord-1-1733011200691', 'add', 'ord-1', 'venue-x', '2024-12-01T00:00:00.691000000Z', 1],
      ['ord-2-1733011200692', 'add', 'ord-2', 'venue-x', '2024-12-01T00:00:00.692000000Z', 2],
      ['ord-1-1733011200693', 'cancel', 'ord-1', 'venue-x', '2024-12-01T00:00:00.693000000Z', 4],
    ]);
    // The array record is kept whole in data (an array cannot lose elements by index).
    expect(got[1]!.data).toBe('[8047, ["ord-2", 101.10, 5], "add", 1733011200692]');
    expect(got[1]!.meta).toBe('{"evtrail_unmapped":"data"}');
  });

  it('the same paths and computed fields in a config file ("$[1][0]", {"sql": …}, null)', () => {
    const db = path.join(dir, 'l3-config.duckdb');
    const config = path.join(dir, 'l3.config.json');
    fs.writeFileSync(config, JSON.stringify({
      map: { id: { sql: "$[1][0] || '-' || $[3]" }, type: '$[2]', stream: '$[1][0]', ts: { sql: 'epoch_ms(CAST($[3] AS BIGINT))' }, source: null },
      skip: "$.event = 'info'",
    }));
    const r = cliJson(['ingest', path.join(dir, 'l3.ndjson'), '--db', db, '--config', config, '--json']);
    expect(r.ingested).toBe(3);
    expect(r.skipped).toBe(1);
    expect(r.sources[0].skipped.count).toBe(1);
    expect(rows(db, `select count(*)::INT AS n from events where stream = 'ord-1'`)[0]!.n).toBe(2);
  });

  it('an array feed without a mapping is refused, with a hint naming index paths', () => {
    const r = E('ingest', path.join(dir, 'l3.ndjson'), '--db', path.join(dir, 'refused.duckdb'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a JSON object');
    expect(r.stderr).toContain('--map id=$[0]');
    expect(fs.existsSync(path.join(dir, 'refused.duckdb'))).toBe(false);
  });

  it('bad SQL is one line with a hint, exit 2, the store unchanged', () => {
    const db = path.join(dir, 'l3.duckdb');
    const before = rows(db, 'select count(*)::INT AS n, max(seq)::INT AS s from events')[0];
    const bad = [
      ['--map', 'ts=sql:no_such_function($[3])', /--map ts=sql:no_such_function\(\$\[3\]\): DuckDB cannot evaluate it/],
      ['--map', 'ts=sql:1; DROP TABLE events', /";" is not allowed/],
      ['--map', 'id=sql:(SELECT 1)', /"SELECT" is not allowed/],
      ['--skip', '$.event = ', /--skip \$\.event = : DuckDB cannot evaluate it/],
    ] as const;
    fs.writeFileSync(path.join(dir, 'more.ndjson'), L3.join('\n') + '\n');
    for (const [flag, value, message] of bad) {
      const r = E('ingest', path.join(dir, 'more.ndjson'), '--db', db, '--map', 'type=$[2]', '--map', 'id=$[1][0]', flag, value);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(2); // the error and its hint
      expect(r.stderr).toContain('hint:');
    }
    expect(rows(db, 'select count(*)::INT AS n, max(seq)::INT AS s from events')[0]).toEqual(before);
  });

  it('a path that is not one is refused as before, now naming index paths', () => {
    const r = E('ingest', path.join(dir, 'l3.ndjson'), '--db', path.join(dir, 'x.duckdb'), '--map', 'id=$[x]');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a path');
    expect(r.stderr).toContain('$[1][0]');
  });
});

describe('records without ids or times, several events per record, records skipped', () => {
  it('a snapshot frame of N levels becomes N events at its line; ids derived from source and position; ts NULL', () => {
    const db = path.join(dir, 'l2.duckdb');
    const r = cliJson(['ingest', path.join(dir, 'l2.ndjson'), '--db', db, ...L2_ARGS, '--json']);
    expect(r.ingested).toBe(4);
    expect(r.skipped).toBe(1);
    expect(r.rejected).toBe(0);
    const got = rows(db, `select seq, id, type, stream, position, ts, data::VARCHAR AS data, source_pos,
        json_extract(meta, '$.evtrail_each.index')::INT AS k from events order by seq`);
    const prefix = String(got[0]!.id).split(':')[0]!;
    expect(prefix).toMatch(/^[0-9a-f]{12}$/);
    expect(got.map((e) => [e.id, e.type, e.stream, Number(e.position), e.ts, e.data, Number(e.source_pos), e.k])).toEqual([
      [`${prefix}:2:0`, 'snapshot', 'b', 1, null, '["100.5","2"]', 2, 0],
      [`${prefix}:2:1`, 'snapshot', 'b', 1, null, '["100.0","1.10"]', 2, 1],
      [`${prefix}:2:2`, 'snapshot', 'a', 1, null, '["101.0","3"]', 2, 0],
      [`${prefix}:3:0`, 'delta', 'b', 2, null, '["100.5","0"]', 3, 0],
    ]);
    // The same bytes give the same ids in another store, and a copy of them in the same store
    // gives the same ids again: redeliveries, as the duplicates rule says.
    const db2 = path.join(dir, 'l2-again.duckdb');
    cliJson(['ingest', path.join(dir, 'l2.ndjson'), '--db', db2, ...L2_ARGS, '--json']);
    expect(rows(db2, 'select id from events order by seq').map((e) => e.id)).toEqual(got.map((e) => e.id));
    fs.copyFileSync(path.join(dir, 'l2.ndjson'), path.join(dir, 'l2-copy.ndjson'));
    const again = cliJson(['ingest', path.join(dir, 'l2-copy.ndjson'), '--db', db, ...L2_ARGS, '--json']);
    expect(again.ingested).toBe(4);
    expect(again.redelivered).toBe(4);
  });

  it('replay --at seq:N, info and verify work on events without times; info counts the skipped', () => {
    const db = path.join(dir, 'l2.duckdb');
    const replay = cliJson(['replay', '--db', db, '--at', 'seq:2', '--json']);
    expect(replay.rows.map((s: { stream: string; events: number }) => [s.stream, Number(s.events)])).toEqual([['b', 2]]);
    const info = cli(['info', '--db', db]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('1 record(s) skipped by its --skip condition');
    const infoJson = cliJson(['info', '--db', db, '--json']);
    expect(infoJson.sources[0].skipped).toBe(1);
    const verify = cli(['verify', '--db', db, '--source']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // The audit's time rules skip a log without times instead of judging NULLs.
    const audit = cli(['audit', '--db', db]);
    expect(audit.stdout).toMatch(/timestamp-regression\s+warning\s+skipped/);
  });

  it('verify --source names the line that changed, its events matched element by element (it named the first line of several events)', () => {
    const file = path.join(dir, 'l2-verify.ndjson');
    fs.writeFileSync(file, L2.join('\n') + '\n');
    const db = path.join(dir, 'l2-verify.duckdb');
    expect(cliJson(['ingest', file, '--db', db, ...L2_ARGS, '--json']).ingested).toBe(4);
    // Line 3 (one event, seq 4) changes; line 2 (three events) does not.
    fs.writeFileSync(file, [L2[0], L2[1], L2[2]!.replace('["100.5","0"]', '["100.5","1"]')].join('\n') + '\n');
    const r = cli(['verify', '--db', db, '--source', '--json']);
    expect(r.code).toBe(1);
    const problem = (JSON.parse(r.stdout) as { problems: { kind: string; seq?: number; message: string }[] }).problems[0]!;
    expect(problem.kind).toBe('source-changed');
    expect(problem.seq).toBe(4);
    expect(problem.message).toMatch(/first difference at line 3 \(seq 4, id [0-9a-f]{12}:3:0\): it now gives another event/);
  });

  it('a frame with no element is a reject naming the paths; an element that does not map is a reject naming its index', () => {
    const file = path.join(dir, 'l2-bad.ndjson');
    fs.writeFileSync(file, [
      '{"type":"snapshot","data":{"b":[["1","2"]],"a":[],"u":1}}',
      '{"type":"delta","data":{"b":[],"a":[],"u":2}}',
      '{"type":"delta","data":{"b":[["1","2"],"x"],"u":3}}',
    ].join('\n') + '\n');
    const db = path.join(dir, 'l2-bad.duckdb');
    const r = cliJson(['ingest', file, '--db', db, '--each', '$.data.b', '--each', '$.data.a', '--map', 'id=none', '--map', 'ts=$[1]',
      '--map', 'type=sql:$frame.type', '--json']);
    expect(r.ingested).toBe(2);
    expect(rows(db, 'select source_pos::INT AS line, reason from rejects order by 1, 2')).toEqual([
      { line: 2, reason: 'no elements at $.data.b, $.data.a (--each); skip such records with --skip' },
      { line: 3, reason: 'at $.data.b[1]: missing ts' },
    ]);
  });
});
