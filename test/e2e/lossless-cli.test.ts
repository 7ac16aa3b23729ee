import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../helpers.js';

/**
 * Values come out of the built CLI as they went in (issue 15): numbers beyond 2^53, long
 * decimals, 1.10 and 1e400 in data, through query --json, replay --json (the streams fold),
 * streams_at and trace --json; and bad shapes are rejected at ingest instead of breaking the
 * commands later.
 */
let dir: string;
let db: string;

const DATA = '{"orderId":9007199254740993,"n":9007199254740993,"d":123.456789012345678901,"e":1e400,"f":1.10}';
const LINES = [
  `{"id":"c1","type":"OrderPlaced","stream":"order-1","ts":"2024-12-01T00:00:00Z","correlation_id":"k","data":${DATA}}`,
  '{"id":"c2","type":"OrderAcknowledged","stream":"order-1","ts":"2024-12-01T00:00:01Z","correlation_id":"k","causation_id":"c1","data":{"orderId":9007199254740993,"g":[1.50,-0,1E-7]}}',
  '{"id":"flat","type":"x","ts":1733011200691,"a":1,"b":{"c":2}}',
  '{"id":"e-2","id":"e-2b","type":"x","ts":1733011200691}',
  '{"id":"e-3","type":"x","ts":1733011200691,"data":{"a":1,"a":2}}',
  '{"id":"e-4","type":"x","ts":1733011200691,"data":{"l":[{"k":1,"k":2}]}}',
  `{"id":"deep","type":"x","stream":"order-1","ts":"2024-12-01T00:00:02Z","data":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
];

beforeAll(() => {
  dir = tmpDir('evtrail-lossless-cli-');
  db = path.join(dir, 'store.duckdb');
  fs.writeFileSync(path.join(dir, 'log.ndjson'), LINES.join('\n') + '\n');
  const r = cli(['ingest', path.join(dir, 'log.ndjson'), '--db', db, '--json']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('numbers come out as written', () => {
  it('query --json writes data exactly', () => {
    const r = cli(['query', `select data from events where id = 'c1'`, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`"data":${DATA}`);
  });

  it('replay --json of the streams fold keeps them (json_merge_patch re-spelled them)', () => {
    const r = cli(['replay', '--at', 'end', '--projection', 'streams', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const state = /"state":(\{.*\})\}/.exec(r.stdout)![1]!;
    for (const member of ['"orderId":9007199254740993', '"n":9007199254740993', '"d":123.456789012345678901', '"e":1e400', '"f":1.10', '"g":[1.50,-0,1E-7]']) {
      expect(state).toContain(member);
    }
  });

  it('streams_at in query keeps them', () => {
    const r = cli(['query', `select state from streams_at(TIMESTAMP '2030-01-01')`, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"d":123.456789012345678901');
    expect(r.stdout).toContain('"n":9007199254740993');
  });

  it('trace --json keys the saga by the exact order id', () => {
    const r = cli(['trace', 'c1', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { sagas: { key: string }[] };
    expect(doc.sagas.map((s) => s.key)).toEqual(['9007199254740993']);
  });
});

describe('every field kept, bad shapes rejected', () => {
  it('a flat record keeps its other fields in data', () => {
    const r = cli(['query', `select data, meta from events where id = 'flat'`, '--db', db, '--json']);
    expect(r.stdout).toContain('"data":{"a":1,"b":{"c":2}},"meta":{"evtrail_unmapped":"data"}');
  });

  it('a duplicate key (at the top, in data, deeper) and 10,000 levels of nesting are rejects with reasons', () => {
    const r = cli(['rejects', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reasons = (JSON.parse(r.stdout) as { reason: string }[] | { rejects: { reason: string }[] });
    const list = Array.isArray(reasons) ? reasons : reasons.rejects;
    expect(list.map((x) => x.reason)).toEqual([
      'key "id" occurs more than once (JSON readers disagree on which value counts)',
      'key "a" occurs more than once in $.data (JSON readers disagree on which value counts)',
      'key "k" occurs more than once in a nested object (JSON readers disagree on which value counts)',
      'nested deeper than 64 levels',
    ]);
  });
});
