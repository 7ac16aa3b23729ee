import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, serializeTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * Generated trading logs through the real ingest into a real DuckDB: both field spellings the
 * canonical preset accepts give the same envelopes, and the same inputs give the same store.
 */
let dir: string;
const files: Record<string, string> = {};

function writeLog(name: string, spelling: 'canonical' | 'aliases', orders = 300, seed = 11): string {
  const file = path.join(dir, name);
  const lines: string[] = [];
  for (const e of generateTradingLog({ orders, seed, anomalyRate: 0.05, spelling })) lines.push(serializeTradingEvent(e));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function withStore<T>(name: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(path.join(dir, name), { create: true });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

const ENVELOPE = `seq, id, stream, rev, type, schema_version, evt_iso(ts) AS ts, evt_iso(recorded_ts) AS recorded_ts,
  correlation_id, causation_id, source, data::VARCHAR AS data, dup_kind, dup_of`;

beforeAll(() => {
  dir = tmpDir();
  files.canonical = writeLog('canonical.ndjson', 'canonical');
  files.aliases = writeLog('aliases.ndjson', 'aliases');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ingest of generated trading logs', () => {
  it('maps both spellings to the same envelopes', async () => {
    const read = (file: string, db: string) =>
      withStore(db, async (store) => {
        const summary = await ingestFiles(store, { sources: [file] });
        expect(summary.rejected).toBe(0);
        return store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`);
      });
    const canonical = await read(files.canonical!, 'c.duckdb');
    const aliases = await read(files.aliases!, 'a.duckdb');
    expect(canonical.length).toBeGreaterThan(2000);
    expect(aliases).toEqual(canonical);
    // The correlation and causation ids came from inside metadata in the alias spelling.
    expect(aliases.filter((r) => r.causation_id !== null).length).toBeGreaterThan(canonical.length / 2);
    expect(new Set(aliases.map((r) => r.schema_version))).toEqual(new Set([1, 2]));
  });

  it('gives the same store for the same inputs (deterministic seq, ids and marks)', async () => {
    const snapshot = (db: string) =>
      withStore(db, async (store) => {
        await ingestFiles(store, { sources: [files.canonical!, files.aliases!] });
        return store.all(`SELECT ${ENVELOPE}, source_id, source_pos FROM events ORDER BY seq`);
      });
    const first = await snapshot('d1.duckdb');
    const second = await snapshot('d2.duckdb');
    expect(second).toEqual(first);
    // The second file repeats every id of the first: each is a redelivery of the first file's event.
    const half = first.length / 2;
    expect(first.slice(half).every((r) => r.dup_kind === 'redelivery' || r.dup_kind === 'conflict')).toBe(true);
  });

  it('counts the generator\'s duplicate and conflict anomalies exactly', async () => {
    const log = generateTradingLog({ orders: 300, seed: 11, anomalyRate: 0.05 });
    for (const _ of log) void _;
    const truth = log.truth;
    const want = { redelivered: truth.filter((t) => t.kind === 'duplicate').length, conflicts: truth.filter((t) => t.kind === 'conflict').length };
    expect(want.redelivered + want.conflicts).toBeGreaterThan(0);
    const summary = await withStore('dups.duckdb', (store) => ingestFiles(store, { sources: [files.canonical!] }));
    expect({ redelivered: summary.redelivered, conflicts: summary.conflicts }).toEqual(want);
  });
});
