/**
 * The replay screen's work: a cursor over the log (a seq or a time, as `replay --at` takes), and
 * at each step the projection's entities that the step changed, before and after, through the
 * replay service (builtinDiff). A projection whose entities are streams (it can narrow to a
 * key's events) is diffed over the touched streams' events only, so a step costs about as much
 * as those streams' histories, not the whole log; the others are diffed whole.
 */
import { atCondition, formatIsoNs, type At, type StoreBounds } from '../../../core/time.js';
import { BUILTINS, type BuiltinProjection } from '../../../replay/builtins.js';
import type { DiffRow } from '../../../replay/diff.js';
import { builtinDiff } from '../../../replay/query.js';
import { sqlString } from '../../../store/sql.js';
import type { Store } from '../../../store/store.js';
import { LIST_COLUMNS, toRow, type EventRow } from './events.js';

/** Streams whose entities a step shows at most (the count says how many there were). */
export const STEP_STREAMS = 200;

export interface ReplayStep {
  at: At;
  /** The last event inside the cut (null before the first). */
  event: EventRow | null;
  /** Events between the previous cut and this one. */
  events: number;
  /** Streams those events touched. */
  streams: number;
  keyColumns: string[];
  changes: DiffRow[];
  /** Only the first STEP_STREAMS streams were diffed. */
  partial: boolean;
}

export function projections(): readonly BuiltinProjection[] {
  return BUILTINS;
}

const seqAt = (seq: bigint): At => ({ kind: 'seq', seq, input: `seq:${seq}` });
export const timeAt = (ns: bigint): At => {
  const iso = formatIsoNs(ns);
  return { kind: 'time', ns, iso, input: iso };
};

export type Move = 'next' | 'prev' | 'forward' | 'back' | 'first' | 'last';

/**
 * Where a move takes the cursor (pure): an event step goes to the seq after / before the
 * cursor's event, a time step adds / takes `stepNs` from the cursor's time (the event's time
 * when the cursor is a seq). Clamped to the log.
 */
export function move(cursor: At, event: { seq: number; ts: string | null } | null, m: Move, stepNs: bigint, bounds: StoreBounds, eventNs: bigint | null): At {
  const last = bounds.lastSeq ?? 0n;
  const clampSeq = (s: bigint) => seqAt(s < 0n ? 0n : s > last ? last : s);
  const seqOf = () => (cursor.kind === 'seq' ? cursor.seq : BigInt(event?.seq ?? 0));
  switch (m) {
    case 'first':
      return seqAt(last > 0n ? 1n : 0n);
    case 'last':
      return seqAt(last);
    case 'next':
      return clampSeq(seqOf() + 1n);
    case 'prev':
      return clampSeq(seqOf() - 1n);
    case 'forward':
    case 'back': {
      const base = cursor.kind === 'time' ? cursor.ns : eventNs;
      if (base === null) return cursor;
      return timeAt(m === 'forward' ? base + stepNs : base - stepNs);
    }
  }
}

/** The cursor's last event: the event at seq N, or the latest at or before a time. */
async function cursorEvent(store: Store, at: At): Promise<EventRow | null> {
  const where = at.kind === 'seq' ? `seq = ${at.seq}` : `${atCondition(at)} ORDER BY ts DESC, seq DESC LIMIT 1`;
  const [r] = await store.all(`SELECT ${LIST_COLUMNS} FROM events WHERE ${where}`);
  return r ? toRow(r) : null;
}

/**
 * The streams the step's events touched, as a literal list of the first STEP_STREAMS (a literal
 * IN list is filtered in the scan, where a subquery on the step's condition costs a join over
 * the whole cut), and whether there were more.
 */
async function touchedStreams(store: Store, between: string): Promise<{ literals: string[]; partial: boolean }> {
  const rows = await store.all(`SELECT DISTINCT stream FROM events WHERE (${between}) AND stream IS NOT NULL ORDER BY stream LIMIT ${STEP_STREAMS + 1}`);
  return { literals: rows.slice(0, STEP_STREAMS).map((r) => sqlString(String(r.stream))), partial: rows.length > STEP_STREAMS };
}

/** Account and symbol pairs a positions step shows at most (the rest: partial). */
export const STEP_POSITIONS = 200;

/**
 * The order streams' events the positions fold reads (seq, stream; an OrderPlaced's account and
 * symbol), as a TEMP table of the app's connection (the store is read-only), built once a
 * session (~1 s at 10M events). It turns "the events of these orders" into a list of seqs, which
 * DuckDB prunes by row-group statistics, where a filter on the stream (strings whose statistics
 * keep an 8-byte prefix, the same for every order) scans the whole cut.
 */
const POSITIONS_INDEX = 'evt_ui_positions';
/** Its OrderPlaced rows by account and symbol. */
const PAIRS_INDEX = 'evt_ui_pairs';
const positionsIndexes = new WeakMap<Store, Promise<void>>();

/**
 * Builds the index once per store (memoised; again after a failure or an interrupt). Both tables
 * are sorted by a hash of what they are looked up by, so a lookup filtered on that hash reads
 * the few row groups whose statistics hold it, not the whole table.
 */
export function positionsIndex(store: Store): Promise<void> {
  let built = positionsIndexes.get(store);
  if (!built) {
    built = store.run(`CREATE OR REPLACE TEMP TABLE ${POSITIONS_INDEX} AS
        SELECT hash(stream) AS h, seq, stream, type = 'OrderPlaced' AS placed,
          CASE WHEN type = 'OrderPlaced' THEN data->>'accountId' END AS a, CASE WHEN type = 'OrderPlaced' THEN data->>'symbol' END AS s
        FROM events WHERE stream IS NOT NULL AND type IN ('OrderPlaced', 'OrderPartiallyFilled', 'OrderFilled') ORDER BY h;
      CREATE OR REPLACE TEMP TABLE ${PAIRS_INDEX} AS
        SELECT hash(p.a, p.s) AS h, p.seq, e.ts, p.stream, p.a, p.s FROM ${POSITIONS_INDEX} p JOIN events e USING (seq) WHERE p.placed ORDER BY h`);
    // Cancelled (esc) or failed: the next step builds it again.
    built.catch(() => positionsIndexes.delete(store));
    positionsIndexes.set(store, built);
  }
  return built;
}

/** Seqs listed in one IN filter at most; above it the filter is left out (it only prunes). */
const SEQS_LISTED = 20_000;

/** The seqs of an index's rows matching `where`, as a filter on events (a superset: it prunes). */
async function seqsOf(store: Store, table: string, where: string): Promise<string> {
  const rows = await store.all(`SELECT seq FROM ${table} WHERE ${where} ORDER BY seq LIMIT ${SEQS_LISTED + 1}`);
  if (rows.length > SEQS_LISTED) return 'true';
  return rows.length ? `seq IN (${rows.map((r) => String(r.seq)).join(', ')})` : 'false';
}

/**
 * A filter on the positions index for these streams (SQL literals): the hash, then the name. The
 * literals come as a list, not joined text, since a stream name may itself hold ', '.
 */
const streamsIn = (literals: string[]) => `h IN (${literals.map((l) => `hash(${l})`).join(', ')}) AND stream IN (${literals.join(', ')})`;

/**
 * A positions step over the orders that can move a touched position only. A position (account,
 * symbol) folds the fills of the orders whose last OrderPlaced in the cut names it, so the
 * positions a step can change are the pairs named by an OrderPlaced of a stream the step
 * touched (an order re-placed under another pair moves its fills: both pairs are named), and
 * each of them is exact when the fold reads every order stream that names it (in either cut).
 * Rows of other pairs that those streams bring in are partial and dropped. The orders naming a
 * pair come from the positions index, and every read of the events is narrowed to the seqs it
 * lists, so a step costs about as much as the touched positions' orders, not the log; the
 * conditions are the same as over the events (the seq lists only prune), so the rows are the
 * whole projection's diff's.
 */
async function positionsStep(store: Store, def: BuiltinProjection, before: string, after: string, between: string): Promise<{ changes: DiffRow[]; partial: boolean }> {
  const either = `((${before}) OR (${after}))`;
  const touched = await touchedStreams(store, between);
  if (touched.literals.length === 0) return { changes: [], partial: false };
  // Once more if a build that was under way was interrupted (esc, or a step preempting it).
  await positionsIndex(store).catch(() => positionsIndex(store));
  const placed = await seqsOf(store, POSITIONS_INDEX, `placed AND ${streamsIn(touched.literals)}`);
  const pairs = await store.all(`SELECT DISTINCT data->>'accountId' AS a, data->>'symbol' AS s FROM events
    WHERE ${placed} AND type = 'OrderPlaced' AND ${either} AND stream IN (${touched.literals.join(', ')})
    ORDER BY a NULLS FIRST, s NULLS FIRST LIMIT ${STEP_POSITIONS + 1}`);
  if (pairs.length === 0) return { changes: [], partial: touched.partial };
  const partial = touched.partial || pairs.length > STEP_POSITIONS;
  const shown = pairs.slice(0, STEP_POSITIONS);
  const id = (a: unknown, s: unknown) => JSON.stringify([a ?? null, s ?? null]);
  const wanted = new Set(shown.map((p) => id(p.a, p.s)));
  const lit = (v: unknown) => (v === null || v === undefined ? 'NULL' : sqlString(String(v)));
  const named = shown.map((p) => `(a IS NOT DISTINCT FROM ${lit(p.a)} AND s IS NOT DISTINCT FROM ${lit(p.s)})`).join(' OR ');
  const hashes = shown.map((p) => `hash(${lit(p.a)}::VARCHAR, ${lit(p.s)}::VARCHAR)`).join(', ');
  // The cut conditions name seq or ts (atCondition), columns the pairs index has too.
  const streams = await store.all(`SELECT DISTINCT stream FROM ${PAIRS_INDEX} WHERE h IN (${hashes}) AND (${named}) AND ${either}`);
  if (streams.length === 0) return { changes: [], partial };
  const literals = streams.map((r) => sqlString(String(r.stream)));
  const only = `${await seqsOf(store, POSITIONS_INDEX, streamsIn(literals))} AND stream IN (${literals.join(', ')})`;
  const all = await builtinDiff(store, def, `(${before}) AND ${only}`, `(${after}) AND ${only}`);
  return { changes: all.filter((d) => wanted.has(id(d.key.accountId, d.key.symbol))), partial };
}

/** Rows of a whole state read at most (the count says how many there are). */
export const STATE_ROWS = 1000;

export interface ReplayState {
  at: At;
  /** The first STATE_ROWS entities in key order. */
  rows: Record<string, unknown>[];
  /** Entities in the state. */
  total: number;
}

/**
 * The projection's whole state as of `to` (as `evtrail replay --at` gives it), in key order: one
 * pass, the count taken with the rows.
 */
export async function stateAt(store: Store, def: BuiltinProjection, to: At): Promise<ReplayState> {
  const keys = def.keyColumns.map((c) => `"${c}"`).join(', ');
  const rows = await store.all(`SELECT *, count(*) OVER () AS "__total" FROM (${def.sql(atCondition(to))}) x ORDER BY ${keys} LIMIT ${STATE_ROWS}`);
  const total = Number(rows[0]?.__total ?? 0);
  return { at: to, rows: rows.map(({ __total: _, ...r }) => r), total };
}

/** One step of the cursor, from `from` (null: the start of the log) to `to`. */
export async function replayStep(store: Store, def: BuiltinProjection, from: At | null, to: At): Promise<ReplayStep> {
  const before = from ? atCondition(from) : 'false';
  const after = atCondition(to);
  // The events in one cut and not the other, whichever way the cursor moved.
  // Between two seqs it is a seq range, which DuckDB prunes by row-group statistics (the
  // general form is read in full).
  const lo = from ? (from.kind === 'seq' ? from.seq : null) : 0n;
  const between =
    lo !== null && to.kind === 'seq'
      ? `seq > ${lo < to.seq ? lo : to.seq} AND seq <= ${lo < to.seq ? to.seq : lo}`
      : `((${after}) AND NOT coalesce(${before}, false)) OR ((${before}) AND NOT coalesce(${after}, false))`;
  const [counts] = await store.all(`SELECT count(*)::INTEGER AS n, count(DISTINCT stream)::INTEGER AS s FROM events WHERE ${between}`);
  const events = Number(counts?.n ?? 0);
  const streams = Number(counts?.s ?? 0);
  const event = await cursorEvent(store, to);
  const keyColumns = [...def.keyColumns];
  if (events === 0) return { at: to, event, events, streams, keyColumns, changes: [], partial: false };
  let changes: DiffRow[];
  let partial = false;
  if (def.keyEvents) {
    let literals: string[];
    ({ literals, partial } = await touchedStreams(store, between));
    const only = `stream IN (${literals.join(', ')})`;
    changes = literals.length ? await builtinDiff(store, def, `(${before}) AND ${only}`, `(${after}) AND ${only}`) : [];
  } else if (def.name === 'positions') {
    ({ changes, partial } = await positionsStep(store, def, before, after, between));
  } else {
    changes = await builtinDiff(store, def, before, after);
  }
  return { at: to, event, events, streams, keyColumns, changes, partial };
}
