/** `evtrail export` and `evtrail ingest <export>` as a user runs them: the built CLI on the committed sample. */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, cliJson, tmpDir } from '../helpers.js';

let dir: string;
let db: string;
const SAMPLE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');

/** The folder's entries other than the ones named: what an export left behind. */
function leftovers(): string[] {
  return fs.readdirSync(dir).filter((f) => /\.(tmp|old)-/.test(f));
}

function oneLineError(result: { code: number; stderr: string }): string {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^evtrail: /);
  expect(lines[1]).toMatch(/^hint: /);
  return result.stderr;
}

beforeAll(() => {
  dir = tmpDir('evtrail-export-cli-');
  db = path.join(dir, 'store.duckdb');
  cliJson(['ingest', SAMPLE, '--db', db]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('evtrail export', () => {
  it('writes a partitioned Parquet export and reports it as JSON', () => {
    const out = path.join(dir, 'archive');
    const result = cliJson(['export', '--format', 'parquet', '--out', out, '--partition-by', 'date,type', '--db', db]);
    expect(result).toMatchObject({ out, events: 410, manifest: path.join(out, 'manifest.json') });
    const manifest = JSON.parse(fs.readFileSync(result.manifest, 'utf8'));
    expect(result.files).toBe(manifest.files.length);
    expect(result.bytes).toBe(manifest.files.reduce((n: number, f: { bytes: number }) => n + f.bytes, 0));
    expect(manifest.partitioning).toEqual({ style: 'hive', by: ['date', 'type'] });
    expect(manifest.store).toBe(db);
    expect(manifest).toMatchObject({ format: 'evtrail-export/1', file_format: 'parquet', first_seq: 1, last_seq: 410 });
    expect(fs.existsSync(path.join(out, 'date=2025-08-26', 'type=OrderPlaced'))).toBe(true);
    // By default the head the store kept, not recomputed.
    expect(manifest.chain).toEqual({ head: expect.stringMatching(/^[0-9a-f]{64}$/), verified: false, ok: null, format: 'evtrail-chain/2' });
    expect(result.chainHead).toBe(manifest.chain.head);
    expect(result.chainOk).toBeNull();

    // --verify recomputes it from the events: the same head, verified.
    const checked = cliJson(['export', '--format', 'parquet', '--out', path.join(dir, 'checked'), '--verify', '--db', db]);
    expect(checked.chainHead).toBe(result.chainHead);
    expect(checked.chainOk).toBe(true);
    expect(JSON.parse(fs.readFileSync(checked.manifest, 'utf8')).chain).toEqual({ head: result.chainHead, verified: true, ok: true, format: 'evtrail-chain/2' });
    expect(cliJson(['verify', '--db', db]).head).toBe(result.chainHead);
    expect(leftovers()).toEqual([]);
  });

  it('--verify refuses a store whose events no longer match its chain (exit 1, nothing written); the default exports it', async () => {
    const edited = path.join(dir, 'edited.duckdb');
    fs.copyFileSync(db, edited);
    const instance = await DuckDBInstance.create(edited);
    const conn = await instance.connect();
    try {
      await conn.run(`UPDATE events SET data = '{"edited":true}' WHERE seq = 7`);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    const refused = path.join(dir, 'refused');
    const result = cli(['export', '--format', 'ndjson', '--out', refused, '--verify', '--db', edited]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--verify: the store's events do not match its hash chain.*seq 7.*changed.*nothing was exported/);
    expect(fs.existsSync(refused)).toBe(false);
    expect(leftovers()).toEqual([]);

    // Without --verify the stored head is recorded as is: evtrail verify is what names the edit.
    const plain = cliJson(['export', '--format', 'ndjson', '--out', path.join(dir, 'unchecked'), '--db', edited]);
    expect(plain).toMatchObject({ events: 410, chainOk: null });
    expect(cli(['verify', '--db', edited]).code).toBe(1);
  });

  it('refuses a non-empty --out, replaces an earlier export with --force, never someone else\'s files', () => {
    const out = path.join(dir, 'again');
    cliJson(['export', '--format', 'ndjson', '--out', out, '--db', db]);
    expect(oneLineError(cli(['export', '--format', 'ndjson', '--out', out, '--db', db]))).toMatch(/not empty.*\n.*--force/);
    const replaced = cliJson(['export', '--format', 'parquet', '--out', out, '--force', '--db', db]);
    expect(replaced.events).toBe(410);
    // Nothing of the first export is mixed in.
    expect(fs.readdirSync(out).sort()).toEqual(['events.parquet', 'manifest.json']);

    const mine = path.join(dir, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'keep me');
    expect(oneLineError(cli(['export', '--format', 'ndjson', '--out', mine, '--force', '--db', db]))).toMatch(/not an evtrail export/);
    expect(fs.readFileSync(path.join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(leftovers()).toEqual([]);
  });

  it('says what is wrong with bad flags, in one line and a hint', () => {
    const out = path.join(dir, 'bad');
    expect(oneLineError(cli(['export', '--format', 'csv', '--out', out, '--db', db]))).toMatch(/unknown export format "csv"[\s\S]*ndjson, parquet/);
    expect(oneLineError(cli(['export', '--format', 'parquet', '--out', out, '--partition-by', 'date,stream', '--db', db])))
      .toMatch(/cannot partition by "stream"[\s\S]*allowed columns: date, hour, type, source/);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    expect(oneLineError(cli(['export', '--format', 'parquet', '--out', file, '--db', db]))).toMatch(/is a file/);
    expect(oneLineError(cli(['export', '--format', 'parquet', '--db', db]))).toMatch(/--out is required/);
    expect(oneLineError(cli(['export', '--format', 'parquet', '--out', out, '--since', '2030-01-01', '--db', db]))).toMatch(/no events in the window/);
    expect(fs.existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses an empty store', () => {
    const empty = path.join(dir, 'empty.duckdb');
    const blank = path.join(dir, 'blank.ndjson');
    fs.writeFileSync(blank, '');
    cliJson(['ingest', blank, '--db', empty]);
    expect(oneLineError(cli(['export', '--format', 'ndjson', '--out', path.join(dir, 'none'), '--db', empty]))).toMatch(/holds no events[\s\S]*ingest/);
  });
});

describe('evtrail ingest <export>', () => {
  it('reads an NDJSON export back (the folder, or its manifest), once', () => {
    const out = path.join(dir, 'nd');
    cliJson(['export', '--format', 'ndjson', '--out', out, '--partition-by', 'type', '--db', db]);
    const back = path.join(dir, 'back.duckdb');
    const first = cliJson(['ingest', out, '--db', back]);
    expect(first).toMatchObject({ ingested: 410, rejected: 0, redelivered: 1, conflicts: 1 });
    expect(first.sources).toHaveLength(1);
    expect(first.sources[0]).toMatchObject({ preset: 'evtrail-export', format: 'ndjson', status: 'new' });
    const second = cliJson(['ingest', path.join(out, 'manifest.json'), '--db', back]);
    expect(second).toMatchObject({ ingested: 0 });
    expect(second.sources[0].status).toBe('unchanged');
    const ids = (store: string) => cliJson(['query', 'SELECT id, type, ts::VARCHAR AS ts FROM events ORDER BY seq', '--db', store]);
    expect(ids(back)).toEqual(ids(db));
  });

  it('one NDJSON file of an export is a canonical log on its own', () => {
    const out = path.join(dir, 'nd');
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const file = path.join(out, manifest.files[0].path);
    const result = cliJson(['ingest', file, '--db', path.join(dir, 'one-file.duckdb')]);
    expect(result.rejected).toBe(0);
    expect(result.ingested).toBe(manifest.files[0].rows);
  });

  it('refuses a tampered export file in one line naming it; the store is unchanged', () => {
    const out = path.join(dir, 'pq');
    cliJson(['export', '--format', 'parquet', '--out', out, '--partition-by', 'date,type', '--db', db]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const victim = manifest.files.find((f: { path: string }) => f.path.includes('OrderFilled'));
    const full = path.join(out, victim.path);
    fs.appendFileSync(full, 'x');
    const back = path.join(dir, 'tampered.duckdb');
    cliJson(['ingest', SAMPLE, '--db', back]);
    const stderr = oneLineError(cli(['ingest', out, '--db', back]));
    expect(stderr).toContain(victim.path);
    const [row] = cliJson(['query', 'SELECT count(*) AS n, count(DISTINCT source_id) AS sources FROM events', '--db', back]);
    expect([Number(row.n), Number(row.sources)]).toEqual([410, 1]);
  });
});
