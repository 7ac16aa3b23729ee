import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyOutToFile } from '../../src/ingest/stores/pg-copy-out.js';
import { tmpDir } from '../helpers.js';
import { PG_URL, skipWithout } from '../servers.js';

/**
 * CopyOutToFile against the real server: the file holds exactly the bytes psql's COPY writes
 * (rows cut by socket chunks and by its 4 MB buffers, rows larger than both), a server error in
 * the middle of a COPY rejects with that error and leaves the connection usable, and a cancel
 * or the server ending the connection lets the client close.
 */
const skip = await skipWithout('postgres', 'pg-copy-out');
const dir = tmpDir('evtrail-copy-out-');
const schema = `evt_copy_${process.pid}`;
let client: pg.Client;

beforeAll(async () => {
  if (skip) return;
  client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.t AS SELECT i, repeat(chr(65 + i % 26), CASE WHEN i % 1000 = 0 THEN 5000000 ELSE i % 700 END) AS s,
      E'line\\nbreak, "quoted" \\x1f é' AS awkward FROM generate_series(1, 20000) i`);
});

afterAll(async () => {
  if (!skip) {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

async function copyTo(c: pg.Client, sql: string, file: string): Promise<number> {
  const fd = fs.openSync(file, 'w');
  try {
    const copy = new CopyOutToFile(sql, fd);
    void c.query(copy);
    return await copy.done;
  } finally {
    fs.closeSync(fd);
  }
}

describe.skipIf(skip)('CopyOutToFile', () => {
  it('writes the bytes psql writes, whatever cuts the rows', async () => {
    const sql = `COPY (SELECT * FROM ${schema}.t ORDER BY i) TO STDOUT (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e', FORCE_QUOTE *)`;
    const file = path.join(dir, 'rows.csv');
    expect(await copyTo(client, sql, file)).toBe(20000);
    const psql = spawnSync('psql', [PG_URL, '-qAtc', sql], { maxBuffer: 1 << 30 });
    expect(psql.status).toBe(0);
    const ours = fs.readFileSync(file);
    expect(ours.length).toBeGreaterThan(100_000_000); // twenty rows of 5 MB among them
    expect(ours.equals(psql.stdout)).toBe(true);
    // The connection is node-postgres' again.
    expect((await client.query('SELECT 42 AS x')).rows).toEqual([{ x: 42 }]);
  });

  it('a server error in the middle of the rows rejects with it, and the connection goes on', async () => {
    const file = path.join(dir, 'error.csv');
    await expect(copyTo(client, `COPY (SELECT i, 1 / (i - 15000) FROM ${schema}.t ORDER BY i) TO STDOUT (FORMAT csv)`, file))
      .rejects.toThrow(/division by zero/);
    expect((await client.query('SELECT 42 AS x')).rows).toEqual([{ x: 42 }]);
  });

  it('the server ending the connection mid-COPY rejects, and the client still closes', async () => {
    const other = new pg.Client({ connectionString: PG_URL });
    other.on('error', () => undefined);
    await other.connect();
    const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const fd = fs.openSync(path.join(dir, 'terminated.csv'), 'w');
    try {
      const copy = new CopyOutToFile(`COPY (SELECT * FROM ${schema}.t, generate_series(1, 20)) TO STDOUT`, fd);
      void other.query(copy);
      while (copy.bytes < 1_000_000) await new Promise((r) => setTimeout(r, 5));
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(copy.done).rejects.toThrow(/terminat/i);
    } finally {
      fs.closeSync(fd);
      await other.end().catch(() => undefined);
    }
  });

  it('cancelled, it rejects with the reason and the client still closes', async () => {
    const other = new pg.Client({ connectionString: PG_URL });
    other.on('error', () => undefined);
    await other.connect();
    const fd = fs.openSync(path.join(dir, 'cancel.csv'), 'w');
    try {
      const copy = new CopyOutToFile(`COPY (SELECT * FROM ${schema}.t, generate_series(1, 20)) TO STDOUT`, fd);
      void other.query(copy);
      while (copy.bytes < 1_000_000) await new Promise((r) => setTimeout(r, 5));
      copy.cancel(new Error('interrupted'));
      await expect(copy.done).rejects.toThrow('interrupted');
    } finally {
      fs.closeSync(fd);
      await other.end();
    }
  });
});
