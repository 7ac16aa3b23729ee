/**
 * The trace index: side tables that let trace find an order's events among millions without
 * scanning them.
 *
 * DuckDB prunes a scan by each row group's min/max (zonemaps). `events` is in seq order, so a
 * filter on seq is cheap, but ids, causation ids, correlation ids, streams and business keys
 * are scattered. Each side table holds (hash of the value, seq) sorted by the hash: a lookup
 * `h IN (hash('…'), …)` touches one row group per value, then the events are fetched by seq.
 * Every lookup re-checks the value on the event itself, so a hash collision costs a row, never
 * a wrong answer.
 *
 * trace_xcauses lists the few effects whose cause lies outside their correlation (see below).
 *
 * Why not ART indexes (CREATE INDEX)? On the 10M-event store one ART index on events(id) took
 * 110 s to build and 145 s for causation_id, and the file grew by 950 MB; these tables take
 * about 20 s together (see BENCHMARKS.md, trace section).
 *
 * The index is derived data, like a cache: it is versioned on its own (evtrail_meta key
 * 'trace_index'), not by the store's migrations, and rebuilt whenever it does not match. It
 * covers events up to a watermark seq; lookups read events past the watermark directly (a
 * scan pruned by seq), so a stale index is slower, never wrong. refreshTraceIndex extends it
 * to the end of the log: ingest can call it after appending, and trace calls it when the
 * part not covered is large.
 */
import { jsonPath, sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { UserError } from '../core/errors.js';

/** Bump when the layout below changes: an index of another version is rebuilt. */
export const TRACE_INDEX_VERSION = 2;
export const DEFAULT_KEY_PATHS: readonly string[] = ['data.orderId'];
const META_KEY = 'trace_index';
/** hash() of this text is recorded: a DuckDB whose hash differs rebuilds the index. */
const PROBE = 'evtrail-trace-index';

export const TRACE_INDEX_TABLES = ['trace_ids', 'trace_causes', 'trace_xcauses', 'trace_corrs', 'trace_streams', 'trace_keys', 'trace_names'] as const;

export interface TraceIndexState {
  version: number;
  /** Events with seq ≤ this are indexed. */
  seq: number;
  /** How many events that was: if the store no longer has them, the index is rebuilt. */
  events: number;
  probe: string;
  keyPaths: string[];
  /**
   * The vocabulary the index was built through (Store.lensId; '' or absent: none): the types
   * and keys it holds are the lens's, so another vocabulary rebuilds it.
   */
  lens?: string;
}

export interface IndexStatus {
  /** The index as recorded, when it exists and matches this evtrail and this store. */
  state: TraceIndexState | null;
  /** Seq up to which lookups may use the side tables (0: none). */
  watermark: number;
  /** Events past the watermark, read by scanning. */
  tail: number;
  total: number;
  /** Key paths the index covers. */
  keyPaths: string[];
}

/** A business-key path: data.orderId, meta.tenant, data.order.id. */
export interface KeyPath {
  path: string;
  column: 'data' | 'meta';
  jsonPath: string;
}

export function parseKeyPath(path: string): KeyPath {
  const m = /^(data|meta)((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)$/.exec(path.trim());
  if (!m) {
    throw new UserError(`--key ${path}: not a key path`, 'a key path is data.<field> or meta.<field>, nested with dots, e.g. --key data.orderId');
  }
  const segments = m[2]!.slice(1).split('.');
  return { path: path.trim(), column: m[1] as 'data' | 'meta', jsonPath: jsonPath(segments) };
}

/** SQL for the text value of a key path on an events row (alias e. optional). */
export function keyValueSql(key: KeyPath, alias = ''): string {
  return `json_extract_string(${alias}${key.column}, ${sqlString(key.jsonPath)})`;
}

export async function indexStatus(store: Store): Promise<IndexStatus> {
  // A copy each time: callers may change their status (a scan forced for a baseline).
  const status = await store.remember('trace-index-status', () => readIndexStatus(store));
  return { ...status, keyPaths: [...status.keyPaths] };
}

async function readIndexStatus(store: Store): Promise<IndexStatus> {
  const names = TRACE_INDEX_TABLES.map((t) => sqlString(t)).join(', ');
  const row = (await store.all(`SELECT
      (SELECT value FROM evtrail_meta WHERE key = '${META_KEY}') AS state,
      (SELECT count(*) FROM ${store.rawEvents}) AS total,
      (SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN (${names})) AS tables,
      hash('${PROBE}')::VARCHAR AS probe`))[0]!;
  const total = Number(row.total);
  let state = parseState(row.state);
  if (state && (state.version !== TRACE_INDEX_VERSION || state.probe !== row.probe || Number(row.tables) !== TRACE_INDEX_TABLES.length || (state.lens ?? '') !== store.lensId)) state = null;
  let tail = total;
  if (state) {
    // Counted in the table itself: a --tenant lens shows fewer events than the index covers.
    tail = Number((await store.all(`SELECT count(*) AS n FROM ${store.rawEvents} WHERE seq > ${state.seq}`))[0]!.n);
    // Events at or below the watermark went away or changed in number: the index is not this store's.
    if (total - tail !== state.events) {
      state = null;
      tail = total;
    }
  }
  return { state, watermark: state?.seq ?? 0, tail, total, keyPaths: state?.keyPaths ?? [] };
}

function parseState(value: unknown): TraceIndexState | null {
  if (typeof value !== 'string') return null;
  try {
    const s = JSON.parse(value) as TraceIndexState;
    return typeof s.seq === 'number' && Array.isArray(s.keyPaths) ? s : null;
  } catch {
    return null;
  }
}

export interface RefreshResult {
  /** Events newly indexed. */
  indexed: number;
  rebuilt: boolean;
  ms: number;
}

/**
 * Brings the index up to the end of the log, for the key paths it has plus `keyPaths`
 * (a writable store; one transaction). Only the events past the watermark are read, unless
 * the index is missing or stale (then it is built from scratch) or a key path is new (then
 * that path is indexed over the whole log).
 */
export async function refreshTraceIndex(store: Store, keyPaths: readonly string[] = DEFAULT_KEY_PATHS): Promise<RefreshResult> {
  const t0 = performance.now();
  const status = await indexStatus(store);
  const rebuilt = status.state === null;
  const wanted = [...new Set([...(status.state?.keyPaths ?? []), ...keyPaths])];
  const newPaths = rebuilt ? [] : wanted.filter((p) => !status.keyPaths.includes(p));
  if (!rebuilt && status.tail === 0 && newPaths.length === 0) return { indexed: 0, rebuilt: false, ms: performance.now() - t0 };
  const keys = wanted.map(parseKeyPath);
  const from = status.watermark;

  await store.transaction(async () => {
    if (rebuilt) {
      for (const t of TRACE_INDEX_TABLES) await store.run(`DROP TABLE IF EXISTS ${t}`);
      await store.run(`
        CREATE TABLE trace_ids (h UBIGINT NOT NULL, seq BIGINT NOT NULL, type VARCHAR, t BIGINT, is_first BOOLEAN NOT NULL);
        CREATE TABLE trace_causes (h UBIGINT NOT NULL, seq BIGINT NOT NULL, type VARCHAR, t BIGINT, is_first BOOLEAN NOT NULL);
        CREATE TABLE trace_xcauses (h UBIGINT NOT NULL, seq BIGINT NOT NULL);
        CREATE TABLE trace_corrs (h UBIGINT NOT NULL, seq BIGINT NOT NULL);
        CREATE TABLE trace_streams (h UBIGINT NOT NULL, seq BIGINT NOT NULL);
        CREATE TABLE trace_keys (h UBIGINT NOT NULL, seq BIGINT NOT NULL);
        CREATE TABLE trace_names (kind VARCHAR NOT NULL, name VARCHAR NOT NULL);`);
    }
    const part = `FROM events WHERE seq > ${from}`;
    // trace_ids and trace_causes carry type and time so that --stats joins integers, not strings.
    await store.run(`INSERT INTO trace_ids SELECT hash(id) AS h, seq, type, epoch_ns(ts), dup_of IS NULL ${part} ORDER BY h`);
    await store.run(`INSERT INTO trace_causes SELECT hash(causation_id) AS h, seq, type, epoch_ns(ts), dup_of IS NULL ${part} AND causation_id IS NOT NULL ORDER BY h`);
    // Effects whose cause is not an event of their own correlation (another correlation's, or
    // none yet): a trace that read a correlation whole finds its effects in other correlations
    // here, in a table of a few rows instead of one row group of trace_causes per event. The
    // (id, correlation) pairs are compared by hash; a cause that arrives later leaves its
    // effect listed here, which only costs a row.
    await store.run(`INSERT INTO trace_xcauses
      WITH c AS (SELECT hash(id, correlation_id) AS k FROM events),
        e AS (SELECT seq, causation_id, hash(causation_id, correlation_id) AS k ${part} AND causation_id IS NOT NULL)
      SELECT hash(e.causation_id) AS h, e.seq FROM e ANTI JOIN c ON e.k = c.k ORDER BY h`);
    await store.run(`INSERT INTO trace_corrs SELECT hash(correlation_id) AS h, seq ${part} AND correlation_id IS NOT NULL ORDER BY h`);
    await store.run(`INSERT INTO trace_streams SELECT hash(stream) AS h, seq ${part} AND stream IS NOT NULL ORDER BY h`);
    await store.run(`INSERT INTO trace_names
      SELECT DISTINCT 'stream', stream ${part} AND stream IS NOT NULL
      UNION ALL SELECT DISTINCT 'correlation', correlation_id ${part} AND correlation_id IS NOT NULL`);
    // Key paths: the new part for the ones already indexed, all of the log for new ones.
    const keySources = keys.map((k) => ({ k, where: newPaths.includes(k.path) ? '' : `WHERE seq > ${from}` }));
    for (const { k, where } of keySources) {
      const value = keyValueSql(k);
      await store.run(`CREATE OR REPLACE TEMP TABLE trace_key_part AS
        SELECT ${value} AS v, seq FROM events ${where ? `${where} AND` : 'WHERE'} ${value} IS NOT NULL`);
      await store.run(`INSERT INTO trace_keys SELECT hash(${sqlString(k.path)}, v) AS h, seq FROM trace_key_part ORDER BY h`);
      await store.run(`INSERT INTO trace_names SELECT DISTINCT ${sqlString(`key:${k.path}`)}, v FROM trace_key_part`);
      await store.run(`DROP TABLE trace_key_part`);
    }
    const top = (await store.all(`SELECT coalesce(max(seq), 0) AS seq, count(*) AS n FROM ${store.rawEvents}`))[0]!;
    const probe = (await store.all(`SELECT hash('${PROBE}')::VARCHAR AS p`))[0]!.p as string;
    const state: TraceIndexState = { version: TRACE_INDEX_VERSION, seq: Number(top.seq), events: Number(top.n), probe, keyPaths: wanted, ...(store.lensId ? { lens: store.lensId } : {}) };
    await store.run(`INSERT OR REPLACE INTO evtrail_meta VALUES ('${META_KEY}', $v)`, { v: JSON.stringify(state) });
  });
  return { indexed: status.tail, rebuilt, ms: performance.now() - t0 };
}
