/**
 * A JetStream stream followed by watch (src/ingest/stores/nats-follow.ts): one consumer for the
 * whole watch, not one per batch, deleted when watch ends; a batch not committed is read again
 * (the consumer starts over from the checkpoint); a kill -9 and a restart lose nothing and raise
 * nothing twice. Streams of this run's own (WATCH22_…).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStorePreset } from '../../src/ingest/presets/index.js';
import { NatsFollower } from '../../src/ingest/stores/nats-follow.js';
import { natsPreset, natsTarget } from '../../src/ingest/stores/nats.js';
import { STAGE_TABLE } from '../../src/ingest/stores/stage.js';
import { Store } from '../../src/store/store.js';
import { BIN, ROOT, cli, tmpDir } from '../helpers.js';
import { NATS_URL, skipWithout } from '../servers.js';
import { SAMPLE_LINES as LINES, alertKeys, auditKeys, coversAudit, sleep } from '../watch.js';

const skip = await skipWithout('nats', 'watch-nats-follow');

describe.skipIf(skip)('watch nats:// keeps one consumer', () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  const tag = crypto.randomBytes(4).toString('hex');
  const streams: string[] = [];

  async function newStream(name: string): Promise<{ name: string; subject: string }> {
    const full = `WATCH22_${name}_${tag}`;
    await jsm.streams.add({ name: full, subjects: [`watch22${name}${tag}.>`] });
    streams.push(full);
    return { name: full, subject: `watch22${name}${tag}` };
  }

  async function consumers(stream: string): Promise<string[]> {
    const names: string[] = [];
    for await (const c of jsm.consumers.list(stream)) names.push(c.name);
    return names;
  }

  beforeAll(async () => {
    dir = tmpDir('evtrail-watch22-nats-');
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  afterAll(async () => {
    for (const s of streams) await jsm?.streams.delete(s).catch(() => undefined);
    await nc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads on from the last read with the same consumer, starts over from an older checkpoint, and deletes it on close', async () => {
    const { name, subject } = await newStream('F');
    for (const line of LINES.slice(0, 30)) await js.publish(`${subject}.x`, line);
    const follower = new NatsFollower(natsTarget(NATS_URL, name, undefined, undefined), natsPreset(getStorePreset('canonical', ['canonical'])));
    const store = await Store.open(path.join(dir, 'f.duckdb'), { create: true });
    const readAll = async (checkpoint: string | null, want: number): Promise<number[]> => {
      const got: number[] = [];
      let cp = checkpoint;
      for (let i = 0; i < 100 && got.length < want; i++) {
        const read = await follower.read(store, cp);
        if (read.rows > 0) {
          got.push(...(await store.all(`SELECT pos FROM ${STAGE_TABLE} ORDER BY pos`)).map((r) => Number(r.pos)));
          cp = read.last;
        } else await sleep(50);
        await read.cleanup?.();
      }
      return got;
    };
    try {
      expect(await readAll(null, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      const first = await consumers(name);
      expect(first).toHaveLength(1);
      // More messages: the same consumer delivers them.
      for (const line of LINES.slice(30, 40)) await js.publish(`${subject}.x`, line);
      expect(await readAll('30', 10)).toEqual(Array.from({ length: 10 }, (_, i) => i + 31));
      expect(await consumers(name)).toEqual(first);
      // The batch after 35 was not committed: the next read starts again after 35.
      expect(await readAll('35', 5)).toEqual([36, 37, 38, 39, 40]);
      expect(await consumers(name)).toHaveLength(1);
    } finally {
      await follower.close();
      store.close();
    }
    expect(await consumers(name)).toEqual([]);
  }, 120_000);

  it('one consumer while watch runs; after kill -9 and a restart nothing is lost or raised twice', async () => {
    const { name, subject } = await newStream('K');
    const db = path.join(dir, 'k.duckdb');
    const publish = async (lines: readonly string[]) => {
      for (const line of lines) await js.publish(`${subject}.${(JSON.parse(line) as { stream: string }).stream}`, line);
    };
    const half = Math.floor(LINES.length / 2);
    const start = (extra: string[]) => {
      const child = spawn(process.execPath, [BIN, 'watch', NATS_URL, '--stream', name, '--db', db, '--json', '--interval', '50ms', ...extra], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      return { child, done, out: () => stdout, err: () => stderr };
    };
    const first = start([]);
    const seen = new Set<string>();
    // Its consumer is made at its first read (a loaded machine may take a while to start it).
    for (let i = 0; i < 600 && (await consumers(name)).length === 0; i++) await sleep(100);
    for (let i = 0; i < half; i += 50) {
      await publish(LINES.slice(i, Math.min(i + 50, half)));
      await sleep(300);
      for (const c of await consumers(name)) seen.add(c);
    }
    for (let i = 0; i < 600 && !/"health"|"rule"/.test(first.out() + first.err()); i++) await sleep(100);
    await sleep(1000);
    for (const c of await consumers(name)) seen.add(c);
    // Batches came and went, and the consumer stayed the same one.
    expect([...seen]).toHaveLength(1);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    await publish(LINES.slice(half));
    const second = start(['--stop-after', '3s']);
    const ended = await second.done;
    expect(ended.code, second.err()).toBe(0);
    // The killed watch's consumer is the server's to drop (inactive threshold); the restarted one deleted its own.
    expect((await consumers(name)).filter((c) => !seen.has(c))).toEqual([]);

    const calm = path.join(dir, 'k-calm.duckdb');
    expect(cli(['ingest', NATS_URL, '--stream', name, '--db', calm, '--quiet']).code).toBe(0);
    expect(coversAudit([...alertKeys(first.out()), ...alertKeys(second.out())], auditKeys(calm))).toEqual({ missing: [], twice: [], unexplained: [] });
    const dump = (file: string) => cli(['query', '--db', file, '--csv', 'SELECT seq, id, stream, type, ts, data, position FROM events ORDER BY seq']).stdout;
    expect(dump(db)).toEqual(dump(calm));
    // The chain, built batch by batch from the last partial block's running hash (and whole
    // again after the restart): the blocks and event hashes one ingest makes.
    const chain = (file: string) => cli(['query', '--db', file, '--csv', 'SELECT source_id, block, first_seq, last_seq, events, digest, link FROM chain_blocks ORDER BY ALL']).stdout
      + cli(['query', '--db', file, '--csv', 'SELECT seq, hash FROM event_hashes ORDER BY seq']).stdout;
    expect(chain(db)).toEqual(chain(calm));
    expect(cli(['verify', '--db', db]).code).toBe(0);
  }, 240_000);
});
