import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

/**
 * The real servers the store tests use (node-svc machines run both; .ci/run starts them).
 * A test file asks whether one answers: without it, a plain run skips that file's store tests
 * with a visible line, and with CI=true they run (and fail), so CI never passes silently.
 */
export const PG_URL = process.env.EVTRAIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.EVTRAIL_TEST_NATS ?? 'nats://127.0.0.1:4222';
const CI = process.env.CI === 'true';

async function pgUp(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function natsUp(): Promise<boolean> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3000, reconnect: false });
    await (await jetstreamManager(nc)).getAccountInfo();
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/** true when the tests needing this server should be skipped (after saying so on stderr). */
export async function skipWithout(server: 'postgres' | 'nats', who: string): Promise<boolean> {
  const up = server === 'postgres' ? await pgUp() : await natsUp();
  const skip = !up && !CI;
  if (skip) {
    const what = server === 'postgres' ? `PostgreSQL at ${PG_URL}` : `NATS JetStream at ${NATS_URL}`;
    console.warn(`${who}: SKIPPED, no ${what} (with CI=true this is a failure)`);
  }
  return skip;
}

/** A stable UUID for a generated event id (PostgreSQL layouts keep ids as uuid). */
export const pgUuid = (id: string): string => {
  const h = crypto.createHash('md5').update(id).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** PostgreSQL keeps microseconds: the seeds write times cut to them, the store reads them back exactly. */
export const pgMicros = (ts: string): string => ts.slice(0, 26);

/** Message DB's messages table (message-db/message-db, database/tables/messages.sql and its indexes). */
export function messageDbDdl(schema: string): string {
  return `CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.messages (
      global_position bigserial NOT NULL,
      position bigint NOT NULL,
      time TIMESTAMP WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
      stream_name text NOT NULL,
      type text NOT NULL,
      data jsonb,
      metadata jsonb,
      id UUID NOT NULL DEFAULT gen_random_uuid()
    );
    ALTER TABLE ${schema}.messages ADD PRIMARY KEY (global_position) NOT DEFERRABLE INITIALLY IMMEDIATE;
    CREATE UNIQUE INDEX ON ${schema}.messages (id);
    CREATE UNIQUE INDEX ON ${schema}.messages (stream_name, position);`;
}

/**
 * A database of its own on the test server (evtrail_<what>_<random>), for a store whose client
 * or install scripts create their objects in fixed places (Message DB's message_store schema and
 * role grants, Emmett's emt_ tables in public). drop() removes it, closing what is still connected.
 */
export async function createTestDatabase(what: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `evtrail_${what}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Installs Message DB into `database` with its own scripts (the npm package @eventide/message-db
 * ships them: database/install.sh, run with psql as its README says), the database made by
 * createTestDatabase (CREATE_DATABASE=off). The message_store role it creates is the cluster's,
 * and stays (the script makes it only when missing).
 */
export function installMessageDb(database: string): void {
  const url = new URL(PG_URL);
  const script = path.resolve(import.meta.dirname, '../node_modules/@eventide/message-db/database/install.sh');
  const run = spawnSync('bash', [script], {
    encoding: 'utf8',
    env: {
      ...process.env, DATABASE_NAME: database, CREATE_DATABASE: 'off',
      PGHOST: url.hostname, PGPORT: url.port || '5432', PGUSER: decodeURIComponent(url.username || 'postgres'),
      ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
    },
  });
  if (run.status !== 0) throw new Error(`Message DB install failed (${run.status}): ${run.stderr || run.error}`);
}
