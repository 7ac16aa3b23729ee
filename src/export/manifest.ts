import { z } from 'zod';

/**
 * The manifest of an export (DIR/manifest.json): what the archive holds and how to check it.
 * Pure: the schema, the format id and the columns; written by export.ts, read back by
 * src/ingest/export-source.ts. Bump the id's number for a change a reader of version 1 would
 * misread (a column renamed or retyped); adding fields keeps it.
 */
export const EXPORT_FORMAT_ID = 'evtrail-export/1';

/** The manifest's name inside the export's folder. */
export const MANIFEST_FILE = 'manifest.json';

export const EXPORT_FILE_FORMATS = ['ndjson', 'parquet'] as const;
export type ExportFileFormat = (typeof EXPORT_FILE_FORMATS)[number];

/** Columns a user may partition by, each computed from the event (`events e`, UTC). */
export const PARTITION_COLUMNS = {
  date: { sql: 'e.ts::DATE', type: 'DATE', description: 'UTC date of ts (YYYY-MM-DD)' },
  hour: { sql: 'hour(e.ts)::INTEGER', type: 'INTEGER', description: 'UTC hour of ts (0-23)' },
  type: { sql: 'e.type', type: 'VARCHAR', description: 'event type' },
  source: { sql: 'e.source', type: 'VARCHAR', description: 'producing service' },
} as const;
export type PartitionColumn = keyof typeof PARTITION_COLUMNS;

const fileSchema = z.object({
  /** Relative to the manifest's folder, '/'-separated. */
  path: z.string().min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExportFile = z.infer<typeof fileSchema>;

export const manifestSchema = z.object({
  format: z.literal(EXPORT_FORMAT_ID),
  evtrail_version: z.string(),
  /** RFC 3339 UTC, nine digits (three in exports made before: read as any text, never parsed). */
  created_at: z.string(),
  /** The store it was exported from (absolute path). */
  store: z.string(),
  file_format: z.enum(EXPORT_FILE_FORMATS),
  events: z.number().int().nonnegative(),
  first_seq: z.number().int().nullable(),
  last_seq: z.number().int().nullable(),
  /** Earliest and latest event time, ISO 8601 UTC with nine fractional digits. */
  time_range: z.object({ first: z.string().nullable(), last: z.string().nullable() }),
  /** The --since / --until window as given, resolved to ISO or seq:N (null: all events). */
  window: z.object({ since: z.string().nullable(), until: z.string().nullable() }),
  columns: z.array(z.object({ name: z.string(), type: z.string(), description: z.string() })),
  partitioning: z.object({ style: z.literal('hive'), by: z.array(z.string()) }).nullable(),
  files: z.array(fileSchema),
  /**
   * The exporting store's chain head (src/integrity). A whole export ingested back into a new
   * store gives the same head. By default the head the store kept, as is (verified false, ok
   * null); with --verify recomputed from the events as evtrail verify does (verified and ok true:
   * a store that does not match its chain is not exported). format: the chain format of the head
   * (absent in exports made before evtrail-chain/2, whose heads are evtrail-chain/1's).
   */
  chain: z.object({ head: z.string().nullable(), verified: z.boolean(), ok: z.boolean().nullable(), format: z.string().optional() }),
});
export type ExportManifest = z.infer<typeof manifestSchema>;

export interface ColumnSpec {
  name: string;
  /** Parquet: the DuckDB type written. NDJSON: the JSON value written. */
  parquet: string;
  ndjson: string;
  description: string;
  /** SQL over `events e` joined with `sources s`, for Parquet and for NDJSON. */
  parquetSql: string;
  ndjsonSql: string;
}

const same = (name: string, type: string, json: string, description: string, sql = `e.${name}`): ColumnSpec => ({
  name, parquet: type, ndjson: json, description, parquetSql: sql, ndjsonSql: sql,
});

/**
 * The exported columns, in order: the envelope (docs/architecture.md §2) in evtrail's canonical spelling
 * (so one NDJSON file of an export ingests with the default preset), then seq and provenance.
 * Times: Parquet has a TIMESTAMP (microseconds: the precision Spark and Trino read) for
 * engines plus the exact epoch nanoseconds beside it; NDJSON has the exact ISO text.
 * data / meta are JSON text (a plain string column in Parquet, which every engine reads).
 */
export const EXPORT_COLUMNS: readonly ColumnSpec[] = [
  same('id', 'VARCHAR', 'string', 'event id'),
  same('stream', 'VARCHAR', 'string|null', 'stream / aggregate id'),
  same('rev', 'BIGINT', 'integer|null', 'revision inside the stream'),
  same('type', 'VARCHAR', 'string', 'event type'),
  same('schema_version', 'INTEGER', 'integer', 'version of the data schema'),
  {
    name: 'ts', parquet: 'TIMESTAMP', ndjson: 'string|null', description: 'event time, UTC (Parquet: microseconds, exact value in ts_ns; NDJSON: ISO 8601 with nine fractional digits)',
    parquetSql: 'e.ts::TIMESTAMP', ndjsonSql: 'evt_iso(e.ts)',
  },
  {
    name: 'recorded_ts', parquet: 'TIMESTAMP', ndjson: 'string|null', description: 'recording time, UTC (as ts)',
    parquetSql: 'e.recorded_ts::TIMESTAMP', ndjsonSql: 'evt_iso(e.recorded_ts)',
  },
  same('correlation_id', 'VARCHAR', 'string|null', 'correlation id'),
  same('causation_id', 'VARCHAR', 'string|null', 'id of the causing event or command'),
  same('source', 'VARCHAR', 'string|null', 'producing service'),
  { ...same('data', 'VARCHAR', 'object|null', 'payload, JSON text'), parquetSql: 'e.data::VARCHAR' },
  { ...same('meta', 'VARCHAR', 'object|null', 'metadata, JSON text'), parquetSql: 'e.meta::VARCHAR' },
  same('seq', 'BIGINT', 'integer', 'replay order in the exported store'),
  { ...same('ts_ns', 'BIGINT', '', 'ts as nanoseconds since the epoch (exact)', 'epoch_ns(e.ts)'), ndjson: '' },
  { ...same('recorded_ts_ns', 'BIGINT', '', 'recorded_ts as nanoseconds since the epoch (exact)', 'epoch_ns(e.recorded_ts)'), ndjson: '' },
  same('source_uri', 'VARCHAR', 'string', 'provenance: the ingested source', 's.uri'),
  same('source_pos', 'BIGINT', 'integer', 'provenance: line / row / element in that source (1-based)'),
  same('position', 'BIGINT', 'integer|null', "the source's own position (global position, stream sequence)"),
  same('dup_of', 'BIGINT', 'integer|null', 'seq of the first event with this id, for later occurrences'),
  same('dup_kind', 'VARCHAR', 'string|null', 'redelivery | conflict | null'),
];

/** The columns a file format carries (NDJSON has no *_ns twins: its ISO text is exact). */
export function columnsFor(format: ExportFileFormat): ColumnSpec[] {
  return EXPORT_COLUMNS.filter((c) => (format === 'parquet' ? c.parquet : c.ndjson) !== '');
}
