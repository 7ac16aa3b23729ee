/**
 * Replay's SQL: the store's bounds, a built-in projection's rows at a cut (streamed, in key
 * ranges when the cut is large, continued from a snapshot when one serves), and the entities
 * that differ between two cuts. Data only: ./replay.ts decides what to run, ./render.ts prints.
 */
import { exactRows } from '../output/json-rows.js';
import type { StoreBounds } from '../core/time.js';
import { raw, sql, sqlString, type Fragment } from '../store/sql.js';
import type { Statement, Store } from '../store/store.js';
import { storeTimeZones } from '../store/time-zones.js';
import { builtinSql, type BuiltinProjection } from './builtins.js';
import { diffOne, type DiffRow } from './diff.js';
import { builtinFromSnapshotSql, type SnapshotInfo } from './snapshots.js';

/** Rows as DuckDB streams them: JSON-safe values, chunk by chunk. */
export interface RowSet {
  columns: string[];
  /** Which columns hold JSON text (parsed for --json). */
  jsonColumns: boolean[];
  rows: AsyncIterable<unknown[][]>;
}

/** Whether a RowSet has no row, reading only up to its first non-empty chunk (which it keeps). */
export async function peekRows(set: RowSet): Promise<{ empty: boolean; rows: RowSet }> {
  const it = set.rows[Symbol.asyncIterator]();
  const head: unknown[][][] = [];
  let done = false;
  while (true) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    if (next.value.length > 0) break;
  }
  const rows = (async function* () {
    yield* head;
    if (!done) yield* { [Symbol.asyncIterator]: () => it };
  })();
  return { empty: done && head.every((c) => c.length === 0), rows: { ...set, rows } };
}

export async function storeBounds(store: Store): Promise<StoreBounds> {
  const [row] = await store.all(`SELECT evt_iso(min(ts)) AS first_ts, evt_iso(max(ts)) AS last_ts, max(seq)::VARCHAR AS last_seq FROM events`);
  return {
    firstTs: (row?.first_ts as string | null) ?? null,
    lastTs: (row?.last_ts as string | null) ?? null,
    lastSeq: row?.last_seq === null || row?.last_seq === undefined ? null : BigInt(String(row.last_seq)),
    timeZones: await storeTimeZones(store),
  };
}

/**
 * Streams a SQL result as --json writes it (../output/json-values.ts: exact numbers, RFC 3339
 * instants, JSON columns as RawJson, which tables show as their text); an error in it is a bug
 * of ours, not the user's.
 */
export async function streamSql(store: Store, sql: Statement): Promise<RowSet> {
  const result = await store.stream(sql);
  return {
    columns: result.deduplicatedColumnNames(),
    jsonColumns: result.columnTypes().map((t) => t.alias === 'JSON'),
    rows: exactRows(result),
  };
}

/** A built-in's SQL for a cut within a key range: a snapshot's rows continued by the events after it, or a replay from the first event. */
function cutSql(def: BuiltinProjection, cut: string, range: string, key: string | undefined, snap: SnapshotInfo | null): Fragment {
  if (!snap || !def.snapshot) return builtinSql(def, `(${cut}) AND ${range}`, key);
  if (key !== undefined && def.keyEvents) return builtinFromSnapshotSql(def, snap, cut, def.keyEvents(key).map((k) => `(${range}) AND ${k}`));
  return builtinFromSnapshotSql(def, snap, cut, range, key);
}

/**
 * A built-in's rows for a cut, streamed; in parts (key ranges, in order) when the cut is large;
 * from a snapshot when one is given (its rows continued by the events after it).
 */
export async function builtinRows(store: Store, def: BuiltinProjection, cut: string, key?: string, eventsPerPart?: number, snap: SnapshotInfo | null = null): Promise<RowSet> {
  const [first, ...rest] = await keyRanges(store, def, [snap ? `seq > ${snap.seq} AND (${cut})` : cut], key, eventsPerPart);
  const part = (range: string) => cutSql(def, cut, range, key, snap);
  const head = await streamSql(store, part(first!));
  if (rest.length === 0) return head;
  // Part by part: each part's rows come in key order and the parts are key ranges in order.
  return {
    ...head,
    rows: (async function* () {
      yield* head.rows;
      for (const range of rest) yield* (await streamSql(store, part(range))).rows;
    })(),
  };
}

/**
 * A projection whose fold holds its whole input in memory is run in parts when the cut is large:
 * conditions that split its key column into ranges (from a sample of it, so each part gets about
 * as many events), in key order. ['true'] when one part will do.
 */
export async function keyRanges(store: Store, def: BuiltinProjection, cuts: string[], key: string | undefined, eventsPerPart = def.partition?.eventsPerPart): Promise<string[]> {
  if (!def.partition || !eventsPerPart || key !== undefined) return ['true'];
  const where = cuts.map((c) => `(${c})`).join(' OR ');
  const [count] = await store.all(`SELECT count(*)::VARCHAR AS n FROM events WHERE ${where}`);
  const parts = Math.ceil(Number(count?.n ?? 0) / eventsPerPart);
  if (parts <= 1) return ['true'];
  const column = `"${def.partition.column}"`;
  // The split points are sorted by DuckDB, so the ranges agree with its ORDER BY.
  const sample = await store.all(`SELECT k FROM (SELECT ${column} AS k FROM events WHERE (${where}) AND ${column} IS NOT NULL)
    USING SAMPLE reservoir(${parts * 100} ROWS) ORDER BY k`);
  const points: string[] = [];
  for (let i = 1; i < parts; i++) {
    const k = sample[Math.floor((i * sample.length) / parts)]?.k;
    if (typeof k === 'string' && k !== points.at(-1)) points.push(k);
  }
  if (points.length === 0) return ['true'];
  const q = (k: string) => sqlString(k);
  return [
    `${column} < ${q(points[0]!)}`,
    ...points.slice(1).map((k, i) => `${column} >= ${q(points[i]!)} AND ${column} < ${q(k)}`),
    `${column} >= ${q(points.at(-1)!)}`,
  ];
}

/** Plain objects as a RowSet: the columns are the union of their keys, in first-seen order. */
export function rowSetOf(objects: Record<string, unknown>[]): RowSet {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const o of objects) for (const k of Object.keys(o)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  return {
    columns,
    jsonColumns: columns.map(() => false),
    rows: (async function* () {
      yield objects.map((o) => columns.map((c) => o[c] ?? null));
    })(),
  };
}

export type SnapshotPair = { from: SnapshotInfo | null; to: SnapshotInfo | null };

/** A built-in's entities that differ between two cuts, in key order; in parts when the cuts are large. */
export async function builtinDiff(store: Store, def: BuiltinProjection, from: string, to: string, key?: string, eventsPerPart?: number, snaps: SnapshotPair = { from: null, to: null }): Promise<DiffRow[]> {
  const keys = def.keyColumns.map((c) => `"${c}"`);
  const side = (cut: string, range: string, snap: SnapshotInfo | null) => cutSql(def, cut, range, key, snap).map((s) => `SELECT ${keys.join(', ')}, to_json(x)::VARCHAR AS j FROM (${s}) x`);
  const diffSql = (range: string) => sql`
    WITH a AS (${side(from, range, snaps.from)}), b AS (${side(to, range, snaps.to)})
    SELECT a.j AS before, b.j AS after
    FROM a FULL JOIN b ON ${raw(keys.map((k) => `a.${k} IS NOT DISTINCT FROM b.${k}`).join(' AND '))}
    WHERE a.j IS DISTINCT FROM b.j
    ORDER BY ${raw(keys.map((k) => `coalesce(a.${k}, b.${k})`).join(', '))}`;
  const out: DiffRow[] = [];
  for (const range of await keyRanges(store, def, [from, to], key, eventsPerPart)) {
    for (const r of await store.all(diffSql(range))) {
      const before = r.before === null ? null : (JSON.parse(String(r.before)) as Record<string, unknown>);
      const after = r.after === null ? null : (JSON.parse(String(r.after)) as Record<string, unknown>);
      const d = diffOne(before, after, def.keyColumns);
      if (d) out.push(d);
    }
  }
  return out;
}
