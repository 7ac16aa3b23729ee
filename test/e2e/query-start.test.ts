/**
 * `evtrail query` as a user runs it, on the paths its start-up leaves out (issue 21): --tenant
 * loads the lens only then, --limit is read without zod; both must still work and fail as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, event, ndjson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
beforeAll(() => {
  dir = tmpDir('evtrail-query-start-');
  const file = path.join(dir, 'log.ndjson');
  const events = Array.from({ length: 9 }, (_, i) => event({ id: `e-${i}`, stream: `s-${i % 3}`, rev: Math.floor(i / 3) + 1, meta: { tenant: i < 4 ? 'acme' : 'globex' } }));
  fs.writeFileSync(file, ndjson(events));
  db = path.join(dir, 'store.duckdb');
  const r = cli(['ingest', file, '--db', db, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail query start-up paths', () => {
  it('--tenant keeps only that tenant\'s events', () => {
    expect(cliJson(['query', 'select count(*)::INTEGER AS n from events', '--tenant', 'acme', '--db', db])).toEqual([{ n: 4 }]);
    expect(cliJson(['query', 'select count(*)::INTEGER AS n from events', '--db', db])).toEqual([{ n: 9 }]);
  });

  it('--limit shows that many rows, and a bad one is a one-line error with a hint', () => {
    const limited = cli(['query', 'select range AS n from range(10)', '--db', db, '--limit', '3', '--csv']);
    expect(limited.code).toBe(0);
    const shown = cli(['query', 'select range AS n from range(10)', '--db', db, '--limit', '3']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/7 more rows|3 of 10|more/);
    const bad = cli(['query', 'select 1', '--limit', '-2', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['evtrail: --limit -2: expected a whole number', 'hint: e.g. --limit 50']);
  });
});
