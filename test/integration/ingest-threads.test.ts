import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles, onOneThread } from '../../src/ingest/ingest.js';
import { Store } from '../../src/store/store.js';
import { tmpDir } from '../helpers.js';

/**
 * The storing transaction runs on one DuckDB thread (cheaper in CPU: BENCHMARKS.md, "issue 15,
 * ingest CPU"), and the connection gets its threads back afterwards, whether the work succeeded
 * or failed: a watch ingests batch after batch on one store, and the next batch's mapping
 * statement must have all its threads again.
 */

const threadsOf = async (store: Store) => Number((await store.all(`SELECT current_setting('threads') AS n`))[0]?.n);

describe('ingest: the storing transaction on one DuckDB thread', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = tmpDir('evtrail-threads-');
    store = await Store.open(path.join(dir, 'store.duckdb'), { create: true });
  });
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the work on one thread, then sets the threads back', async () => {
    await store.run('SET threads = 3');
    const inside = await onOneThread(store, () => threadsOf(store));
    expect(inside).toBe(1);
    expect(await threadsOf(store)).toBe(3);
  });

  it('sets the threads back after a failure, and the failure is the one thrown', async () => {
    await store.run('SET threads = 3');
    const failed = await onOneThread(store, () => store.transaction(async () => {
      await store.run('SELECT * FROM no_such_table');
    })).then(() => undefined, (error: unknown) => error as Error);
    expect(failed?.message).toMatch(/no_such_table/);
    expect(await threadsOf(store)).toBe(3);
  });

  it('an ingest leaves the store on the threads it had, with its events stored', async () => {
    await store.run('SET threads = 3');
    const file = path.join(dir, 'log.ndjson');
    const lines = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ id: `e${i % 40}`, type: 'Tick', stream: 's', ts: '2026-01-01T00:00:00Z', data: { n: i % 40 } }));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const summary = await ingestFiles(store, { sources: [file], preset: 'canonical' });
    expect(summary.ingested).toBe(50);
    expect(summary.redelivered).toBe(10);
    expect(await threadsOf(store)).toBe(3);
    const hashes = await store.all(`SELECT count(*)::INTEGER AS n FROM event_hashes`);
    expect(hashes[0]?.n).toBe(50);
  });
});
