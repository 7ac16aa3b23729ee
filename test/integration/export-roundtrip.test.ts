import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { exportStore, type ExportRequest } from '../../src/export/export.js';
import type { ExportManifest, PartitionColumn } from '../../src/export/manifest.js';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { verifyStore } from '../../src/integrity/verify.js';
import { Store } from '../../src/store/store.js';
import { ROOT, tmpDir } from '../helpers.js';

/**
 * Export → ingest round trips on a real DuckDB: every envelope field of every event, in seq
 * order, with the same duplicate marks, for both file formats, partitioned and not; on the
 * committed sample and on a generated log with redeliveries and conflicts.
 */
let dir: string;
const stores: Record<string, string> = {};

async function withStore<T>(db: string, fn: (store: Store) => Promise<T>, readOnly = false): Promise<T> {
  const store = await Store.open(db, { create: !readOnly, readOnly });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

async function ingest(db: string, sources: string[]) {
  return withStore(db, (store) => ingestFiles(store, { sources }));
}

async function exportTo(db: string, request: Omit<ExportRequest, 'partitionBy'> & { partitionBy?: PartitionColumn[] }) {
  return withStore(db, (store) => exportStore(store, { partitionBy: [], ...request }), true);
}

/** Rows of a query over both stores, attached read-only to a scratch DuckDB as a and b. */
async function queryBoth(a: string, b: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY)`);
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Every envelope field, seq, the source's own position and the duplicate marks, exactly (times to the ns, JSON as text). */
const FIELDS = `seq, id, stream, rev, type, schema_version, epoch_ns(ts) AS ts, epoch_ns(recorded_ts) AS recorded_ts,
  correlation_id, causation_id, source, data::VARCHAR AS data, meta::VARCHAR AS meta, position, dup_of, dup_kind`;

async function differences(a: string, b: string): Promise<{ onlyA: number; onlyB: number; a: number; b: number }> {
  const [row] = await queryBoth(a, b, `SELECT
      (SELECT count(*) FROM (SELECT ${FIELDS} FROM a.events EXCEPT ALL SELECT ${FIELDS} FROM b.events)) AS only_a,
      (SELECT count(*) FROM (SELECT ${FIELDS} FROM b.events EXCEPT ALL SELECT ${FIELDS} FROM a.events)) AS only_b,
      (SELECT count(*) FROM a.events) AS a, (SELECT count(*) FROM b.events) AS b`);
  return { onlyA: Number(row!.only_a), onlyB: Number(row!.only_b), a: Number(row!.a), b: Number(row!.b) };
}

function manifestOf(out: string): ExportManifest {
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as ExportManifest;
}

beforeAll(async () => {
  dir = tmpDir('evtrail-export-');
  stores.sample = path.join(dir, 'sample.duckdb');
  await ingest(stores.sample, [path.join(ROOT, 'fixtures', 'trading-sample.ndjson')]);
  const log = path.join(dir, 'generated.ndjson');
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders: 400, seed: 23, anomalyRate: 0.2 })) lines.push(serializeTradingEvent(e));
  fs.writeFileSync(log, lines.join('\n') + '\n');
  stores.generated = path.join(dir, 'generated.duckdb');
  const summary = await ingest(stores.generated, [log]);
  // The point of this log: ids seen twice, with the same content and with another.
  expect(summary.redelivered).toBeGreaterThan(0);
  expect(summary.conflicts).toBeGreaterThan(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('export → ingest round trip', () => {
  const cases: { store: string; format: 'ndjson' | 'parquet'; partitionBy: PartitionColumn[] }[] = [];
  for (const store of ['sample', 'generated']) {
    for (const format of ['ndjson', 'parquet'] as const) {
      for (const partitionBy of [[], ['date', 'type']] as PartitionColumn[][]) cases.push({ store, format, partitionBy });
    }
  }
  it.each(cases)('$store as $format partitioned by [$partitionBy]: the same events in the same order', async ({ store, format, partitionBy }) => {
    const out = path.join(dir, `out-${store}-${format}-${partitionBy.join('-') || 'flat'}`);
    const result = await exportTo(stores[store]!, { format, out, partitionBy });
    const manifest = manifestOf(out);
    expect(manifest.files.length).toBe(result.files);
    if (partitionBy.length) {
      expect(manifest.files.length).toBeGreaterThan(5);
      expect(manifest.files.every((f) => /^date=\d{4}-\d{2}-\d{2}\/type=[A-Za-z]+\//.test(f.path))).toBe(true);
    } else {
      expect(manifest.files.map((f) => f.path)).toEqual([`events.${format}`]);
    }

    const back = path.join(dir, `back-${store}-${format}-${partitionBy.join('-') || 'flat'}.duckdb`);
    const summary = await ingest(back, [out]);
    const original = await withStore(stores[store]!, (s) => s.all(`SELECT count(*) FILTER (WHERE dup_kind = 'redelivery') AS r,
      count(*) FILTER (WHERE dup_kind = 'conflict') AS c FROM events`), true);
    expect(summary.ingested).toBe(result.events);
    expect(summary.rejected).toBe(0);
    expect(summary.redelivered).toBe(Number(original[0]!.r));
    expect(summary.conflicts).toBe(Number(original[0]!.c));
    expect(summary.sources).toHaveLength(1);
    const diff = await differences(stores[store]!, back);
    expect(diff).toEqual({ onlyA: 0, onlyB: 0, a: result.events, b: result.events });

    // The same chain: the head the manifest carries, the original's and the copy's, recomputed.
    const originalChain = await withStore(stores[store]!, verifyStore, true);
    const copyChain = await withStore(back, verifyStore, true);
    expect(originalChain.ok && copyChain.ok).toBe(true);
    expect(originalChain.head).toMatch(/^[0-9a-f]{64}$/);
    expect(copyChain.head).toBe(originalChain.head);
    // The default records the head the store kept: the one recomputed here.
    expect(manifest.chain).toEqual({ head: originalChain.head, verified: false, ok: null, format: 'evtrail-chain/2' });

    // The same export again: nothing new.
    const again = await ingest(back, [path.join(out, 'manifest.json')]);
    expect(again.ingested).toBe(0);
    expect(again.sources[0]!.status).toBe('unchanged');
  });

  it('a --since/--until window exports exactly the events inside it', async () => {
    const out = path.join(dir, 'window');
    const result = await exportTo(stores.generated!, { format: 'parquet', out, since: '2025-08-26T09:40:00Z', until: '2025-08-26T09:50:00Z' });
    const [row] = await withStore(stores.generated!, (s) => s.all(`SELECT count(*) AS n FROM events
      WHERE ts >= '2025-08-26 09:40:00'::TIMESTAMP_NS AND ts < '2025-08-26 09:50:00'::TIMESTAMP_NS`), true);
    expect(result.events).toBe(Number(row!.n));
    expect(result.events).toBeGreaterThan(0);
    expect(manifestOf(out).window).toEqual({ since: '2025-08-26T09:40:00.000000000Z', until: '2025-08-26T09:50:00.000000000Z' });
  });
});

describe('the Parquet archive', () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(dir, 'hive');
    await exportTo(stores.generated!, { format: 'parquet', out, partitionBy: ['date', 'type'] });
  });

  it('reads in DuckDB with hive partitioning: the same counts per date and type as the store', async () => {
    const rows = await queryBoth(stores.generated!, stores.sample!, `
      SELECT coalesce(s.date, e.date) AS date, coalesce(s.type, e.type) AS type, s.n AS store, e.n AS export FROM
        (SELECT ts::DATE::VARCHAR AS date, type, count(*) AS n FROM a.events GROUP BY ALL) s
        FULL JOIN (SELECT date::VARCHAR AS date, type, count(*) AS n
          FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) GROUP BY ALL) e
        ON s.date = e.date AND s.type = e.type`);
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect(r.export, `${r.date} ${r.type}`).toBe(r.store);
  });

  it('has a manifest whose rows, sizes and SHA-256 match the files', async () => {
    const manifest = manifestOf(out);
    expect(manifest.format).toBe('evtrail-export/1');
    const listed = manifest.files.map((f) => f.path).sort();
    const onDisk = (fs.readdirSync(out, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(out, f)).isFile() && f !== 'manifest.json').sort();
    expect(listed).toEqual(onDisk);
    for (const f of manifest.files) {
      const bytes = fs.readFileSync(path.join(out, f.path));
      expect(bytes.length).toBe(f.bytes);
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
    expect(manifest.files.reduce((n, f) => n + f.rows, 0)).toBe(manifest.events);
  });

  it('holds each file\'s rows in seq order', async () => {
    const rows = await queryBoth(stores.generated!, stores.sample!, `SELECT count(*) AS n, count(*) FILTER (WHERE seq < prev) AS unordered FROM (
      SELECT seq, lag(seq) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
      FROM read_parquet('${out}/**/*.parquet', filename = true, file_row_number = true))`);
    expect(Number(rows[0]!.n)).toBe(manifestOf(out).events);
    expect(Number(rows[0]!.unordered)).toBe(0);
  });

  it('is written byte for byte the same on a rerun', async () => {
    const again = path.join(dir, 'hive-again');
    await exportTo(stores.generated!, { format: 'parquet', out: again, partitionBy: ['date', 'type'] });
    const { created_at: _a, ...first } = manifestOf(out);
    const { created_at: _b, ...second } = manifestOf(again);
    expect(second).toEqual(first);
  });

  it('refuses a tampered file on ingest, naming it, and leaves the store unchanged', async () => {
    const copy = path.join(dir, 'tampered');
    fs.cpSync(out, copy, { recursive: true });
    const victim = manifestOf(copy).files[3]!;
    const file = path.join(copy, victim.path);
    const bytes = fs.readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    fs.writeFileSync(file, bytes);
    const db = path.join(dir, 'tampered.duckdb');
    await ingest(db, [path.join(ROOT, 'fixtures', 'trading-sample.ndjson')]);
    const error = await ingest(db, [copy]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(victim.path);
    expect((error as UserError).message).toMatch(/SHA-256/);
    const [row] = await withStore(db, (s) => s.all(`SELECT count(*) AS n, (SELECT count(*) FROM sources) AS sources FROM events`), true);
    expect(Number(row!.n)).toBe(410);
    expect(Number(row!.sources)).toBe(1);
  });
});
