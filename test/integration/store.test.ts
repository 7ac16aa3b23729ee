import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { MACROS_SQL } from '../../src/store/macros.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { event, ndjson, tmpDir } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = tmpDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A store as the first evtrail wrote it: migration 1 only, with one event in it. */
async function writeFirstVersionStore(file: string, schemaVersion = 1): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    await conn.run(MIGRATIONS[0]!.sql);
    await conn.run(`INSERT INTO evtrail_meta VALUES ('schema_version', '${schemaVersion}')`);
    await conn.run(`INSERT INTO sources VALUES (1, '/old/log.ndjson', 'file', 'ndjson', 'canonical', NULL, 10, 'x', 1, NULL, 1, 0, NULL, now()::TIMESTAMP, now()::TIMESTAMP)`);
    await conn.run(`INSERT INTO events (seq, id, stream, rev, type, schema_version, ts, data, source_id, source_pos)
      VALUES (1, 'old-1', 'order-ord-1', 1, 'OrderPlaced', 1, '2025-08-26 09:30:00.123456789'::TIMESTAMP_NS, '{"orderId":"ord-1"}', 1, 1)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('the store', () => {
  it('opens a store written by the first schema version, migrating it, data intact', async () => {
    const file = path.join(dir, 'old.duckdb');
    await writeFirstVersionStore(file);
    // Read-only opens migrate too (briefly as a writer), so `evtrail info` works on an old store.
    const store = await Store.open(file, { readOnly: true });
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      await store.run(MACROS_SQL);
      expect(await store.all(`SELECT id, evt_iso(ts) AS ts FROM events`)).toEqual([{ id: 'old-1', ts: '2025-08-26T09:30:00.123456789Z' }]);
    } finally {
      store.close();
    }
    // And a newer evtrail can keep adding to it.
    const log = path.join(dir, 'new.ndjson');
    fs.writeFileSync(log, ndjson([event({ id: 'new-1' })]));
    const writer = await Store.open(file);
    try {
      const summary = await ingestFiles(writer, { sources: [log] });
      expect(summary.sources[0]).toMatchObject({ ingested: 1, firstSeq: 2 });
      expect(await writer.all(`SELECT source_id, id FROM events ORDER BY seq`)).toEqual([
        { source_id: 1, id: 'old-1' },
        { source_id: 2, id: 'new-1' },
      ]);
    } finally {
      writer.close();
    }
  });

  it('refuses a store written by a newer evtrail, without touching it', async () => {
    const file = path.join(dir, 'future.duckdb');
    await writeFirstVersionStore(file, SCHEMA_VERSION + 1);
    const before = fs.readFileSync(file);
    const error = await Store.open(file).then(
      (s) => (s.close(), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/newer evtrail/);
    expect((error as UserError).hint).toMatch(/upgrade/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a DuckDB file that is not an evtrail store', async () => {
    const file = path.join(dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run('CREATE TABLE t (x INTEGER)');
    conn.closeSync();
    instance.closeSync();
    await expect(Store.open(file)).rejects.toThrow(/not an evtrail store/);
  });
});
