/**
 * `evtrail watch nats://…` against the real JetStream server while a publisher writes the
 * bundled sample (anomalies included) into a stream of this run's own: every violation a full
 * audit finds is raised once, and the watched store holds what one ingest of the stream holds.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { SAMPLE_LINES as LINES, alertKeys, auditKeys, coversAudit, sleep } from '../watch.js';
import { NATS_URL, skipWithout } from '../servers.js';

const skip = await skipWithout('nats', 'watch-nats');

describe.skipIf(skip)('evtrail watch nats://', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  const tag = crypto.randomBytes(4).toString('hex');
  const streamName = `WATCH_${tag}`;

  beforeAll(async () => {
    dir = tmpDir('evtrail-watch-nats-');
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: streamName, subjects: [`watch${tag}.>`] });
  });
  afterAll(async () => {
    await jsm?.streams.delete(streamName).catch(() => undefined);
    await nc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('raises every violation once while a publisher writes, and leaves no consumer behind', async () => {
    const db = path.join(dir, 'live.duckdb');
    const child = spawn(process.execPath, [BIN, 'watch', NATS_URL, '--stream', streamName, '--db', db, '--json', '--interval', '100ms', '--stop-after', '4s'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Four parts, a pause between them: watch reads them as they come.
    const part = Math.ceil(LINES.length / 4);
    for (let i = 0; i < LINES.length; i += part) {
      for (const line of LINES.slice(i, i + part)) {
        const e = JSON.parse(line) as { stream: string };
        await js.publish(`watch${tag}.${e.stream}`, line);
      }
      await sleep(500);
    }
    expect(await done, stderr).toBe(0);

    // The reference: one ingest of the same stream into another store, audited.
    const calm = path.join(dir, 'calm.duckdb');
    expect(cli(['ingest', NATS_URL, '--stream', streamName, '--db', calm, '--quiet']).code).toBe(0);
    const expected = auditKeys(calm);
    expect(expected.length).toBeGreaterThan(5);
    expect(coversAudit(alertKeys(stdout), expected)).toEqual({ missing: [], twice: [], unexplained: [] });
    const dump = (file: string) => cli(['query', '--db', file, '--csv', 'SELECT seq, id, stream, type, ts, data, position FROM events ORDER BY seq']).stdout;
    expect(dump(db)).toEqual(dump(calm));
    expect(dump(db).trim().split('\n')).toHaveLength(LINES.length + 1);
    // Nothing left on the server: the consumers watch made are gone.
    const consumers = [];
    for await (const c of jsm.consumers.list(streamName)) consumers.push(c.name);
    expect(consumers).toEqual([]);
  }, 240_000);
});
