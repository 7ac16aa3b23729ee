import crypto from 'node:crypto';
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
