import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { BIN, tmpDir } from '../helpers.js';
import { NATS_URL, PG_URL, skipWithout } from '../servers.js';

/**
 * kill -9 in the middle of an event-store ingest, then a rerun, gives exactly the store an
 * uninterrupted run gives: events, rejects, sources and their checkpoints, the hash chain. The kills land at
 * half of a measured uninterrupted run (where the rows are being read, mapped or stored), on a first ingest and on an incremental one.
 */
const pgOk = !(await skipWithout('postgres', 'stores-crash (PostgreSQL part)'));
const natsOk = !(await skipWithout('nats', 'stores-crash (NATS part)'));

const N = 8_000;

function run(args: string[], db: string, env: Record<string, string> = {}): { ms: number; code: number | null; stderr: string } {
  const t = Date.now();
  const r = spawnSync(process.execPath, [BIN, 'ingest', ...args, '--db', db, '--quiet', '--json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { ms: Date.now() - t, code: r.status, stderr: r.stderr };
}

/** Starts an ingest and kills it (SIGKILL) after `ms`; resolves when it is gone. */
function killAfter(args: string[], db: string, ms: number, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'ingest', ...args, '--db', db, '--quiet', '--json'], { stdio: 'ignore', env: { ...process.env, ...env } });
    killed.push(child.pid!);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit ${code}`);
    });
  });
}

/** The killed ingests' pids: their temporary folders must be gone once the reruns have run. */
const killed: number[] = [];
const leftBehind = () => fs.readdirSync(os.tmpdir()).filter((name) => killed.some((pid) => name.startsWith('evtrail-') && name.includes(`-${pid}-`)));

async function dump(db: string) {
  const store = await Store.open(db, { readOnly: true });
  try {
    return {
      events: await store.all(`SELECT * FROM events ORDER BY seq`),
      rejects: await store.all(`SELECT * FROM rejects ORDER BY source_id, source_pos`),
      sources: await store.all(`SELECT * EXCLUDE (first_ingested_at, last_ingested_at) FROM sources ORDER BY source_id`),
      // The hash chain's blocks and links, store and source scopes.
      chain: await store.all(`SELECT * FROM chain_blocks ORDER BY source_id, block`),
    };
  } finally {
    store.close();
  }
}

async function crashAndCompare(dir: string, args: string[], append: () => Promise<void>, name: string) {
  // Uninterrupted: half, then the rest.
  const clean = path.join(dir, `${name}-clean.duckdb`);
  const first = run(args, clean);
  expect(first.code, first.stderr).toBe(0);
  const halfStore = path.join(dir, `${name}-half.duckdb`);
  fs.copyFileSync(clean, halfStore);
  await append();
  const second = run(args, clean);
  expect(second.code, second.stderr).toBe(0);
  const want = await dump(clean);
  expect(want.events.length).toBe(2 * N);
  const outcomes: string[] = [];
  // Whole, and in parts of 3000 rows a transaction (a kill between two parts leaves the first
  // committed with its checkpoint: the rerun goes on from there).
  for (const [k, env] of ([{}, { EVTRAIL_STORE_PART: '3000' }] as Record<string, string>[]).entries()) {
    // A first ingest killed, then run again: it reads everything (both halves) at once.
    const fresh = path.join(dir, `${name}-fresh-${k}.duckdb`);
    outcomes.push(await killAfter(args, fresh, Math.round(first.ms * 0.5), env));
    expect(run(args, fresh, env).code).toBe(0);
    expect(await dump(fresh)).toEqual(want);
    // An incremental ingest killed: the store held the first half.
    const inc = path.join(dir, `${name}-inc-${k}.duckdb`);
    fs.copyFileSync(halfStore, inc);
    outcomes.push(await killAfter(args, inc, Math.round(second.ms * 0.5), env));
    expect(run(args, inc, env).code).toBe(0);
    expect(await dump(inc)).toEqual(want);
  }
  // At least some kills landed mid-run.
  expect(outcomes.filter((o) => o === 'SIGKILL').length, outcomes.join(', ')).toBeGreaterThanOrEqual(1);
  // What the killed runs had staged was removed by the reruns.
  expect(leftBehind()).toEqual([]);
}

describe.skipIf(!pgOk)('kill -9 during a PostgreSQL ingest', () => {
  const schema = `evt_crash_${crypto.randomBytes(4).toString('hex')}`;
  let client: pg.Client;
  let dir: string;
  const insert = (from: number) => client.query(`INSERT INTO ${schema}.messages (position, time, stream_name, type, data, metadata, id)
    SELECT i / 10, timestamp '2025-08-26 09:30:00' + i * interval '1 millisecond', 'order-' || (i % 1000), 'OrderFilled',
      jsonb_build_object('orderId', i % 1000, 'qty', i), jsonb_build_object('correlationStreamName', 'corr-' || (i % 1000)), md5(i::text)::uuid
    FROM generate_series(${from}, ${from + N - 1}) i`);
  beforeAll(async () => {
    dir = tmpDir();
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.messages (global_position bigserial PRIMARY KEY, position bigint NOT NULL,
      time TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL, stream_name text NOT NULL, type text NOT NULL,
      data jsonb, metadata jsonb, id UUID NOT NULL DEFAULT gen_random_uuid())`);
    await insert(0);
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it('the rerun gives the store of an uninterrupted run', async () => {
    await crashAndCompare(dir, [PG_URL, '--preset', 'messagedb', '--schema', schema], () => insert(N).then(() => undefined), 'pg');
  }, 120_000);
});

describe.skipIf(!natsOk)('kill -9 during a JetStream ingest', () => {
  const tag = crypto.randomBytes(4).toString('hex');
  const stream = `EVT_CRASH_${tag}`;
  let dir: string;
  const publish = async (from: number) => {
    const nc = await connect({ servers: NATS_URL });
    const js = jetstream(nc);
    const acks: Promise<unknown>[] = [];
    for (let i = from; i < from + N; i++) {
      const e = { id: `evt-${i}`, stream: `order-${i % 1000}`, type: 'OrderFilled', ts: `2025-08-26T09:30:00.${String(i % 1e9).padStart(9, '0')}Z`, data: { qty: i } };
      acks.push(js.publish(`crash${tag}.x`, JSON.stringify(e)));
      if (acks.length >= 2000) await Promise.all(acks.splice(0));
    }
    await Promise.all(acks);
    await nc.close();
  };
  beforeAll(async () => {
    dir = tmpDir();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`crash${tag}.>`] });
    await nc.close();
    await publish(0);
  });
  afterAll(async () => {
    const nc = await connect({ servers: NATS_URL }).catch(() => undefined);
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it('the rerun gives the store of an uninterrupted run', async () => {
    await crashAndCompare(dir, [NATS_URL, '--stream', stream], () => publish(N), 'nats');
  }, 120_000);
});
