import { UserError } from '../../core/errors.js';
import { STORE_PRESETS } from '../presets/index.js';

/** Where a PostgreSQL event store keeps its events, and the columns its preset reads. */
export interface PgLayout {
  preset: string;
  schema: string;
  table: string;
  /** The global position: reads are ordered by it and the checkpoint is its last value. */
  positionColumn: string;
  columns: readonly string[];
  /**
   * Rows that can be read now: Emmett's own rule, rows of transactions older than the oldest
   * one still running (a later global position can commit before an earlier one; reading past
   * it would move the checkpoint over an event not yet visible). Applied when the column is there.
   */
  settled?: { column: string; sql: string };
  /** Message DB names the causing message by position: resolve it to an id after mapping. */
  resolveCausation?: boolean;
  /**
   * Rows that are not events (Marten's tombstones): not read, counted, their positions kept so
   * they are no gaps. The SQL gets the table's column names and returns a condition on `t`.
   */
  skip?: { what: string; sql(have: ReadonlySet<string>): string };
  /**
   * Marten: a table partitioned by this column (UseTenantPartitionedEvents) numbers its
   * positions per partition, so one read of it cannot be ordered: refused, each partition is read.
   */
  positionPerPartitionOf?: string;
}

/**
 * Marten's tombstones: after a failed append Marten writes one row per sequence number the
 * append took (EventGraph.TryCreateTombstoneBatch), type `tombstone`, in the stream
 * `mt_tombstone` (string stream identity; a per-process random Guid with Guid identity, hence
 * the .NET type too), so the sequence has no holes for its async daemon. They are not events.
 */
const MARTEN_TOMBSTONE = {
  what: 'Marten tombstone(s): placeholders of failed appends, not events',
  sql: (have: ReadonlySet<string>) => `(t."type" = 'tombstone' AND (t.stream_id::text = 'mt_tombstone'${
    have.has('mt_dotnet_type') ? ` OR t.mt_dotnet_type LIKE '%.Tombstone, %'` : ''}))`,
};

/** The store layouts' presets (presets/index.ts), each given a layout below. */
export const PG_PRESETS: readonly string[] = STORE_PRESETS.map((p) => p.name);

/** The layout for --preset, --schema and --table (the `table` preset needs --table and --map position=…). */
export function pgLayout(preset: string, opts: { schema?: string; table?: string; positionColumn?: string }): PgLayout {
  const split = (qualified: string, defaultSchema: string): [string, string] => {
    const dot = qualified.indexOf('.');
    return dot < 0 ? [opts.schema ?? defaultSchema, qualified] : [qualified.slice(0, dot), qualified.slice(dot + 1)];
  };
  switch (preset) {
    case 'messagedb': {
      const [schema, table] = split(opts.table ?? 'messages', 'message_store');
      return {
        preset, schema, table, positionColumn: 'global_position', resolveCausation: true,
        columns: ['global_position', 'position', 'time', 'stream_name', 'type', 'data', 'metadata', 'id'],
      };
    }
    case 'marten': {
      const [schema, table] = split(opts.table ?? 'mt_events', 'public');
      return {
        preset, schema, table, positionColumn: 'seq_id', skip: MARTEN_TOMBSTONE, positionPerPartitionOf: 'tenant_id',
        columns: ['seq_id', 'id', 'stream_id', 'version', 'type', 'timestamp', 'data'],
      };
    }
    case 'emmett': {
      const [schema, table] = split(opts.table ?? 'emt_messages', 'public');
      return {
        preset, schema, table, positionColumn: 'global_position',
        settled: { column: 'transaction_id', sql: 't.transaction_id < pg_snapshot_xmin(pg_current_snapshot())' },
        columns: ['global_position', 'stream_position', 'stream_id', 'message_id', 'message_type', 'message_data', 'message_metadata', 'message_schema_version', 'created'],
      };
    }
    case 'table': {
      if (!opts.table) throw new UserError('--preset table needs --table', 'e.g. --table audit.events --map position=seq --map id=event_id');
      if (!opts.positionColumn || opts.positionColumn.includes('.')) {
        throw new UserError('--preset table needs --map position=<column>', 'name the column that orders the events (an increasing integer), e.g. --map position=seq');
      }
      const [schema, table] = split(opts.table, 'public');
      return { preset, schema, table, positionColumn: opts.positionColumn, columns: [opts.positionColumn] };
    }
    default:
      throw new UserError(`preset "${preset}" cannot read PostgreSQL`, `presets for postgres://: ${PG_PRESETS.join(', ')}`);
  }
}
