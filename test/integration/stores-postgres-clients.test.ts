import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getPostgreSQLEventStore, postgreSQLRawSQLProjection } from '@event-driven-io/emmett-postgresql';
import { projections } from '@event-driven-io/emmett';
import { SQL } from '@event-driven-io/dumbo';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestStore } from '../../src/ingest/stores/ingest-store.js';
import { openStoreSource } from '../../src/ingest/stores/open.js';
import { Store } from '../../src/store/store.js';
import { cli, tmpDir } from '../helpers.js';
import { PG_URL, createTestDatabase, installMessageDb, skipWithout } from '../servers.js';
import { martenDdl } from '../marten.js';

/**
 * Event stores as their own clients write them: Message DB installed by its own scripts and
 * written through write_message with Eventide's metadata; Emmett 0.42 through its event store
 * (getPostgreSQLEventStore().appendToStream, an inline projection); Marten, which has no Node
 * client, with the tables and the append function its DDL generation makes (read from
 * JasperFx/marten at V9.29.0: EventsTable, StreamsTable, the metadata columns, conjoined
 * tenancy, QuickAppendEventFunction, ArchiveStreamFunction, EventGraph.TryCreateTombstoneBatch).
 * Each store lives in a database or schema of its own, dropped after.
 */
const skip = await skipWithout('postgres', 'stores-postgres-clients');

const ENVELOPE = `id, stream, rev, type, schema_version, correlation_id, causation_id, data::VARCHAR AS data, meta::VARCHAR AS meta, position`;

// Each test installs or writes a store and runs the CLI a few times: minutes on a loaded machine.
describe.skipIf(skip)('event stores written by their own clients', { timeout: 300_000 }, () => {
  let dir: string;
  const drops: (() => Promise<void>)[] = [];
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(async () => {
    for (const drop of drops) await drop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Message DB (its install scripts, write_message, Eventide metadata): string schemaVersion kept, a cause outside the store kept as a reference', async () => {
    const db = await createTestDatabase('mdb');
    drops.push(db.drop);
    installMessageDb(db.name);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const written: { id: string; stream: string; position: number; gp: string }[] = [];
    try {
      // write_message calls Message DB's other functions unqualified: its role's search_path.
      await client.query('SET search_path TO message_store, public');
      const write = async (stream: string, type: string, data: object, metadata: object) => {
        const id = crypto.randomUUID();
        const position = Number((await client.query<{ p: string }>(
          `SELECT message_store.write_message($1, $2, $3, $4, $5) AS p`, [id, stream, type, JSON.stringify(data), JSON.stringify(metadata)],
        )).rows[0]!.p);
        const gp = (await client.query<{ gp: string }>(`SELECT global_position::text AS gp FROM message_store.messages WHERE id = $1`, [id])).rows[0]!.gp;
        written.push({ id, stream, position, gp });
        return written.at(-1)!;
      };
      // Eventide's metadata: the cause by stream, position and global position; versions as strings.
      const opened = await write('account-1', 'Opened', { accountId: '1' }, { correlationStreamName: 'accountCommand-1', schemaVersion: '1' });
      const withdrawn = await write('accountTransaction-7', 'Withdrawn', { amount: 10 }, {
        correlationStreamName: 'accountCommand-1', causationMessageStreamName: opened.stream, causationMessagePosition: opened.position,
        causationMessageGlobalPosition: Number(opened.gp), schemaVersion: '2',
      });
      // By stream and position only, and a version that is no whole number.
      await write('account-1', 'Withdrawn', { amount: 10 }, {
        correlationStreamName: 'accountCommand-1', causationMessageStreamName: withdrawn.stream, causationMessagePosition: withdrawn.position, schemaVersion: '1.1',
      });
      // Caused by a message of another store: not here.
      await write('account-1', 'Deposited', { amount: 5 }, {
        correlationStreamName: 'accountCommand-2', causationMessageStreamName: 'otherService:command-9', causationMessagePosition: 3,
        causationMessageGlobalPosition: 4242, schemaVersion: '1',
      });
    } finally {
      await client.end();
    }
    const file = path.join(dir, 'mdb.duckdb');
    const store = await Store.open(file, { create: true });
    try {
      const summary = await ingestStore(store, await openStoreSource(db.url, { preset: 'messagedb', map: {} }));
      expect([summary.ingested, summary.rejected]).toEqual([4, 0]);
      const rows = await store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`);
      expect(rows.map((r) => [r.id, r.stream, r.rev, r.position])).toEqual(written.map((w) => [w.id, w.stream, String(w.position), w.gp]));
      expect(rows.map((r) => r.schema_version)).toEqual([1, 2, 1, 1]);
      expect(JSON.parse(String(rows[2]!.meta)).schemaVersion).toBe('1.1');
      expect(rows.map((r) => r.causation_id)).toEqual([null, written[0]!.id, written[1]!.id, 'messagedb:otherService:command-9/3']);
    } finally {
      store.close();
    }
    // The orphan rule names the reference; trace of the effect shows its cause missing.
    const audit = cli(['audit', '--db', file, '--json']);
    expect(audit.stderr).toBe('');
    expect(audit.stdout).toContain('messagedb:otherService:command-9/3');
    expect(JSON.stringify(JSON.parse(audit.stdout))).toMatch(/causation-orphan/);
    const trace = cli(['trace', written[3]!.id, '--db', file, '--json']);
    expect(trace.code, trace.stderr).toBe(0);
    expect(JSON.parse(trace.stdout).anomalies).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'orphan-causation', causationId: 'messagedb:otherService:command-9/3' }),
    ]));
    const verify = cli(['verify', '--db', file, '--json']);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('Emmett 0.42 (appendToStream, an inline projection): message_kind kept, rows held back by an open transaction said in text and --json', async () => {
    const db = await createTestDatabase('emt');
    drops.push(db.drop);
    const setup = new pg.Client({ connectionString: db.url });
    await setup.connect();
    await setup.query(`CREATE TABLE account_summary (stream text PRIMARY KEY, n int NOT NULL)`);
    await setup.end();
    // A projection that runs in the append's transaction (inline); for 'Slow' it waits for
    // `release`, holding that transaction open.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => { entered = resolve; });
    const summaryProjection = postgreSQLRawSQLProjection<{ type: string; data: Record<string, unknown>; metadata?: Record<string, unknown> }>({
      name: 'account_summary',
      canHandle: ['Opened', 'Deposited', 'Slow'],
      evolve: async (event) => {
        if (event.type === 'Slow') {
          entered();
          await gate;
        }
        const stream = String((event.metadata as { streamName?: string } | undefined)?.streamName);
        return SQL`INSERT INTO account_summary (stream, n) VALUES (${stream}, 1) ON CONFLICT (stream) DO UPDATE SET n = account_summary.n + 1`;
      },
    });
    const eventStore = getPostgreSQLEventStore(db.url, { projections: projections.inline([summaryProjection]) });
    drops.unshift(() => eventStore.close());
    await eventStore.appendToStream('account-1', [
      { type: 'Opened', data: { accountId: '1' } },
      { type: 'Deposited', data: { amount: 5 }, metadata: { correlationId: 'c-1' } },
    ]);
    // A command kept with the events (message_kind C).
    await eventStore.appendToStream('account-1', [{ type: 'CloseAccount', data: { accountId: '1' }, kind: 'Command' } as never]);
    const file = path.join(dir, 'emt.duckdb');
    const read = async () => {
      const store = await Store.open(file, { create: true });
      try {
        return await ingestStore(store, await openStoreSource(db.url, { preset: 'emmett', map: {} }));
      } finally {
        store.close();
      }
    };
    // Another test's transaction on the server may hold rows back a moment: read until all 3 came.
    let got = 0;
    for (let i = 0; i < 50 && got < 3; i++) {
      got += (await read()).ingested;
      if (got < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(got).toBe(3);
    const store = await Store.open(file);
    try {
      const rows = await store.all(`SELECT ${ENVELOPE} FROM events ORDER BY seq`);
      expect(rows.map((r) => [r.stream, r.type, JSON.parse(String(r.meta)).emmett.message_kind])).toEqual([
        ['account-1', 'Opened', 'E'], ['account-1', 'Deposited', 'E'], ['account-1', 'CloseAccount', 'C'],
      ]);
      expect(JSON.parse(String(rows[1]!.meta))).toMatchObject({ correlationId: 'c-1', emmett: { partition: 'emt:default', is_archived: false } });
      expect(rows[1]!.correlation_id).toBe('c-1');
    } finally {
      store.close();
    }
    // A slow append holds its transaction open; a later one commits: Emmett's rule holds it back.
    const slow = eventStore.appendToStream('account-2', [{ type: 'Slow', data: {} }]);
    await inside;
    await eventStore.appendToStream('account-3', [{ type: 'Opened', data: { accountId: '3' } }]);
    try {
      const json = cli(['ingest', db.url, '--preset', 'emmett', '--db', file, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const summary = JSON.parse(json.stdout);
      expect(summary.sources[0].held).toBeGreaterThanOrEqual(1);
      expect(summary.ingested).toBe(0);
      const text = cli(['ingest', db.url, '--preset', 'emmett', '--db', file]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout + text.stderr).toMatch(/\d+ row\(s\) held back: written by transactions not older than the oldest one still running/);
    } finally {
      release();
      await slow;
    }
    // Once the slow append committed, both come.
    let after = 0;
    for (let i = 0; i < 50 && after < 2; i++) {
      after += (await read()).ingested;
      if (after < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toBe(2);
    const check = new pg.Client({ connectionString: db.url });
    await check.connect();
    try {
      // The inline projection ran in the appends' transactions.
      expect((await check.query(`SELECT stream, n FROM account_summary ORDER BY stream`)).rows).toEqual([
        { stream: 'account-1', n: 2 }, { stream: 'account-2', n: 1 }, { stream: 'account-3', n: 1 },
      ]);
    } finally {
      await check.end();
    }
  });

  describe('Marten (the DDL of Marten 9.29.0, conjoined tenancy, string stream identity, every metadata column)', () => {
    let client: pg.Client;
    let schema: string;
    beforeAll(async () => {
      client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      schema = `evt_marten_${crypto.randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      await client.query(martenDdl(schema));
    }, 120_000);
    const schemas: string[] = [];
    afterAll(async () => {
      for (const s of schemas) await client?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
      await client?.end();
    });

    /** Appends as Marten's quick append does: mt_quick_append_events(stream, type, tenant, ids, types, .NET types, bodies, bdatas, causation, correlation, headers, user names). */
    const append = async (tenant: string, stream: string, events: { type: string; data: object; bdata?: Buffer; headers?: object }[]) => {
      const { rows } = await client.query<{ r: string[] }>(
        `SELECT ${schema}.mt_quick_append_events($1, 'Account', $2, $3::uuid[], $4::varchar[], $5::varchar[], $6::jsonb[], $7::bytea[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])::text[] AS r`,
        [stream, tenant, events.map(() => crypto.randomUUID()), events.map((e) => e.type), events.map((e) => `Bank.${e.type}, Bank`),
          events.map((e) => JSON.stringify(e.bdata ? {} : e.data)), events.map((e) => e.bdata ?? null),
          events.map(() => null), events.map(() => `corr-${tenant}-${stream}`), events.map((e) => (e.headers ? JSON.stringify(e.headers) : null)), events.map(() => 'alice')],
      );
      return rows[0]!.r.slice(1); // the stream's version first, then each event's seq_id
    };

    it('the same stream in two tenants is two streams; tombstones skipped and counted; archived kept and shown; a bdata body rejected with its reason', async () => {
      await append('tenant-a', 'acct-1', [{ type: 'opened', data: { owner: 'a' } }, { type: 'deposited', data: { amount: 5 } }]);
      await append('tenant-b', 'acct-1', [{ type: 'opened', data: { owner: 'b' } }]);
      await append('*DEFAULT*', 'acct-9', [{ type: 'opened', data: { owner: 'c' } }]);
      // A failed append took two sequence numbers: Marten writes a tombstone for each
      // (EventGraph.TryCreateTombstoneBatch: stream mt_tombstone, version = seq_id).
      const failed = (await client.query<{ s: string }>(`SELECT nextval('${schema}.mt_events_sequence')::text AS s FROM generate_series(1, 2)`)).rows.map((r) => r.s);
      await client.query(`INSERT INTO ${schema}.mt_streams (id, tenant_id, version, is_archived) VALUES ('mt_tombstone', 'tenant-a', 0, false) ON CONFLICT (tenant_id, id) DO NOTHING`);
      for (const seq of failed) {
        await client.query(`INSERT INTO ${schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
          VALUES ($1, $2, 'mt_tombstone', $1, '{}', 'tombstone', 'tenant-a', now(), 'JasperFx.Events.Tombstone, JasperFx.Events', FALSE)`, [seq, crypto.randomUUID()]);
      }
      await append('tenant-b', 'acct-1', [{ type: 'deposited', data: { amount: 7 }, headers: { source: 'teller' } }]);
      // A binary body (MemoryPack): data holds Marten's {} placeholder.
      await append('tenant-a', 'acct-2', [{ type: 'opened', data: {}, bdata: Buffer.from([0x92, 0xa1, 0x61, 0x05]) }]);
      await client.query(`SELECT ${schema}.mt_archive_stream('acct-9', '*DEFAULT*')`);

      const file = path.join(dir, 'marten.duckdb');
      const store = await Store.open(file, { create: true });
      try {
        const summary = await ingestStore(store, await openStoreSource(PG_URL, { preset: 'marten', schema, map: {} }));
        const s = summary.sources[0]!;
        expect([s.ingested, s.rejected, s.conflicts]).toEqual([5, 1, 0]);
        expect(s.skipped).toEqual({ count: 2, what: expect.stringMatching(/tombstone/) });
        expect(s.archived).toBe(1);
        // The tombstones hold their positions: no gap.
        expect(s.gaps).toMatchObject({ count: 0 });
        const rows = await store.all(`SELECT ${ENVELOPE}, dup_kind FROM events ORDER BY seq`);
        expect(rows.map((r) => [r.stream, r.rev, r.type, JSON.parse(String(r.data))])).toEqual([
          ['tenant-a/acct-1', '1', 'opened', { owner: 'a' }],
          ['tenant-a/acct-1', '2', 'deposited', { amount: 5 }],
          ['tenant-b/acct-1', '1', 'opened', { owner: 'b' }],
          ['acct-9', '1', 'opened', { owner: 'c' }],
          ['tenant-b/acct-1', '2', 'deposited', { amount: 7 }],
        ]);
        expect(rows.every((r) => r.dup_kind === null)).toBe(true);
        expect(rows.map((r) => JSON.parse(String(r.meta)).marten)).toEqual([
          { tenant_id: 'tenant-a', dotnet_type: 'Bank.opened, Bank', is_archived: false, user_name: 'alice' },
          { tenant_id: 'tenant-a', dotnet_type: 'Bank.deposited, Bank', is_archived: false, user_name: 'alice' },
          { tenant_id: 'tenant-b', dotnet_type: 'Bank.opened, Bank', is_archived: false, user_name: 'alice' },
          { tenant_id: '*DEFAULT*', dotnet_type: 'Bank.opened, Bank', is_archived: true, user_name: 'alice' },
          { tenant_id: 'tenant-b', dotnet_type: 'Bank.deposited, Bank', is_archived: false, user_name: 'alice' },
        ]);
        expect(JSON.parse(String(rows[4]!.meta)).source).toBe('teller');
        expect(rows.map((r) => r.correlation_id)).toEqual(['corr-tenant-a-acct-1', 'corr-tenant-a-acct-1', 'corr-tenant-b-acct-1', 'corr-*DEFAULT*-acct-9', 'corr-tenant-b-acct-1']);
        const rejects = await store.all(`SELECT reason, raw FROM rejects`);
        expect(rejects).toHaveLength(1);
        expect(rejects[0]!.reason).toMatch(/^the body is binary \(Marten bdata, 4 bytes/);
        expect(JSON.parse(String(rejects[0]!.raw)).bdata).toBe('\\x92a16105');
      } finally {
        store.close();
      }
      // Per tenant: the streams projection of one tenant's stream is its own state.
      const replay = cli(['replay', '--db', file, '--projection', 'streams', '--json']);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toContain('tenant-a/acct-1');
      expect(replay.stdout).toContain('tenant-b/acct-1');
      // A tenant's stream traced alone: its two events, not the other tenant's.
      const trace = cli(['trace', 'tenant-a/acct-1', '--db', file, '--json']);
      expect(trace.code, trace.stderr).toBe(0);
      expect(JSON.parse(trace.stdout).nodes.map((n: { stream: string }) => n.stream)).toEqual(['tenant-a/acct-1', 'tenant-a/acct-1']);
      const verify = cli(['verify', '--db', file, '--json']);
      expect(verify.code, verify.stderr).toBe(0);
      // Text: skipped and archived said (a store of its own: the same read again).
      const text = cli(['ingest', PG_URL, '--preset', 'marten', '--schema', schema, '--db', path.join(dir, 'marten-text.duckdb')]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout + text.stderr).toMatch(/2 row\(s\) skipped: Marten tombstone\(s\): placeholders of failed appends, not events/);
      expect(text.stdout + text.stderr).toMatch(/1 event\(s\) of archived streams \(kept; meta\.marten\.is_archived\)/);
    });

    it('UseTenantPartitionedEvents (seq_id numbered per tenant) is refused on the parent with the partitions to read; a partition reads', async () => {
      const part = `evt_martenp_${crypto.randomBytes(4).toString('hex')}`;
      schemas.push(part);
      // EventsTable with UseTenantPartitionedEvents: PRIMARY KEY (seq_id, tenant_id), PARTITION BY LIST (tenant_id),
      // one partition and one mt_events_sequence_<suffix> per tenant (PerTenantEventSequences).
      await client.query(`CREATE SCHEMA ${part};
        CREATE TABLE ${part}.mt_events (seq_id bigint NOT NULL, id uuid NOT NULL, stream_id varchar NULL, version bigint NOT NULL,
          data jsonb NOT NULL, bdata bytea NULL, type varchar(500) NOT NULL, timestamp timestamp with time zone NOT NULL DEFAULT (now()),
          tenant_id varchar NOT NULL DEFAULT '*DEFAULT*', mt_dotnet_type varchar NULL, is_skipped bool NULL DEFAULT FALSE, is_archived bool NULL DEFAULT FALSE,
          CONSTRAINT pkey_mt_events_seq_id_tenant_id PRIMARY KEY (seq_id, tenant_id)) PARTITION BY LIST (tenant_id);
        CREATE TABLE ${part}."mt_events_t1" PARTITION OF ${part}.mt_events FOR VALUES IN ('t1');
        CREATE TABLE ${part}."mt_events_t2" PARTITION OF ${part}.mt_events FOR VALUES IN ('t2');
        INSERT INTO ${part}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id) VALUES
          (1, gen_random_uuid(), 's', 1, '{}', 'opened', 't1'), (1, gen_random_uuid(), 's', 1, '{}', 'opened', 't2'),
          (2, gen_random_uuid(), 's', 2, '{}', 'closed', 't2');`);
      const db = path.join(dir, 'marten-part.duckdb');
      const refused = cli(['ingest', PG_URL, '--preset', 'marten', '--schema', part, '--db', db]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`^evtrail: PostgreSQL at .*: ${part}\\.mt_events is partitioned by tenant_id \\(Marten's UseTenantPartitionedEvents\\).*\nhint: ingest each tenant's partition on its own: --table ${part}\\.<partition> \\(here: mt_events_t1, mt_events_t2\\)`));
      for (const t of ['t1', 't2']) {
        const ok = cli(['ingest', PG_URL, '--preset', 'marten', '--table', `${part}.mt_events_${t}`, '--db', db, '--json']);
        expect(ok.code, ok.stderr).toBe(0);
      }
      const store = await Store.open(db);
      try {
        expect((await store.all(`SELECT stream, rev, type, meta::VARCHAR AS meta FROM events ORDER BY seq`)).map((r) => [r.stream, r.rev, r.type, JSON.parse(String(r.meta))])).toEqual([
          ['t1/s', '1', 'opened', { marten: { tenant_id: 't1', is_skipped: false, is_archived: false } }],
          ['t2/s', '1', 'opened', { marten: { tenant_id: 't2', is_skipped: false, is_archived: false } }],
          ['t2/s', '2', 'closed', { marten: { tenant_id: 't2', is_skipped: false, is_archived: false } }],
        ]);
      } finally {
        store.close();
      }
    });
  });
});
