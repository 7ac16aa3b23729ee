/**
 * The store's schema, as an ordered list of migrations. A store records the number of the last
 * migration applied (evtrail_meta.schema_version); opening a store applies the missing ones in
 * one transaction, so a store written by an older evtrail opens in a newer one. Never edit a
 * migration that has shipped: add a new one.
 */
import type { Store } from './store.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** A step SQL alone cannot do, run after sql in the same transaction (from: the store's version before). */
  run?: (store: Store, from: number) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'envelope, sources, ingests, rejects',
    sql: `
      CREATE TABLE evtrail_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

      -- One row per ingested source. uri identifies it across runs: an absolute path,
      -- 'stdin:<sha256>' for standard input, a store URL.
      CREATE TABLE sources (
        source_id INTEGER PRIMARY KEY,
        uri VARCHAR NOT NULL UNIQUE,
        kind VARCHAR NOT NULL,            -- file | stdin | postgres | nats
        format VARCHAR NOT NULL,          -- ndjson | json | csv | parquet | ...
        preset VARCHAR NOT NULL,
        mapping JSON,                     -- the field mapping in force (preset + --map)
        bytes BIGINT NOT NULL DEFAULT 0,  -- bytes of the source consumed so far
        sha256 VARCHAR,                   -- SHA-256 of those bytes: a changed prefix is refused
        units BIGINT NOT NULL DEFAULT 0,  -- lines / rows / elements consumed so far
        header VARCHAR,                   -- CSV header line, so an appended part can be read alone
        events BIGINT NOT NULL DEFAULT 0,
        rejects BIGINT NOT NULL DEFAULT 0,
        checkpoint VARCHAR,               -- event stores: last position read
        first_ingested_at TIMESTAMP NOT NULL,
        last_ingested_at TIMESTAMP NOT NULL
      );

      -- One row per run that added something to a source.
      CREATE TABLE ingests (
        ingest_id INTEGER NOT NULL,
        source_id INTEGER NOT NULL,
        started_at TIMESTAMP NOT NULL,
        evtrail_version VARCHAR NOT NULL,
        bytes_from BIGINT, bytes_to BIGINT,
        first_seq BIGINT, last_seq BIGINT,
        events BIGINT NOT NULL, rejects BIGINT NOT NULL,
        redelivered BIGINT NOT NULL, conflicts BIGINT NOT NULL
      );

      -- The canonical envelope (DESIGN §2). seq is the replay order.
      CREATE TABLE events (
        seq BIGINT NOT NULL,
        id VARCHAR NOT NULL,
        stream VARCHAR,
        rev BIGINT,
        type VARCHAR NOT NULL,
        schema_version INTEGER NOT NULL,
        ts TIMESTAMP_NS,                  -- NULL only when the source has no time (optional in CloudEvents)
        recorded_ts TIMESTAMP_NS,
        correlation_id VARCHAR,
        causation_id VARCHAR,
        source VARCHAR,
        data JSON,
        meta JSON,
        source_id INTEGER NOT NULL,       -- provenance: which source ...
        source_pos BIGINT NOT NULL,       -- ... and the line / row / element in it (1-based)
        position BIGINT,                  -- the source's own position (global position, stream sequence)
        content_hash VARCHAR,             -- md5 of the content, for ids seen more than once: same hash = redelivery
        dup_of BIGINT,                    -- seq of the first event with this id, for later occurrences
        dup_kind VARCHAR                  -- 'redelivery' | 'conflict' | NULL
      );

      -- The dead-letter table: what could not be parsed or mapped, with why.
      CREATE TABLE rejects (
        source_id INTEGER NOT NULL,
        source_pos BIGINT NOT NULL,
        raw VARCHAR,
        reason VARCHAR NOT NULL,
        ingest_id INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'replay snapshots',
    sql: `
      -- A projection's state as of a seq (evtrail snapshot). code_hash is the SHA-256 of the
      -- projection's code (a built-in's SQL, a module's file): another hash is a stale snapshot.
      CREATE TABLE snapshots (
        snapshot_id INTEGER PRIMARY KEY,
        projection VARCHAR NOT NULL,
        code_hash VARCHAR NOT NULL,
        seq BIGINT NOT NULL,              -- the state of the events with seq <= this
        events BIGINT NOT NULL,           -- events with seq <= seq when it was made (a changed prefix is stale)
        max_ts TIMESTAMP_NS,              -- their latest time: usable for a time cut T >= max_ts ...
        untimed BIGINT NOT NULL,          -- ... when none of them lacks a time
        entities BIGINT NOT NULL,
        created_at TIMESTAMP NOT NULL
      );
      -- One row per entity (key NULL for a projection without keys).
      CREATE TABLE snapshot_rows (
        snapshot_id INTEGER NOT NULL,
        key VARCHAR,
        state JSON
      );
    `,
  },
  {
    version: 3,
    description: 'integrity: event hashes and the hash chain',
    // The canonical form, the block size and the link are those of src/integrity (canonical.ts,
    // chain.ts), written out here because a migration never changes; the integrity tests check
    // that a store migrated from v2 verifies.
    sql: `
      -- SHA-256 (lowercase hex) of each event's canonical form, computed at ingest.
      CREATE TABLE event_hashes (seq BIGINT NOT NULL, hash VARCHAR NOT NULL);
      -- The chain: blocks of 65536 seqs (block k = seq k*65536+1 .. (k+1)*65536), for the whole
      -- store (source_id 0) and for each source's events (source_id n).
      CREATE TABLE chain_blocks (
        source_id INTEGER NOT NULL,
        block BIGINT NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        events BIGINT NOT NULL,
        digest VARCHAR NOT NULL,          -- sha256 of the block's event hashes in seq order
        link VARCHAR NOT NULL             -- sha256(previous link || digest || ':' block ':' first ':' last ':' events)
      );
      INSERT INTO evtrail_meta VALUES ('chain_block_size', '65536'), ('chain_canonical', 'evtrail-event/1');

      CREATE TEMP TABLE evt_migrate_hashes AS
        SELECT seq, source_id, sha256(concat(coalesce(strlen(id)::VARCHAR, '-'), ',', coalesce(strlen(type)::VARCHAR, '-'), ',', coalesce(strlen(stream)::VARCHAR, '-'), ',', coalesce(strlen(rev::VARCHAR)::VARCHAR, '-'), ',', coalesce(strlen(schema_version::VARCHAR)::VARCHAR, '-'), ',', coalesce(strlen(epoch_ns(ts)::VARCHAR)::VARCHAR, '-'), ',', coalesce(strlen(epoch_ns(recorded_ts)::VARCHAR)::VARCHAR, '-'), ',', coalesce(strlen(correlation_id)::VARCHAR, '-'), ',', coalesce(strlen(causation_id)::VARCHAR, '-'), ',', coalesce(strlen(source)::VARCHAR, '-'), ',', coalesce(strlen(data::VARCHAR)::VARCHAR, '-'), ',', coalesce(strlen(meta::VARCHAR)::VARCHAR, '-'),
          chr(10), id, type, stream, rev::VARCHAR, schema_version::VARCHAR, epoch_ns(ts)::VARCHAR, epoch_ns(recorded_ts)::VARCHAR, correlation_id, causation_id, source, data::VARCHAR, meta::VARCHAR)) AS hash
        FROM events;
      INSERT INTO event_hashes SELECT seq, hash FROM evt_migrate_hashes;
      INSERT INTO chain_blocks
      WITH RECURSIVE d AS (
        SELECT coalesce(source_id, 0) AS source_id, block, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS events,
          sha256(string_agg(hash, '' ORDER BY seq)) AS digest
        FROM (SELECT seq, source_id, (seq - 1) // 65536 AS block, hash FROM evt_migrate_hashes)
        GROUP BY GROUPING SETS ((block), (block, source_id))
      ), n AS (
        SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY block) AS i FROM d
      ), c AS (
        SELECT source_id, i, block, first_seq, last_seq, events, digest,
          sha256(repeat('0', 64) || digest || ':' || block::VARCHAR || ':' || first_seq::VARCHAR || ':' || last_seq::VARCHAR || ':' || events::VARCHAR) AS link
        FROM n WHERE i = 1
        UNION ALL
        SELECT n.source_id, n.i, n.block, n.first_seq, n.last_seq, n.events, n.digest,
          sha256(c.link || n.digest || ':' || n.block::VARCHAR || ':' || n.first_seq::VARCHAR || ':' || n.last_seq::VARCHAR || ':' || n.events::VARCHAR)
        FROM c JOIN n ON n.source_id = c.source_id AND n.i = c.i + 1
      )
      SELECT source_id, block, first_seq, last_seq, events, digest, link FROM c;
      DROP TABLE evt_migrate_hashes;
    `,
  },
  {
    version: 4,
    description: 'integrity: block digests over the events\' chain records (evtrail-chain/2)',
    // The digest needs a streaming SHA-256 per block in Node (chain-store.ts), so this step is
    // code: chain_blocks is rebuilt in the new format, event_hashes stay. A block whose events no
    // longer match the old chain gets a digest that matches nothing (chain-migrate.ts), so a
    // store tampered with before the upgrade still fails verify at that block.
    sql: `INSERT OR REPLACE INTO evtrail_meta VALUES ('chain_format', 'evtrail-chain/2');`,
    run: async (store, from) => (await import('../integrity/chain-migrate.js')).migrateChainToV2(store, from),
  },
  {
    version: 5,
    description: 'event stores: gaps still open after a read',
    sql: `
      -- Positions lo..hi of an event-store source that a read found missing while transactions
      -- were still running on the server (a sequence hands out positions before commit, so a
      -- lower one can commit after a higher one was read). Every later read of the source reads
      -- them again; a range goes once no transaction older than horizon (the xmax of the read's
      -- snapshot, PostgreSQL's xid8 as text) still runs, and what filled it has been read.
      CREATE TABLE source_gaps (
        source_id INTEGER NOT NULL,
        lo BIGINT NOT NULL,
        hi BIGINT NOT NULL,
        horizon VARCHAR NOT NULL
      );
    `,
  },
  {
    version: 6,
    description: 'integrity: the rejects under a chain of their own (evtrail-rejects/1)',
    // One row per ingests row (ingest and source), written in the ingest's transaction
    // (src/integrity/records-check.ts). A store written before gets them from its rejects as they
    // are now: nothing covered the rejects before, so a change made earlier cannot be told.
    sql: `
      CREATE TABLE reject_digests (
        ingest_id INTEGER NOT NULL,
        source_id INTEGER NOT NULL,
        rejects BIGINT NOT NULL,          -- rejects this ingest wrote for this source (not the held-back last line)
        held_back BIGINT NOT NULL,        -- the held-back incomplete last line (0 or 1)
        first_pos BIGINT, last_pos BIGINT,
        digest VARCHAR NOT NULL,          -- sha256 of its rejects' records in source_pos order
        held_digest VARCHAR,              -- sha256 of the held-back line's record
        link VARCHAR NOT NULL             -- sha256(previous link || digest || ':' ingest ':' source ':' rejects ':' held_back ':' held_digest)
      );
      INSERT OR REPLACE INTO evtrail_meta VALUES ('rejects_format', 'evtrail-rejects/1');
    `,
    run: async (store) => (await import('../integrity/records-check.js')).buildRejectChain(store),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
