import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import { ingestStore } from '../../src/ingest/stores/ingest-store.js';
import { openStoreSource, type StoreSourceFlags } from '../../src/ingest/stores/open.js';
import { Store } from '../../src/store/store.js';
import { cli, tmpDir } from '../helpers.js';
import { PG_URL, pgMicros as micros, pgUuid as uuid, skipWithout } from '../servers.js';

/**
 * Marten, Emmett and any table, read from the real PostgreSQL: each layout written from the
 * project's documented schema into a schema of our own, seeded from the trading generator,
 * ingested twice (all, then what was appended), every field compared with a plain-JS reference.
 */
const skip = await skipWithout('postgres', 'stores-postgres-layouts');


interface Layout {
  name: string;
  ddl(schema: string): string;
  flags(schema: string): StoreSourceFlags;
  /** Inserts one event; returns its global position. */
  insert(client: pg.Client, schema: string, e: CanonicalTradingEvent): Promise<string>;
  /** The envelope the store must hold for it (times as evt_iso gives them). */
  expect(e: CanonicalTradingEvent, position: string): Record<string, unknown>;
}

const LAYOUTS: Layout[] = [
  {
    // Marten's mt_events (JasperFx/marten, EventGraph schema objects), string stream identity.
    name: 'marten',
    ddl: (s) => `CREATE SCHEMA ${s};
      CREATE SEQUENCE ${s}.mt_events_sequence;
      CREATE TABLE ${s}.mt_events (
        seq_id bigint NOT NULL DEFAULT nextval('${s}.mt_events_sequence'),
        id uuid NOT NULL,
        stream_id varchar NULL,
        version bigint NOT NULL,
        data jsonb NOT NULL,
        type varchar(500) NOT NULL,
        timestamp timestamp with time zone NOT NULL DEFAULT (now()),
        tenant_id varchar NULL DEFAULT '*DEFAULT*',
        mt_dotnet_type varchar NULL,
        correlation_id varchar NULL,
        causation_id varchar NULL,
        headers jsonb NULL,
        is_archived bool NULL DEFAULT FALSE,
        CONSTRAINT pkey_mt_events_seq_id PRIMARY KEY (seq_id)
      );
      CREATE UNIQUE INDEX ON ${s}.mt_events (stream_id, version);`,
    flags: (s) => ({ preset: 'marten', schema: s, map: {} }),
    async insert(client, s, e) {
      const { rows } = await client.query(
        `INSERT INTO ${s}.mt_events (id, stream_id, version, data, type, timestamp, mt_dotnet_type, correlation_id, causation_id, headers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq_id`,
        [uuid(e.id), e.stream, e.rev, JSON.stringify(e.data), e.type, `${micros(e.ts)}Z`, `Trading.${e.type}, Trading`,
          e.correlation_id, e.causation_id ? uuid(e.causation_id) : null, JSON.stringify({ ...e.meta, schemaVersion: e.schema_version })],
      );
      return String(rows[0].seq_id);
    },
    expect: (e, position) => ({
      id: uuid(e.id), stream: e.stream, rev: String(e.rev), type: e.type, schema_version: e.schema_version, ts: `${micros(e.ts)}000Z`,
      correlation_id: e.correlation_id, causation_id: e.causation_id ? uuid(e.causation_id) : null, source: null,
      data: e.data, meta: { ...e.meta, schemaVersion: e.schema_version }, position,
    }),
  },
  {
    // Emmett's emt_messages (event-driven-io/emmett, packages/emmett-postgresql, messagesTable).
    name: 'emmett',
    ddl: (s) => `CREATE SCHEMA ${s};
      CREATE SEQUENCE ${s}.emt_global_message_position;
      CREATE TABLE ${s}.emt_messages (
        stream_id TEXT NOT NULL,
        stream_position BIGINT NOT NULL,
        partition TEXT NOT NULL DEFAULT 'global',
        message_kind CHAR(1) NOT NULL DEFAULT 'E',
        message_data JSONB NOT NULL,
        message_metadata JSONB NOT NULL,
        message_schema_version TEXT NOT NULL,
        message_type TEXT NOT NULL,
        message_id TEXT NOT NULL,
        is_archived BOOLEAN NOT NULL DEFAULT FALSE,
        global_position BIGINT DEFAULT nextval('${s}.emt_global_message_position'),
        transaction_id XID8 NOT NULL DEFAULT pg_current_xact_id(),
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, stream_position, partition, is_archived)
      ) PARTITION BY LIST (partition);
      CREATE TABLE ${s}.emt_messages_global PARTITION OF ${s}.emt_messages FOR VALUES IN ('global');`,
    flags: (s) => ({ preset: 'emmett', schema: s, map: {} }),
    async insert(client, s, e) {
      const meta = { ...e.meta, messageId: e.id, streamName: e.stream, correlationId: e.correlation_id, ...(e.causation_id ? { causationId: e.causation_id } : {}) };
      const { rows } = await client.query(
        `INSERT INTO ${s}.emt_messages (stream_id, stream_position, message_data, message_metadata, message_schema_version, message_type, message_id, created)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING global_position`,
        [e.stream, e.rev, JSON.stringify(e.data), JSON.stringify(meta), String(e.schema_version), e.type, e.id, `${micros(e.ts)}Z`],
      );
      return String(rows[0].global_position);
    },
    expect: (e, position) => ({
      id: e.id, stream: e.stream, rev: String(e.rev), type: e.type, schema_version: e.schema_version, ts: `${micros(e.ts)}000Z`,
      correlation_id: e.correlation_id, causation_id: e.causation_id, source: null, data: e.data,
      meta: { ...e.meta, messageId: e.id, streamName: e.stream, correlationId: e.correlation_id, ...(e.causation_id ? { causationId: e.causation_id } : {}) },
      position,
    }),
  },
  {
    // Any table: an audit table with its own column names, mapped by hand.
    name: 'table',
    ddl: (s) => `CREATE SCHEMA ${s};
      CREATE TABLE ${s}.audit_events (seq bigserial PRIMARY KEY, event_id text NOT NULL, agg text, kind text NOT NULL,
        at timestamptz NOT NULL, payload jsonb, corr text, cause text, producer text);`,
    flags: (s) => ({
      preset: 'table', table: `${s}.audit_events`,
      map: { id: 'event_id', stream: 'agg', type: 'kind', ts: 'at', data: 'payload', position: 'seq', correlation_id: 'corr', causation_id: 'cause', source: 'producer' },
    }),
    async insert(client, s, e) {
      const { rows } = await client.query(
        `INSERT INTO ${s}.audit_events (event_id, agg, kind, at, payload, corr, cause, producer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
        [e.id, e.stream, e.type, `${micros(e.ts)}Z`, JSON.stringify(e.data), e.correlation_id, e.causation_id, e.source],
      );
      return String(rows[0].seq);
    },
    expect: (e, position) => ({
      id: e.id, stream: e.stream, rev: null, type: e.type, schema_version: 1, ts: `${micros(e.ts)}000Z`,
      correlation_id: e.correlation_id, causation_id: e.causation_id, source: e.source, data: e.data, meta: null, position,
    }),
  },
];

const ENVELOPE = `id, stream, rev, type, schema_version, evt_iso(ts) AS ts, correlation_id, causation_id, source,
  data::VARCHAR AS data, meta::VARCHAR AS meta, position`;

const events: CanonicalTradingEvent[] = [];
for (const e of generateTradingLog({ orders: 40, seed: 5, anomalyRate: 0 })) events.push(e as CanonicalTradingEvent);

describe.skipIf(skip)('PostgreSQL layouts', () => {
  let client: pg.Client;
  let dir: string;
  const schemas: string[] = [];
  beforeAll(async () => {
    dir = tmpDir();
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  afterAll(async () => {
    for (const s of schemas) await client?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await client?.end();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const layout of LAYOUTS) {
    it(`${layout.name}: every field, then only what was appended`, async () => {
      const schema = `evt_${layout.name}_${crypto.randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      await client.query(layout.ddl(schema));
      const want: Record<string, unknown>[] = [];
      const cut = Math.floor(events.length / 2);
      for (const e of events.slice(0, cut)) want.push(layout.expect(e, await layout.insert(client, schema, e)));
      const store = await Store.open(path.join(dir, `${layout.name}.duckdb`), { create: true });
      try {
        const read = async () => ingestStore(store, await openStoreSource(PG_URL, layout.flags(schema)));
        const first = await read();
        expect(first.rejected).toBe(0);
        expect(first.ingested).toBe(cut);
        for (const e of events.slice(cut)) want.push(layout.expect(e, await layout.insert(client, schema, e)));
        const second = await read();
        expect(second.sources[0]!.status).toBe('appended');
        expect(second.ingested).toBe(events.length - cut);
        const rows = (await store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`)).map((r) => ({
          ...r, data: JSON.parse(String(r.data)), meta: r.meta === null ? null : JSON.parse(String(r.meta)),
        }));
        expect(rows).toEqual(want);
        expect((await read()).sources[0]!.status).toBe('unchanged');
      } finally {
        store.close();
      }
    });
  }

  it('emmett: an event behind a transaction still running is not skipped (Emmett\'s transaction_id rule)', async () => {
    const emmett = LAYOUTS.find((l) => l.name === 'emmett')!;
    const schema = `evt_emmett_tx_${crypto.randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await client.query(emmett.ddl(schema));
    const [a, b, c] = events;
    await emmett.insert(client, schema, a!);
    // A writer takes the next global position and has not committed yet …
    const slow = new pg.Client({ connectionString: PG_URL });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const slowPos = await emmett.insert(slow, schema, b!);
      // … while a later position commits.
      const fastPos = await emmett.insert(client, schema, c!);
      expect(BigInt(fastPos)).toBeGreaterThan(BigInt(slowPos));
      const store = await Store.open(path.join(dir, 'emmett-tx.duckdb'), { create: true });
      try {
        const read = async () => ingestStore(store, await openStoreSource(PG_URL, emmett.flags(schema)));
        const first = await read();
        // Only what precedes the running transaction; the checkpoint stays before it.
        expect(first.ingested).toBe(1);
        await slow.query('COMMIT');
        const second = await read();
        expect(second.ingested).toBe(2);
        const ids = (await store.all(`SELECT id FROM events ORDER BY seq`)).map((r) => r.id);
        expect(ids).toEqual([a!.id, b!.id, c!.id]);
      } finally {
        store.close();
      }
    } finally {
      await slow.end();
    }
  });

  it('table: awkward values (separators, quotes, line breaks, NULL and empty, booleans, arrays, NaN) arrive as row_to_json gives them', async () => {
    const schema = `evt_awk_${crypto.randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await client.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.log (seq bigserial PRIMARY KEY, event_id text, kind text, at timestamptz, body jsonb, note text,
        flag boolean, tags text[], score numeric, amount double precision, blob bytea, plain json)`);
    const values = [
      ['e1', 'T', '2025-08-26T09:30:00.123456Z', { s: 'a"b,c\n\u001e\u001f\\' }, 'line 1\nline 2\r\n"quoted", \u001e \u001f', true, ['x', 'y,z'], '12.50', 1.5, Buffer.from([0, 1, 255]), '{"k": [1, 2]}'],
      ['e2', 'T', '2025-08-26T09:30:01Z', null, '', false, [], 'NaN', null, null, null],
      ['e3', 'T', '2025-08-26T09:30:02Z', { n: null }, null, null, null, null, Number.POSITIVE_INFINITY, null, '"just text"'],
    ];
    for (const v of values) {
      await client.query(`INSERT INTO ${schema}.log (event_id, kind, at, body, note, flag, tags, score, amount, blob, plain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [v[0], v[1], v[2], v[3] === null ? null : JSON.stringify(v[3]), ...v.slice(4)]);
    }
    // What the reader gave before it read columns: the row as row_to_json renders it.
    const reference = (await client.query(`SELECT row_to_json(t)::text AS j FROM ${schema}.log t ORDER BY seq`)).rows.map((r) => JSON.parse(r.j));
    expect([reference[1].score, reference[2].amount]).toEqual(['NaN', 'Infinity']);
    const store = await Store.open(path.join(dir, 'awk.duckdb'), { create: true });
    try {
      // meta from the whole row: every column, as the mapping read it.
      const summary = await ingestStore(store, await openStoreSource(PG_URL, {
        preset: 'table', table: `${schema}.log`, map: { id: 'event_id', type: 'kind', ts: 'at', data: 'body', position: 'seq', source: 'note' },
      }));
      expect(summary.rejected).toBe(0);
      const rows = await store.all(`SELECT id, source, evt_iso(ts) AS ts, data::VARCHAR AS data FROM events ORDER BY seq`);
      expect(rows.map((r) => r.source)).toEqual(reference.map((r) => (r.note === '' ? null : r.note)));
      expect(rows.map((r) => (r.data === null ? null : JSON.parse(String(r.data))))).toEqual(reference.map((r) => r.body));
      expect(rows.map((r) => r.ts)).toEqual(['2025-08-26T09:30:00.123456000Z', '2025-08-26T09:30:01.000000000Z', '2025-08-26T09:30:02.000000000Z']);
      // Every other column as the mapping sees it: mapped one by one into data.
      for (const column of ['flag', 'tags', 'score', 'amount', 'blob', 'plain', 'note']) {
        const other = await Store.open(path.join(dir, `awk-${column}.duckdb`), { create: true });
        try {
          await ingestStore(other, await openStoreSource(PG_URL, {
            preset: 'table', table: `${schema}.log`, map: { id: 'event_id', type: 'kind', ts: 'at', data: column, position: 'seq' },
          }));
          const got = (await other.all(`SELECT data::VARCHAR AS data FROM events ORDER BY seq`)).map((r) => (r.data === null ? null : JSON.parse(String(r.data))));
          expect(got, column).toEqual(reference.map((r) => r[column]));
        } finally {
          other.close();
        }
      }
    } finally {
      store.close();
    }
  });

  it('table: --preset table without --table or position is a one-line error', () => {
    const db = path.join(dir, 'none.duckdb');
    const noTable = cli(['ingest', PG_URL, '--preset', 'table', '--db', db, '--quiet']);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toMatch(/^evtrail: --preset table needs --table\nhint: /);
    const noPosition = cli(['ingest', PG_URL, '--preset', 'table', '--table', 'x.y', '--db', db, '--quiet']);
    expect(noPosition.code).toBe(2);
    expect(noPosition.stderr).toMatch(/^evtrail: --preset table needs --map position=<column>\nhint: /);
    expect(fs.existsSync(db)).toBe(false);
  });
});
