import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, tmpDir } from '../helpers.js';
import { PG_URL, skipWithout } from '../servers.js';

/**
 * Events ingested from an event store (here PostgreSQL, Message DB's layout; NATS goes through
 * the same store-ingest transaction) are hashed and chained like file events.
 */
const skip = await skipWithout('postgres', 'integrity-stores');

describe.skipIf(skip)('chain over a PostgreSQL source', { timeout: 300_000 }, () => {
  const dir = tmpDir('evtrail-integrity-pg-');
  const schema = `evt_integrity_${process.pid}`;
  const db = path.join(dir, 's.duckdb');
  let client: pg.Client;
  const write = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      await client.query(`INSERT INTO ${schema}.messages (position, stream_name, type, data, metadata, time) VALUES ($1, 'order-1', 'OrderPlaced', $2, '{}', '2025-08-26 09:30:00')`,
        [i, JSON.stringify({ orderId: 'ord-1', qty: i })]);
    }
  };

  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.messages (global_position bigserial PRIMARY KEY, position bigint NOT NULL,
        time TIMESTAMP WITHOUT TIME ZONE NOT NULL, stream_name text NOT NULL, type text NOT NULL, data jsonb, metadata jsonb,
        id UUID NOT NULL DEFAULT gen_random_uuid())`);
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hashes what each run adds; verify --source reads the table again and finds a row changed since', async () => {
    await write(0, 5);
    expect(cli(['ingest', PG_URL, '--preset', 'messagedb', '--schema', schema, '--db', db]).code).toBe(0);
    await write(5, 3);
    expect(cli(['ingest', PG_URL, '--preset', 'messagedb', '--schema', schema, '--db', db]).code).toBe(0);
    const hashes = cliJson(['query', 'SELECT count(*)::INTEGER AS n FROM event_hashes', '--db', db]);
    expect(hashes).toEqual([{ n: 8 }]);
    const v = cliJson(['verify', '--db', db, '--source']);
    expect(v).toMatchObject({ ok: true, events: 8 });
    expect(v.sources[0]).toMatchObject({ events: 8, head: v.head, sha256: null });
    // --source reads the table again once (as ingest does) and compares by position.
    expect(v.sourceChecks).toEqual([expect.objectContaining({ kind: 'postgres', status: 'ok', message: 'read again: its 8 event(s) are the same' })]);

    // A row written after the ingest is not a difference; a row changed in place is, by position.
    await write(8, 2);
    await client.query(`UPDATE ${schema}.messages SET data = '{"orderId": "ord-1", "qty": 999}' WHERE global_position = 4`);
    const changed = cli(['verify', '--db', db, '--source', PG_URL, '--json']);
    expect(changed.code).toBe(1);
    const doc = JSON.parse(changed.stdout);
    expect(doc.sourceChecks).toEqual([expect.objectContaining({ kind: 'postgres', status: 'changed' })]);
    expect(doc.problems).toEqual([expect.objectContaining({ kind: 'source-changed', seq: 4 })]);
    expect(doc.problems[0].message).toMatch(/read again, 1 position\(s\) differ from what was ingested; the first: position 4 \(seq 4, id [0-9a-f-]+\) now gives another event than the one ingested$/);
    // Without --source the chain alone passes: the store itself is intact.
    expect(cli(['verify', '--db', db]).code).toBe(0);
  });
});
