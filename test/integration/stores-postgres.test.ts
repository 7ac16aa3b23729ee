import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestStore } from '../../src/ingest/stores/ingest-store.js';
import { openStoreSource } from '../../src/ingest/stores/open.js';
import { Store } from '../../src/store/store.js';
import { cli, tmpDir } from '../helpers.js';
import { PG_URL, messageDbDdl, pgMicros as micros, pgUuid as uuid, skipWithout } from '../servers.js';

/**
 * Message DB read from the real PostgreSQL (127.0.0.1:5432): a schema of our own per run with
 * Message DB's documented messages table, seeded from the trading generator; every envelope
 * field is compared with a plain-JS reference built from the seeded rows.
 */
const skip = await skipWithout('postgres', 'stores-postgres');



interface Seeded {
  gp: string;
  position: number;
  stream: string;
  type: string;
  time: string;
  data: unknown;
  metadata: Record<string, unknown>;
  id: string;
  /** What the envelope's causation_id must be: the causing message's id, when it was written. */
  cause: string | null;
}

/** Writes events as Message DB does, one stream position after another; returns the rows written. */
async function seed(client: pg.Client, schema: string, events: CanonicalTradingEvent[], written: Map<string, Seeded>): Promise<Seeded[]> {
  const out: Seeded[] = [];
  const nextPos = new Map<string, number>();
  for (const s of written.values()) nextPos.set(s.stream, Math.max(nextPos.get(s.stream) ?? 0, s.position + 1));
  let k = 0;
  for (const e of events) {
    const id = uuid(e.id);
    if ([...written.values()].length && written.has(id)) continue; // Message DB ids are unique
    if (written.has(id)) continue;
    const position = nextPos.get(e.stream) ?? 0;
    const cause = e.causation_id ? written.get(uuid(e.causation_id)) : undefined;
    const metadata: Record<string, unknown> = { ...e.meta, correlationStreamName: e.correlation_id, schemaVersion: e.schema_version };
    if (cause) {
      metadata.causationMessageStreamName = cause.stream;
      metadata.causationMessagePosition = cause.position;
      // Every third one names its cause by stream and position only.
      if (k++ % 3 !== 0) metadata.causationMessageGlobalPosition = Number(cause.gp);
    }
    const { rows } = await client.query<{ global_position: string }>(
      `INSERT INTO ${schema}.messages (position, time, stream_name, type, data, metadata, id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING global_position`,
      [position, micros(e.ts).replace('T', ' '), e.stream, e.type, JSON.stringify(e.data), JSON.stringify(metadata), id],
    );
    const row: Seeded = { gp: rows[0]!.global_position, position, stream: e.stream, type: e.type, time: micros(e.ts), data: e.data, metadata, id, cause: cause?.id ?? null };
    nextPos.set(e.stream, position + 1);
    written.set(id, row);
    out.push(row);
  }
  return out;
}

function tradingEvents(orders: number, seed: number): CanonicalTradingEvent[] {
  const events: CanonicalTradingEvent[] = [];
  for (const e of generateTradingLog({ orders, seed, anomalyRate: 0.05 })) events.push(e as CanonicalTradingEvent);
  return events;
}

const ENVELOPE = `seq, id, stream, rev, type, schema_version, evt_iso(ts) AS ts, correlation_id, causation_id, source,
  data::VARCHAR AS data, meta::VARCHAR AS meta, position, source_pos, dup_kind`;

function expected(rows: Seeded[]) {
  return rows.map((r, i) => ({
    seq: String(i + 1), id: r.id, stream: r.stream, rev: String(r.position), type: r.type,
    schema_version: Number(r.metadata.schemaVersion), ts: `${r.time}000Z`, correlation_id: String(r.metadata.correlationStreamName),
    causation_id: r.cause, source: null, data: r.data, meta: r.metadata, position: r.gp, source_pos: r.gp, dup_kind: null,
  }));
}

async function snapshot(store: Store) {
  const rows = await store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`);
  return rows.map((r) => ({ ...r, data: JSON.parse(String(r.data)), meta: JSON.parse(String(r.meta)) }));
}

describe.skipIf(skip)('PostgreSQL: Message DB', () => {
  const schema = `evt_mdb_${crypto.randomBytes(4).toString('hex')}`;
  let client: pg.Client;
  let dir: string;
  const written = new Map<string, Seeded>();
  let first: Seeded[] = [];
  const events = tradingEvents(120, 7);
  const cut = Math.floor(events.length * 0.6);
  const url = `${PG_URL}`;

  beforeAll(async () => {
    // Small pages: the reads go through many pages and the two-connection split.
    process.env.EVTRAIL_PG_PAGE = '97';
    dir = tmpDir();
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(messageDbDdl(schema));
    first = await seed(client, schema, events.slice(0, cut), written);
  });
  afterAll(async () => {
    delete process.env.EVTRAIL_PG_PAGE;
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ingest = async (db: string) => {
    const store = await Store.open(path.join(dir, db), { create: true });
    try {
      const source = await openStoreSource(url, { preset: 'messagedb', schema, map: {} });
      const summary = await ingestStore(store, source);
      return { summary, rows: await snapshot(store), store: path.join(dir, db) };
    } finally {
      store.close();
    }
  };

  it('maps every field and resolves causation to the causing message id', async () => {
    const { summary, rows } = await ingest('one.duckdb');
    expect(summary.rejected).toBe(0);
    expect(summary.sources[0]!.checkpoint).toBe(first[first.length - 1]!.gp);
    expect(rows).toEqual(expected(first));
    // Resolution was exercised both ways: by global position and by stream + position only.
    const byStreamOnly = first.filter((r) => r.cause && r.metadata.causationMessageGlobalPosition === undefined);
    expect(byStreamOnly.length).toBeGreaterThan(10);
    expect(first.filter((r) => r.cause).length).toBeGreaterThan(first.length / 2);
  });

  it('is incremental: a rerun reads only new messages, resolves causes ingested before, reports gaps', async () => {
    const db = 'inc.duckdb';
    await ingest(db);
    // A rolled-back write leaves a hole in the global positions.
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${schema}.messages (position, stream_name, type, id) VALUES (0, 'rolled-back', 'X', gen_random_uuid()), (1, 'rolled-back', 'X', gen_random_uuid())`);
    await client.query('ROLLBACK');
    const more = await seed(client, schema, events.slice(cut), written);
    expect(more.some((r) => r.cause && first.some((f) => f.id === r.cause))).toBe(true);
    const second = await ingest(db);
    expect(second.summary.sources[0]!.status).toBe('appended');
    expect(second.summary.ingested).toBe(more.length);
    // (Whether the hole is also kept open depends on what else runs on the server meanwhile.)
    expect(second.summary.sources[0]!.gaps).toMatchObject({ count: 1, missing: 2, first: String(BigInt(first[first.length - 1]!.gp) + 1n), filled: 0 });
    expect(second.rows).toEqual(expected([...first, ...more]));
    const third = await ingest(db);
    expect(third.summary.sources[0]!.status).toBe('unchanged');
    expect(third.summary.ingested).toBe(0);
    // The same as one uninterrupted ingest of everything.
    const whole = await ingest('whole.duckdb');
    expect(third.rows).toEqual(whole.rows);
  });

  describe('errors: one line, exit 2, the store unchanged', () => {
    // (A spawnSync timeout: an error that left a connection open would hang the CLI.)
    const run = (args: string[], db: string, env: Record<string, string> = {}) =>
      cli(['ingest', ...args, '--db', db, '--quiet'], { timeout: 60_000, env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, ...env } });
    const expectOneLine = (r: { code: number; stderr: string }, pattern: RegExp) => {
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(pattern);
      expect(lines[0]).toMatch(/^evtrail: /);
      expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    };
    const cases: [string, string[], RegExp, Record<string, string>?][] = [
      ['unreachable', ['postgres://127.0.0.1:1/test', '--preset', 'messagedb'], /127\.0\.0\.1:1\/test.*connection refused/],
      ['authentication', ['postgres://no_such_user_evt@127.0.0.1:5432/test', '--preset', 'messagedb'], /127\.0\.0\.1:5432\/test.*authentication failed/],
      ['missing table', [PG_URL, '--preset', 'messagedb', '--schema', 'no_such_schema_evt'], /no table no_such_schema_evt\.messages/],
      // (A store that holds the table from another preset says so first.)
      ['wrong preset', [PG_URL, '--preset', 'marten', '--table', `${schema}.messages`], /has no column .*not a marten layout|was ingested with --preset messagedb, now read with marten/],
      ['no preset', [PG_URL], /which event store layout/],
      ['no temporary folder', [PG_URL, '--preset', 'messagedb', '--schema', schema], /cannot create a temporary folder in \/no-such-dir-evt for the rows read from PostgreSQL/, { TMPDIR: '/no-such-dir-evt' }],
    ];
    for (const [name, args, pattern, env] of cases) {
      it(name, async () => {
        // A new store is not left behind; an existing one keeps its bytes.
        const fresh = path.join(dir, `err-${name.replace(/ /g, '-')}.duckdb`);
        expectOneLine(run(args, fresh, env), pattern);
        expect(fs.existsSync(fresh)).toBe(false);
        const { store } = await ingest(`keep-${name.replace(/ /g, '-')}.duckdb`);
        const before = fs.readFileSync(store);
        expectOneLine(run(args, store, env), pattern);
        expect(fs.readFileSync(store).equals(before)).toBe(true);
      });
    }
  });
});
