/**
 * `evtrail watch postgres://… --preset messagedb` against the real PostgreSQL while a writer
 * inserts the bundled sample (anomalies included) into a Message DB messages table of this
 * run's own: every violation a full audit finds is raised once, and the watched store holds what
 * one ingest of the table holds.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { SAMPLE_LINES as LINES, alertKeys, auditKeys, sleep } from '../watch.js';
import { PG_URL, messageDbDdl, pgMicros, pgUuid, skipWithout } from '../servers.js';

const skip = await skipWithout('postgres', 'watch-postgres');

describe.skipIf(skip)('evtrail watch postgres://', () => {
  let client: pg.Client;
  let dir: string;
  const schema = `watch_${crypto.randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = tmpDir('evtrail-watch-pg-');
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(messageDbDdl(schema));
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('raises every violation once while a writer inserts, and stores what ingest stores', async () => {
    const db = path.join(dir, 'live.duckdb');
    const args = [PG_URL, '--preset', 'messagedb', '--schema', schema];
    const child = spawn(process.execPath, [BIN, 'watch', ...args, '--db', db, '--json', '--interval', '100ms', '--stop-after', '4s'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    const positions = new Map<string, number>();
    const seen = new Set<string>();
    const part = Math.ceil(LINES.length / 4);
    for (let i = 0; i < LINES.length; i += part) {
      for (const line of LINES.slice(i, i + part)) {
        const e = JSON.parse(line) as { id: string; stream: string; type: string; ts: string; data: unknown; meta: unknown; schema_version: number };
        // Message DB ids are unique: a redelivered copy in the sample cannot be written twice.
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        const position = positions.get(e.stream) ?? 0;
        positions.set(e.stream, position + 1);
        await client.query(`INSERT INTO ${schema}.messages (position, time, stream_name, type, data, metadata, id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [position, pgMicros(e.ts).replace('T', ' '), e.stream, e.type, JSON.stringify(e.data), JSON.stringify({ ...(e.meta as object), schemaVersion: String(e.schema_version) }), pgUuid(e.id)]);
      }
      await sleep(500);
    }
    expect(await done, stderr).toBe(0);

    const calm = path.join(dir, 'calm.duckdb');
    expect(cli(['ingest', ...args, '--db', calm, '--quiet']).code).toBe(0);
    const expected = auditKeys(calm);
    expect(expected.length).toBeGreaterThan(3);
    expect(alertKeys(stdout)).toEqual(expected);
    const dump = (file: string) => cli(['query', '--db', file, '--csv', 'SELECT seq, id, stream, rev, type, ts, data, position FROM events ORDER BY seq']).stdout;
    expect(dump(db)).toEqual(dump(calm));
    expect(dump(db).trim().split('\n')).toHaveLength(seen.size + 1);
  }, 240_000);
});
