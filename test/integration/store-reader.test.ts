// Store.reader: the explorer's door to a store a watcher holds read-write in the same process
// (`ui --watch`). Against real DuckDB: what the reader answers equals what the writer's own
// connection answers; it sees a batch when it commits, not before; its temp views are its own;
// and the premise of the design: no other process can open the store meanwhile, not even to read.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { cli, tmpDir } from '../helpers.js';
import { SAMPLE } from '../watch.js';

let dir: string;
let db: string;
beforeEach(() => {
  dir = tmpDir('evtrail-reader-');
  db = path.join(dir, 'live.duckdb');
  const r = cli(['ingest', SAMPLE, '--db', db, '--quiet']);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Store.reader (ui --watch reads beside the watcher)', () => {
  it('answers every read as the writer does: all, allExact, stream, columns, with named and positional values', async () => {
    const writer = await Store.open(db);
    const reader = await writer.reader();
    try {
      const queries: [string, Record<string, string | number> | (string | number)[] | undefined][] = [
        ['SELECT type, count(*) AS n, min(ts) AS first, max(seq) AS last FROM events GROUP BY type ORDER BY type', undefined],
        ['SELECT seq, id, stream, type, ts, data FROM events WHERE seq > $after ORDER BY seq LIMIT 25', { after: 100 }],
        ['SELECT seq, id FROM events WHERE type = ? AND seq < ? ORDER BY seq DESC', ['OrderPlaced', 300]],
        ['SELECT source_id, uri, format, preset FROM sources ORDER BY source_id', undefined],
      ];
      for (const [sql, params] of queries) {
        const direct = await writer.all(sql, params);
        expect(direct.length).toBeGreaterThan(0);
        expect(await reader.all(sql, params)).toEqual(direct);
        expect(await reader.allExact(sql, params)).toEqual(await writer.allExact(sql, params));
      }
      expect(await reader.columns('SELECT seq, type AS t FROM events')).toEqual(['seq', 't']);
      const read = async (s: Store) => {
        const rows: unknown[][] = [];
        for await (const chunk of (await s.stream('SELECT seq, id FROM events ORDER BY seq')).yieldRowsJson()) rows.push(...chunk);
        return rows;
      };
      const streamed = await read(reader);
      expect(streamed).toHaveLength(410);
      expect(streamed).toEqual(await read(writer));
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('sees a batch when the writer commits it, not before; keeps no answer (remember) and its temp views to itself', async () => {
    const writer = await Store.open(db);
    const reader = await writer.reader();
    try {
      await writer.run('CREATE TABLE batches (n INTEGER)');
      await writer.run('BEGIN TRANSACTION');
      await writer.run('INSERT INTO batches VALUES (1), (2)');
      expect(await reader.all('SELECT count(*)::INTEGER AS n FROM batches')).toEqual([{ n: 0 }]);
      await writer.run('COMMIT');
      expect(await reader.all('SELECT count(*)::INTEGER AS n FROM batches')).toEqual([{ n: 2 }]);
      // remember() computes again each time: the store grows under the reader.
      let computed = 0;
      await reader.remember('k', async () => ++computed);
      await reader.remember('k', async () => ++computed);
      expect(computed).toBe(2);
      // A lens on the reader (a temp view shadowing events) leaves the writer's events whole.
      await reader.run(`CREATE TEMP VIEW events AS SELECT * FROM "live".main.events WHERE false`);
      expect(await reader.all('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 0 }]);
      expect(await writer.all('SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 410 }]);
    } finally {
      reader.close();
    }
    // Closing the reader leaves the writer open.
    expect(await writer.all('SELECT count(*)::INTEGER AS n FROM batches')).toEqual([{ n: 2 }]);
    writer.close();
  });

  it('the premise: while one process holds the store read-write, another cannot open it even read-only', async () => {
    const writer = await Store.open(db);
    try {
      const other = cli(['info', '--db', db]);
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/^evtrail: store .* is in use by another process \(PID \d+\)/);
    } finally {
      writer.close();
    }
    expect(cli(['info', '--db', db]).code).toBe(0);
  });
});
