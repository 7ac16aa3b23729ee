/**
 * `evtrail watch postgres://… --preset messagedb` against the real PostgreSQL while a writer
 * writes the bundled sample (anomalies included) into a Message DB of this run's own, installed
 * by Message DB's own scripts (@eventide/message-db) and written through its write_message, as
 * Eventide does: every violation a full audit finds is raised once, and the watched store holds
 * what one ingest of the store holds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { SAMPLE_LINES as LINES, alertKeys, auditKeys, coversAudit, sleep } from '../watch.js';
import { createTestDatabase, installMessageDb, pgUuid, skipWithout } from '../servers.js';

const skip = await skipWithout('postgres', 'watch-postgres');

describe.skipIf(skip)('evtrail watch postgres://', () => {
  let client: pg.Client;
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    dir = tmpDir('evtrail-watch-pg-');
    database = await createTestDatabase('watch');
    installMessageDb(database.name);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // write_message calls Message DB's other functions unqualified: its role's search_path.
    await client.query('SET search_path TO message_store, public');
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('raises every violation once while a writer inserts, and stores what ingest stores', async () => {
    const db = path.join(dir, 'live.duckdb');
    const args = [database.url, '--preset', 'messagedb'];
    const child = spawn(process.execPath, [BIN, 'watch', ...args, '--db', db, '--json', '--interval', '100ms', '--stop-after', '4s'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    const seen = new Set<string>();
    const written: { id: string; stream: string; type: string; data: unknown }[] = [];
    const part = Math.ceil(LINES.length / 4);
    for (let i = 0; i < LINES.length; i += part) {
      for (const line of LINES.slice(i, i + part)) {
        const e = JSON.parse(line) as { id: string; stream: string; type: string; ts: string; data: unknown; meta: unknown; schema_version: number };
        // Message DB ids are unique: a redelivered copy in the sample cannot be written twice.
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        await client.query(`SELECT message_store.write_message($1, $2, $3, $4, $5)`,
          [pgUuid(e.id), e.stream, e.type, JSON.stringify(e.data), JSON.stringify({ ...(e.meta as object), schemaVersion: String(e.schema_version) })]);
        written.push({ id: pgUuid(e.id), stream: e.stream, type: e.type, data: e.data });
      }
      await sleep(500);
    }
    expect(await done, stderr).toBe(0);

    const calm = path.join(dir, 'calm.duckdb');
    expect(cli(['ingest', ...args, '--db', calm, '--quiet']).code).toBe(0);
    const expected = auditKeys(calm);
    expect(expected.length).toBeGreaterThan(3);
    expect(coversAudit(alertKeys(stdout), expected)).toEqual({ missing: [], twice: [], unexplained: [] });
    const dump = (file: string) => cli(['query', '--db', file, '--csv', 'SELECT seq, id, stream, rev, type, ts, data, position FROM events ORDER BY seq']).stdout;
    expect(dump(db)).toEqual(dump(calm));
    expect(dump(db).trim().split('\n')).toHaveLength(seen.size + 1);
    // What went in is what is stored: every message written, in order, its id, stream, type and data.
    const stored = JSON.parse(cli(['query', '--db', db, '--json', 'SELECT id, stream, type, data FROM events ORDER BY seq']).stdout) as typeof written;
    expect(stored).toEqual(written);
  }, 240_000);
});
