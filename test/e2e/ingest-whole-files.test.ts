/**
 * Ingest reads files whole or not at all, through the built CLI: a gzip stream that is cut
 * short or damaged is refused (exit 2, the store unchanged, how far it got); a file appended to
 * while it is ingested stores exactly the bytes it hashed; ragged CSV rows are rejects; a
 * source that maps nothing is refused with the commonest reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli, cliJson, event, ndjson, tmpDir, type CliResult } from '../helpers.js';

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
  });

  it('a .gz with trailing garbage or a bad CRC-32 is refused, the store unchanged', () => {
    const whole = zlib.gzipSync(lines(500));
    cliJson(['ingest', write('other.ndjson', lines(3, 9001)), '--db', db]);
    const before = state();

    const garbage = write('garbage.ndjson.gz', Buffer.concat([whole, Buffer.from('not gzip at all\n')]));
    expectRefused(cli(['ingest', garbage, '--db', db]), /garbage\.ndjson\.gz: bytes that are not gzip data .*decompressed/);
    expect(state()).toEqual(before);

    const crc = Buffer.from(whole);
    crc[crc.length - 6] ^= 0xff; // inside the CRC-32 of the trailer
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
  });
});
