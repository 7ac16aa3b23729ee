/**
 * The store's schema, as an ordered list of migrations. A store records the number of the last
 * migration applied (evtrail_meta.schema_version); opening a store applies the missing ones in
 * one transaction, so a store written by an older evtrail opens in a newer one. Never edit a
 * migration that has shipped: add a new one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
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
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
