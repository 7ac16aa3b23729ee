/**
 * Ingest reads files whole or not at all, through the built CLI: a gzip stream that is cut
 * short or damaged is refused (exit 2, the store unchanged, how far it got); a file appended to
 * while it is ingested stores exactly the bytes it hashed; ragged CSV rows are rejects; a
 * source that maps nothing is refused with the commonest reason.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
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
  fs.writeFileSync(file, content);
  return file;
}

/** exit 2, stderr exactly `evtrail: …` + `hint: …`, no stack. */
function expectRefused(result: CliResult, message: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: \S/);
}

function state(file = db): Record<string, unknown> {
  return cliJson<Record<string, unknown>[]>(['query', `select
      (select count(*) from events)::INTEGER AS events,
      (select count(*) from rejects)::INTEGER AS rejects,
      (select count(*) from ingests)::INTEGER AS ingests,
      (select string_agg(seq || ':' || id || ':' || source_pos, ',' ORDER BY seq) from events) AS ids,
      (select string_agg(uri || ':' || bytes || ':' || sha256, ',' ORDER BY source_id) from sources) AS sources`,
  '--db', file])[0]!;
}

function lines(n: number, from = 1): string {
  return ndjson(Array.from({ length: n }, (_, i) => event({ id: `g-${from + i}`, rev: from + i, data: { n: from + i } })));
}

/** A gzip of `text` and the same stream cut at a flush boundary after its first half. */
async function gzipWithCut(text: string): Promise<{ whole: Buffer; cut: Buffer }> {
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  gzip.write(text.slice(0, text.length / 2));
  await new Promise<void>((resolve) => gzip.flush(() => resolve()));
  const cut = Buffer.concat(chunks);
  await new Promise<void>((resolve) => gzip.end(text.slice(text.length / 2), () => resolve()));
  await new Promise<void>((resolve) => (gzip.readableEnded ? resolve() : gzip.on('end', () => resolve())));
  return { whole: Buffer.concat(chunks), cut };
}

describe('gzip', () => {
  it('a .gz cut at a flush boundary is refused with how far it got; the whole file later ingests', async () => {
    const text = lines(2000);
    const { whole, cut } = await gzipWithCut(text);
    expect(zlib.gunzipSync(whole).toString()).toBe(text);
    cliJson(['ingest', write('other.ndjson', lines(3, 9001)), '--db', db]);
    const before = state();

    const file = write('log.ndjson.gz', cut);
    const result = cli(['ingest', file, '--db', db]);
    expectRefused(result, /log\.ndjson\.gz: the gzip stream is cut short .*after \d+ bytes \(\d+ complete lines\) decompressed/);
    const [, got] = /\((\d+) complete lines\)/.exec(result.stderr)!;
    expect(Number(got)).toBeGreaterThan(900);
    expect(Number(got)).toBeLessThan(1100);
    expect(state()).toEqual(before);

    // A store that did not exist is not left behind.
    const fresh = path.join(dir, 'fresh.duckdb');
    expectRefused(cli(['ingest', file, '--db', fresh]), /cut short/);
    expect(fs.existsSync(fresh)).toBe(false);

    fs.writeFileSync(file, whole);
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 2000, rejected: 0, sources: [{ status: 'new' }] });
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 0, sources: [{ status: 'unchanged' }] });
  }, 300_000);

  it('a .gz with trailing garbage or a bad CRC-32 is refused, the store unchanged', () => {
    const whole = zlib.gzipSync(lines(500));
    cliJson(['ingest', write('other.ndjson', lines(3, 9001)), '--db', db]);
    const before = state();

    const garbage = write('garbage.ndjson.gz', Buffer.concat([whole, Buffer.from('not gzip at all\n')]));
    expectRefused(cli(['ingest', garbage, '--db', db]), /garbage\.ndjson\.gz: bytes that are not gzip data .*decompressed/);
    expect(state()).toEqual(before);

    const crc = Buffer.from(whole);
    crc[crc.length - 6] = crc[crc.length - 6]! ^ 0xff; // inside the CRC-32 of the trailer
    const badCrc = write('crc.ndjson.gz', crc);
    expectRefused(cli(['ingest', badCrc, '--db', db]), /crc\.ndjson\.gz: the gzip stream fails its CRC-32 check after \d+ bytes/);
    expect(state()).toEqual(before);

    // Standard input is checked the same way.
    expectRefused(cli(['ingest', '-', '--db', db], { input: crc }), /stdin: the gzip stream fails its CRC-32 check/);
    expect(state()).toEqual(before);

    // A gzip file appended as a second member stays readable in parts.
    const parts = write('parts.ndjson.gz', whole);
    expect(cliJson(['ingest', parts, '--db', db])).toMatchObject({ ingested: 500 });
    fs.appendFileSync(parts, zlib.gzipSync(lines(10, 501)));
    expect(cliJson(['ingest', parts, '--db', db])).toMatchObject({ ingested: 10, sources: [{ status: 'appended' }] });
  }, 300_000);
});

describe('a file that grows while it is ingested', () => {
  it('stores exactly the bytes it hashed: after the next ingest, the store of two calm ingests; verify --source is truthful', async () => {
    const file = write('live.ndjson', lines(20_000));
    const stop = path.join(dir, 'stop');
    // A writer appending whole lines (one write each batch) until told to stop, bounded.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      let n = 1_000_000, batches = 0;
      const tick = () => {
        if (fs.existsSync(${JSON.stringify(stop)}) || batches++ >= 600) return;
        let text = '';
        for (let i = 0; i < 50; i++, n++) text += JSON.stringify({ id: 'w-' + n, stream: 'live', rev: n, type: 'Appended', ts: '2025-08-26T09:30:00Z', data: { n } }) + '\\n';
        fs.appendFileSync(${JSON.stringify(file)}, text);
        setTimeout(tick, 3);
      };
      tick();
    `], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => writer.on('exit', () => resolve()));
    const start = fs.statSync(file).size;
    while (fs.statSync(file).size === start) await new Promise((r) => setTimeout(r, 5));

    const racing = await new Promise<CliResult>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'ingest', file, '--db', db, '--json'], { env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    fs.writeFileSync(stop, '');
    await exited;
    expect(racing.code, racing.stderr).toBe(0);
    const [first] = cliJson<{ bytes: string; events: string }[]>(['query', 'select bytes, events from sources', '--db', db]);
    const firstBytes = Number(first!.bytes);
    const all = fs.readFileSync(file);
    expect(all.length).toBeGreaterThan(firstBytes); // the writer wrote on after the ingest's stat
    const linesIn = (b: Buffer) => b.toString('utf8').split('\n').length - 1;
    // What was stored is what the recorded bytes hold, line for line.
    expect(Number(first!.events)).toBe(linesIn(all.subarray(0, firstBytes)));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ rejected: 0, redelivered: 0, conflicts: 0 });

    // The same bytes ingested calmly: the first part, then the whole file.
    const calmDir = path.join(dir, 'calm');
    fs.mkdirSync(calmDir);
    const calmFile = path.join(calmDir, 'live.ndjson');
    const calmDb = path.join(calmDir, 'store.duckdb');
    fs.writeFileSync(calmFile, all.subarray(0, firstBytes));
    cliJson(['ingest', calmFile, '--db', calmDb]);
    fs.writeFileSync(calmFile, all);
    cliJson(['ingest', calmFile, '--db', calmDb]);

    const content = (store: string) => cliJson(['query', `select
        (select count(*) from events)::INTEGER AS events,
        (select count(*) from events where dup_kind is not null)::INTEGER AS dups,
        (select count(*) from rejects)::INTEGER AS rejects,
        (select md5(string_agg(seq || ':' || id || ':' || source_pos || ':' || data::VARCHAR, ',' ORDER BY seq)) from events) AS events_digest,
        (select string_agg(bytes || ':' || sha256 || ':' || units, ',') from sources) AS sources,
        (select string_agg(bytes_from || '-' || bytes_to, ',' ORDER BY ingest_id) from ingests) AS parts`, '--db', store])[0];
    const racingContent = content(db);
    expect(racingContent).toEqual(content(calmDb));
    expect(racingContent).toMatchObject({ events: linesIn(all), dups: 0, rejects: 0 });
    const verify = cli(['verify', '--source', '--db', db, '--json']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 300_000);
});

describe('ragged CSV rows', () => {
  it('a row with more or fewer fields than the header is a reject with its line and counts; the others ingest', () => {
    const header = 'id,stream,rev,type,ts\n';
    const row = (n: number, extra = '') => `c-${n},s,${n},T,2025-08-26T09:30:00Z${extra}\n`;
    const file = write('ragged.csv', header + row(1) + row(2, ',EXTRA') + row(3) + 'c-4,s,4,T\n' + row(5, ',"x,y",z'));
    const summary = cliJson(['ingest', file, '--db', db]);
    expect(summary).toMatchObject({ ingested: 2, rejected: 3 });
    expect(cliJson(['query', 'select id, source_pos from events order by seq', '--db', db])).toEqual([
      { id: 'c-1', source_pos: 2 }, { id: 'c-3', source_pos: 4 },
    ]);
    expect(cliJson(['query', 'select source_pos, reason, raw from rejects order by source_pos', '--db', db])).toEqual([
      { source_pos: 3, reason: 'too many fields: expected 5, got 6', raw: 'c-2,s,2,T,2025-08-26T09:30:00Z,EXTRA' },
      { source_pos: 5, reason: 'too few fields: expected 5, got 4', raw: 'c-4,s,4,T' },
      { source_pos: 6, reason: 'too many fields: expected 5, got 7', raw: 'c-5,s,5,T,2025-08-26T09:30:00Z,"x,y",z' },
    ]);

    // An appended part is read with the stored header, by the same rule.
    fs.appendFileSync(file, row(6) + row(7, ',late'));
    expect(cliJson(['ingest', file, '--db', db])).toMatchObject({ ingested: 1, rejected: 1, sources: [{ status: 'appended' }] });
    expect(cliJson(['query', 'select source_pos, reason from rejects where source_pos > 6', '--db', db])).toEqual([
      { source_pos: 8, reason: 'too many fields: expected 5, got 6' },
    ]);
  }, 300_000);
});

describe('a source that maps nothing', () => {
  it('is refused with the commonest reason, how many and a hint; the store unchanged; mapped it ingests', () => {
    cliJson(['ingest', write('other.ndjson', lines(3, 9001)), '--db', db]);
    const before = state();
    const feed = write('feed.ndjson', ndjson(Array.from({ length: 5 }, (_, i) => ({ key: `u-${i}`, kind: 'Tick', at: 1733011200691 + i, px: i }))));
    const result = cli(['ingest', feed, '--db', db]);
    expectRefused(result, /^evtrail: nothing could be mapped from \S*feed\.ndjson: all 5 record\(s\) rejected, every one for "missing id; missing type; missing ts" \(first at line 1\)/);
    expect(result.stderr).toMatch(/hint: .*--map field=path.*--preset.*fields key, kind, at, px/);
    expect(state()).toEqual(before);
    // A store that did not exist is not left behind.
    const fresh = path.join(dir, 'fresh.duckdb');
    expectRefused(cli(['ingest', feed, '--db', fresh]), /nothing could be mapped/);
    expect(fs.existsSync(fresh)).toBe(false);

    // The commonest of several reasons, counted with the values left out.
    const times = write('times.ndjson', ndjson([
      { id: 't1', type: 'T', ts: 'yesterday' }, { id: 't2', type: 'T', ts: 'today' }, { id: 't3', ts: '2025-08-26T09:30:00Z' },
    ]));
    expectRefused(cli(['ingest', times, '--db', db]), /all 3 record\(s\) rejected, 2 of them for "ts: cannot read yesterday as a time" \(first at line 1\)/);

    // With other sources: the whole ingest is refused, naming the source.
    const good = write('good.ndjson', lines(4, 100));
    expectRefused(cli(['ingest', good, feed, '--db', db]), /nothing could be mapped from \S*feed\.ndjson.*nothing was ingested/);
    expect(state()).toEqual(before);

    expect(cliJson(['ingest', feed, '--map', 'id=key', '--map', 'type=kind', '--map', 'ts=at', '--db', db])).toMatchObject({ ingested: 5, rejected: 0 });
    // Once it holds events, an appended part of bad lines is rejects as usual.
    fs.appendFileSync(feed, '{"nope":1}\n');
    expect(cliJson(['ingest', feed, '--map', 'id=key', '--map', 'type=kind', '--map', 'ts=at', '--db', db])).toMatchObject({ ingested: 0, rejected: 1 });
    // A CSV whose rows are all ragged maps nothing too; a file of a held-back unfinished line only does not refuse.
    expectRefused(cli(['ingest', write('rag.csv', 'id,type,ts\na,T,2025-08-26T09:30:00Z,x\nb,T\n'), '--db', db]), /nothing could be mapped from \S*rag\.csv: all 2 record\(s\) rejected/);
    expect(cliJson(['ingest', write('half.ndjson', '{"id":"h1","type":"T","ts":"2025'), '--db', db])).toMatchObject({ ingested: 0, rejected: 1 });
  }, 300_000);
});
