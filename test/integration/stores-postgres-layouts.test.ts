import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTradingLog, type CanonicalTradingEvent } from '../../src/fixtures/trading-generator.js';
import type { IngestSummary } from '../../src/ingest/ingest.js';
import { ingestStore } from '../../src/ingest/stores/ingest-store.js';
import { openStoreSource, type StoreSourceFlags } from '../../src/ingest/stores/open.js';
import { storeInfo } from '../../src/info/info.js';
import { Store } from '../../src/store/store.js';
import { cli, tmpDir } from '../helpers.js';
import { PG_URL, messageDbDdl, pgMicros as micros, pgUuid as uuid, skipWithout } from '../servers.js';

/**
 * Marten, Emmett and any table, read from the real PostgreSQL: each layout written from the
 * project's documented schema into a schema of our own, seeded from the trading generator,
 * ingested twice (all, then what was appended), every field compared with a plain-JS reference.
 * Also Message DB read while writers commit late. Emmett's rule defers rows while an older
 * transaction runs anywhere on the server (other test files write too), so its reads are
 * repeated until the rows expected have come (readUntil).
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
      data: e.data, position,
      // The columns the envelope has no place for, under meta.marten (the preset's doc).
      meta: { ...e.meta, schemaVersion: e.schema_version, marten: { tenant_id: '*DEFAULT*', dotnet_type: `Trading.${e.type}, Trading`, is_archived: false } },
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
      meta: {
        ...e.meta, messageId: e.id, streamName: e.stream, correlationId: e.correlation_id, ...(e.causation_id ? { causationId: e.causation_id } : {}),
        emmett: { message_kind: 'E', partition: 'global', is_archived: false, transaction_id: expect.stringMatching(/^\d+$/) },
      },
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

/** Reads until `want` events have come (at most `tries` reads, 100 ms apart): Emmett's rule may defer some (see above). */
async function readUntil(read: () => Promise<IngestSummary>, want: number, tries = 50): Promise<{ ingested: number; rejected: number; statuses: string[] }> {
  const out = { ingested: 0, rejected: 0, statuses: [] as string[] };
  for (let i = 0; i < tries; i++) {
    const r = await read();
    out.ingested += r.ingested;
    out.rejected += r.rejected;
    out.statuses.push(r.sources[0]!.status);
    if (out.ingested >= want) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return out;
}

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
        // Only Emmett's reads may be repeated: the other layouts read everything at once.
        const tries = layout.name === 'emmett' ? 50 : 1;
        const first = await readUntil(read, cut, tries);
        expect(first.rejected).toBe(0);
        expect(first.ingested).toBe(cut);
        for (const e of events.slice(cut)) want.push(layout.expect(e, await layout.insert(client, schema, e)));
        const second = await readUntil(read, events.length - cut, tries);
        expect(second.statuses).toContain('appended');
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
        // Only what precedes the running transaction (a, unless another test's older
        // transaction defers it too); the checkpoint stays before b.
        expect(first.ingested).toBeLessThanOrEqual(1);
        await slow.query('COMMIT');
        const second = await readUntil(read, 3 - first.ingested);
        expect(second.ingested).toBe(3 - first.ingested);
        const ids = (await store.all(`SELECT id FROM events ORDER BY seq`)).map((r) => r.id);
        expect(ids).toEqual([a!.id, b!.id, c!.id]);
      } finally {
        store.close();
      }
    } finally {
      await slow.end();
    }
  });

  it('table: a json column with a key twice is a reject (jsonb keeps one of them: its row is fine)', async () => {
    const schema = `evt_dup15_${crypto.randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await client.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.log (seq bigserial PRIMARY KEY, event_id text, kind text, at timestamptz, body json, extra jsonb);
      INSERT INTO ${schema}.log (event_id, kind, at, body, extra) VALUES
        ('j1', 'T', '2025-08-26T09:30:00Z', '{"a":1,"a":2}', '{"b":1,"b":2}'),
        ('j2', 'T', '2025-08-26T09:30:01Z', '{"x":{"k":1},"y":[{"k":1},{"k":2}]}', NULL),
        ('j3', 'T', '2025-08-26T09:30:02Z', '{"x":[{"k":1,"k":2}]}', NULL),
        ('j4', 'T', '2025-08-26T09:30:03Z', NULL, '{"b":1,"b":2}')`);
    const store = await Store.open(path.join(dir, 'dup15.duckdb'), { create: true });
    try {
      const summary = await ingestStore(store, await openStoreSource(PG_URL, {
        preset: 'table', table: `${schema}.log`, map: { id: 'event_id', type: 'kind', ts: 'at', data: 'body', position: 'seq' },
      }));
      expect([summary.ingested, summary.rejected]).toEqual([2, 2]);
      expect((await store.all(`SELECT id FROM events ORDER BY seq`)).map((r) => r.id)).toEqual(['j2', 'j4']);
      expect((await store.all(`SELECT source_pos::INT AS p, reason FROM rejects ORDER BY source_pos`)).map((r) => [r.p, r.reason])).toEqual([
        [1, 'column body: key "a" occurs more than once (JSON readers disagree on which value counts)'],
        [3, 'column body: key "k" occurs more than once (JSON readers disagree on which value counts)'],
      ]);
    } finally {
      store.close();
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
      // A row that cannot be an event (no type) is a reject that keeps the row as row_to_json gives it.
      await client.query(`INSERT INTO ${schema}.log (event_id, kind, at, body, note, flag) VALUES ('e4', NULL, '2025-08-26T09:30:03Z', '{"q": "\\"x\\""}', 'n\u001e', true)`);
      const bad = (await client.query(`SELECT row_to_json(t)::text AS j FROM ${schema}.log t WHERE event_id = 'e4'`)).rows[0].j;
      const again = await ingestStore(store, await openStoreSource(PG_URL, {
        preset: 'table', table: `${schema}.log`, map: { id: 'event_id', type: 'kind', ts: 'at', data: 'body', position: 'seq', source: 'note' },
      }));
      expect([again.ingested, again.rejected]).toEqual([0, 1]);
      const rejects = await store.all(`SELECT source_pos, raw, reason FROM rejects`);
      expect(rejects.map((r) => ({ ...r, raw: JSON.parse(String(r.raw)) }))).toEqual([{ source_pos: '4', raw: JSON.parse(bad), reason: 'missing type' }]);
    } finally {
      store.close();
    }
  });

  // Here, not in stores-postgres.test.ts: it holds transactions open, and Emmett's rule (above)
  // defers rows while any older transaction runs on the server, so it must not run beside them.
  it('a message committed after a later one was read is read by the next ingest, not lost; a rolled-back gap closes', async () => {
    const lateSchema = `evt_mdb_late_${crypto.randomBytes(4).toString('hex')}`;
    await client.query(messageDbDdl(lateSchema));
    const insert = async (c: pg.Client, stream: string) => (await c.query<{ global_position: string }>(
      `INSERT INTO ${lateSchema}.messages (position, stream_name, type, data, id) VALUES (0, $1, 'T', '{}', gen_random_uuid()) RETURNING global_position`, [stream],
    )).rows[0]!.global_position;
    const slow = new pg.Client({ connectionString: PG_URL });
    const doomed = new pg.Client({ connectionString: PG_URL });
    await slow.connect();
    await doomed.connect();
    const store = await Store.open(path.join(dir, 'late.duckdb'), { create: true });
    try {
      const read = async () => (await ingestStore(store, await openStoreSource(PG_URL, { preset: 'messagedb', schema: lateSchema, map: {} }))).sources[0]!;
      const a = await insert(client, 'a-1');
      // Two writers take the next positions and have not committed; a later position commits.
      await slow.query('BEGIN');
      const b = await insert(slow, 'b-1');
      await doomed.query('BEGIN');
      const d = await insert(doomed, 'd-1');
      const c = await insert(client, 'c-1');
      expect(BigInt(c)).toBeGreaterThan(BigInt(d));
      const first = await read();
      expect(first.ingested).toBe(2);
      expect(first.checkpoint).toBe(c);
      expect(BigInt(d)).toBe(BigInt(b) + 1n);
      expect(first.gaps).toMatchObject({ count: 1, missing: 2, first: b, open: 1, filled: 0 });
      expect((await store.all(`SELECT lo, hi FROM source_gaps ORDER BY lo`)).map((r) => [r.lo, r.hi])).toEqual([[b, d]]);
      expect((await storeInfo(store)).sources[0]).toMatchObject({ checkpoint: c, openGaps: 1 });
      // b commits, d is rolled back: the next read finds b below its checkpoint.
      await slow.query('COMMIT');
      await doomed.query('ROLLBACK');
      const second = await read();
      expect(second.status).toBe('appended');
      expect(second.ingested).toBe(1);
      expect(second.gaps).toMatchObject({ count: 0, filled: 1 });
      // What is left of the gap is d's position, until the read knows d's transaction is over.
      if (second.gaps!.open) expect((await store.all(`SELECT lo, hi FROM source_gaps`)).map((r) => [r.lo, r.hi])).toEqual([[d, d]]);
      const rows = await store.all(`SELECT seq, stream, position FROM events ORDER BY seq`);
      expect(rows.map((r) => [r.stream, r.position])).toEqual([['a-1', a], ['c-1', c], ['b-1', b]]);
      // d's gap closes once no transaction that was running at that read still runs (other
      // tests' transactions on the same server may delay it a little).
      let open = Number(second.gaps!.open);
      for (let i = 0; i < 50 && open > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const again = await read();
        expect(again.ingested).toBe(0);
        open = Number(again.gaps!.open);
      }
      expect(open).toBe(0);
      expect(await store.all(`SELECT * FROM source_gaps`)).toEqual([]);
      // A later message is read as usual, and the store verifies.
      const e = await insert(client, 'e-1');
      const third = await read();
      expect(third.ingested).toBe(1);
      expect(third.checkpoint).toBe(e);
    } finally {
      store.close();
      await slow.end();
      await doomed.end();
      await client.query(`DROP SCHEMA IF EXISTS ${lateSchema} CASCADE`).catch(() => undefined);
    }
    const verify = cli(['verify', '--db', path.join(dir, 'late.duckdb'), '--json']);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('table: --preset table without --table or position, or with a position that is no integer, is a one-line error', async () => {
    const db = path.join(dir, 'none.duckdb');
    const schema = `evt_badpos_${crypto.randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (k text, id text, type text, ts text);
      INSERT INTO ${schema}.t VALUES ('9', 'a', 'T', '2025-08-26T09:30:00Z'), ('10', 'b', 'T', '2025-08-26T09:30:01Z')`);
    const textPosition = cli(['ingest', PG_URL, '--preset', 'table', '--table', `${schema}.t`, '--map', 'position=k', '--db', db, '--quiet']);
    expect(textPosition.code).toBe(2);
    expect(textPosition.stderr).toMatch(new RegExp(`^evtrail: PostgreSQL at .*: ${schema}\\.t\\.k is text, not an integer: it cannot order the reads\nhint: .*--map position=`));
    const noTable = cli(['ingest', PG_URL, '--preset', 'table', '--db', db, '--quiet']);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toMatch(/^evtrail: --preset table needs --table\nhint: /);
    const noPosition = cli(['ingest', PG_URL, '--preset', 'table', '--table', 'x.y', '--db', db, '--quiet']);
    expect(noPosition.code).toBe(2);
    expect(noPosition.stderr).toMatch(/^evtrail: --preset table needs --map position=<column>\nhint: /);
    expect(fs.existsSync(db)).toBe(false);
  });
});
