/**
 * Snapshots: a projection's state as of seq checkpoints, kept in the store (tables snapshots and
 * snapshot_rows, migration 2), keyed by the projection's name and a hash of its code (a
 * built-in's SQL, a module's file). `evtrail replay --at T` starts from the latest usable one
 * and folds only the events after it:
 *
 * - usable for `seq:N` when its seq ≤ N; for a time T when every event up to its seq has a time
 *   ≤ T (max_ts ≤ T, untimed = 0), so the cut is exactly the snapshot plus the events after its
 *   seq with ts ≤ T;
 * - stale when its code hash is not the projection's (ignored with a note), or when the events
 *   up to its seq are not those it was made from (their count changed).
 *
 * A built-in's snapshot is a table of its partial states, typed by DuckDB (snapshot_data_<id>),
 * continued in SQL (SnapshotSql in ./builtins.ts); a custom projection's is its states as JSON
 * in snapshot_rows, from which its fold restarts (so its state must be plain JSON, as for --json).
 */
import crypto from 'node:crypto';
import { UserError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { atCondition, type At } from '../core/time.js';
import { moduleGraphHash } from './module-graph.js';
import { keyedRows, type BuiltinProjection } from './builtins.js';
import { emptyCustomState, foldCustom, type CustomProjection, type CustomState } from './custom.js';
import { raw, type Fragment } from '../store/sql.js';

export type AnyProjection = { kind: 'builtin'; def: BuiltinProjection } | { kind: 'custom'; def: CustomProjection };

export interface SnapshotInfo {
  id: number;
  seq: bigint;
  codeHash: string;
}

/**
 * SHA-256 of what decides a projection's state: a built-in's SQL; for a module, everything it
 * loads (its file and the local files it imports, transitively, and the versions of the packages
 * it imports: module-graph.ts), evtrail's version (the events and state a custom fold sees are
 * evtrail's objects) and, when it replays with upcasters, the upcaster module's graph (a changed
 * upcaster makes its snapshots stale, and snapshots made with upcasters do not serve a replay
 * without them, nor the reverse). A built-in's SQL is the whole of its code: its hash needs no
 * version.
 */
export function codeHash(p: AnyProjection): string {
  const h = crypto.createHash('sha256');
  if (p.kind === 'custom') {
    h.update(`custom\0evtrail ${VERSION}\0`).update(moduleGraphHash(p.def.file));
    if (p.def.upcasters) h.update('\0upcasters\0').update(p.def.upcasters.hash);
  } else {
    const s = p.def.snapshot;
    h.update(`builtin ${p.def.name}\0`);
    if (s) h.update([s.fold('<where>'), s.merge('<base>', '<fold>'), s.empty, s.rows('<merged>')].join('\0'));
  }
  return h.digest('hex');
}

export function canSnapshot(p: AnyProjection): boolean {
  return p.kind === 'custom' || p.def.snapshot !== undefined;
}

/**
 * The latest snapshot a replay to `at` can start from, or null; notes (stale snapshots that
 * would have served) go to `note`.
 */
export async function findSnapshot(store: Store, p: AnyProjection, at: At, note: (text: string) => void): Promise<SnapshotInfo | null> {
  if (!canSnapshot(p)) return null;
  const name = p.def.name;
  const cond = at.kind === 'seq' ? `seq <= ${at.seq}` : `untimed = 0 AND (max_ts IS NULL OR epoch_ns(max_ts) <= ${at.ns})`;
  const rows = await store.all(
    `SELECT snapshot_id, seq::VARCHAR AS seq_text, code_hash, events::VARCHAR AS events_text FROM snapshots WHERE projection = $name AND ${cond} ORDER BY snapshots.seq DESC, snapshot_id DESC`,
    { name },
  );
  const hash = codeHash(p);
  let staleNoted = false;
  for (const r of rows) {
    const seq = BigInt(String(r.seq_text));
    if (r.code_hash !== hash) {
      if (!staleNoted) {
        const remake = p.kind === 'builtin' ? name : `${p.def.file}${p.def.upcasters ? ` --upcasters ${p.def.upcasters.file}` : ''}`;
        const why = p.kind === 'custom' ? 'the module, or its upcasters, or whether it replays with upcasters, changed; ' : '';
        note(`the snapshot of ${name} at seq ${seq} was made by other code of the projection: ignored (${why}evtrail snapshot --projection ${remake} makes new ones)`);
      }
      staleNoted = true;
      continue;
    }
    const [count] = await store.all(`SELECT count(*)::VARCHAR AS n FROM events WHERE seq <= ${seq}`);
    if (String(count?.n) !== String(r.events_text)) {
      note(`the snapshot of ${name} at seq ${seq} was made from other events (the store changed before seq ${seq}): ignored`);
      continue;
    }
    const blocked = p.kind === 'builtin' ? p.def.snapshot?.blocked : undefined;
    if (blocked) {
      const [b] = await store.all(`SELECT n::INTEGER AS n FROM (${blocked(dataTable(Number(r.snapshot_id)), `seq > ${seq} AND (${atCondition(at)})`)})`);
      if (Number(b?.n ?? 0) > 0) {
        note(`the snapshot of ${name} at seq ${seq} cannot serve: ${b?.n} order(s) with fills before it are placed again after it; an earlier one or a full replay is used`);
        continue;
      }
    }
    return { id: Number(r.snapshot_id), seq, codeHash: hash };
  }
  return null;
}

/**
 * A built-in's rows as of `cut` from a snapshot: its rows continued by the events after its seq
 * in the cut. `where` narrows both to some streams (a --key, a key range), written on `stream`.
 */
export function builtinFromSnapshotSql(def: BuiltinProjection, snap: SnapshotInfo, cut: string, where: string | Fragment = 'true', key?: string): Fragment {
  const s = def.snapshot!;
  const rows = (typeof where === 'string' ? raw(where) : where).map((w) => `WITH merged AS (${s.merge(`(SELECT * FROM ${dataTable(snap.id)} WHERE ${w})`, s.fold(`seq > ${snap.seq} AND (${cut}) AND (${w})`))})
${s.rows('merged')}`);
  if (key === undefined) return rows;
  // A key that does not name streams: the rows are filtered on the key column.
  return keyedRows(def, rows, key);
}

/** A custom projection's state as of a snapshot. */
export async function customStateOf(store: Store, snap: SnapshotInfo): Promise<CustomState> {
  const rows = await store.all(`SELECT key, state::VARCHAR AS state FROM snapshot_rows WHERE snapshot_id = ${snap.id}`);
  const state = emptyCustomState();
  for (const r of rows) {
    const value = r.state === null ? undefined : JSON.parse(String(r.state));
    if (r.key === null) {
      state.single = value;
      state.started = true;
    } else state.states.set(JSON.parse(String(r.key)), value);
  }
  return state;
}

export interface SnapshotResult {
  seq: string;
  entities: number;
}

/**
 * Makes snapshots of a projection every `every` seq (every, 2 × every, … up to the last seq),
 * replacing the projection's earlier ones. Each is the previous one continued, so the whole log
 * is read once.
 */
export async function makeSnapshots(store: Store, p: AnyProjection, every: bigint): Promise<SnapshotResult[]> {
  if (!canSnapshot(p)) throw new UserError(`--projection ${p.def.name}: snapshots are not supported for it yet`, 'snapshot orders, streams, positions, book or a custom module');
  const [last] = await store.all(`SELECT coalesce(max(seq), 0)::VARCHAR AS n FROM events`);
  const lastSeq = BigInt(String(last?.n ?? 0));
  const seqs: bigint[] = [];
  for (let s = every; s <= lastSeq; s += every) seqs.push(s);
  const hash = codeHash(p);
  const name = p.def.name;
  const results: SnapshotResult[] = [];
  for (const old of await store.all(`SELECT snapshot_id::INTEGER AS id FROM snapshots WHERE projection = $name`, { name })) {
    await store.run(`DROP TABLE IF EXISTS ${dataTable(Number(old.id))}`);
  }
  await store.run(`DELETE FROM snapshot_rows WHERE snapshot_id IN (SELECT snapshot_id FROM snapshots WHERE projection = $name)`, { name });
  await store.run(`DELETE FROM snapshots WHERE projection = $name`, { name });
  const [idRow] = await store.all(`SELECT coalesce(max(snapshot_id), 0)::INTEGER AS n FROM snapshots`);
  let nextId = Number(idRow?.n ?? 0) + 1;

  const header = async (id: number, seq: bigint, entities: string) => {
    const [n] = await store.all(`INSERT INTO snapshots
      SELECT ${id}, $name, $hash, ${seq}, count(*), max(ts), count(*) FILTER (WHERE ts IS NULL),
        (SELECT count(*) FROM ${entities}), now()::TIMESTAMP
      FROM events WHERE seq <= ${seq}
      RETURNING entities::INTEGER AS n`, { name, hash });
    results.push({ seq: String(seq), entities: Number(n?.n ?? 0) });
  };

  if (p.kind === 'builtin') {
    const s = p.def.snapshot!;
    let prev: { id: number; seq: bigint } | null = null;
    for (const seq of seqs) {
      const id = nextId++;
      const base = prev ? dataTable(prev.id) : s.empty;
      const fold = s.fold(`seq > ${prev?.seq ?? 0n} AND seq <= ${seq}`);
      await store.transaction(async () => {
        await store.run(`DROP TABLE IF EXISTS ${dataTable(id)}`);
        await store.run(`CREATE TABLE ${dataTable(id)} AS SELECT * FROM (${s.merge(base, fold)}) ORDER BY stream`);
        await header(id, seq, dataTable(id));
      });
      prev = { id, seq };
    }
    return results;
  }

  await foldCustom(store, p.def, `seq <= ${lastSeq}`, emptyCustomState(), {
    seqs: seqs.map(Number),
    save: async (seq, state) => {
      const id = nextId++;
      // Written as JSON now: evolve may change the states in place afterwards.
      const rows: [string | null, string | null][] = p.def.keyOf
        ? [...state.states].map(([k, v]) => [JSON.stringify(k), v === undefined ? null : jsonOf(v, name)])
        : state.started
          ? [[null, jsonOf(state.single, name)]]
          : [];
      await store.transaction(async () => {
        await insertRows(store, id, rows);
        await header(id, BigInt(seq), `snapshot_rows WHERE snapshot_id = ${id}`);
      });
    },
  });
  return results;
}

function jsonOf(value: unknown, name: string): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    throw new UserError(`projection ${name}: its state cannot be written as JSON: ${(error as Error).message}`, 'keep the state to plain objects, arrays, strings, numbers, booleans and null');
  }
}

async function insertRows(store: Store, id: number, rows: [string | null, string | null][]): Promise<void> {
  await store.append('snapshot_rows', (appender) => {
    for (const [key, state] of rows) {
      appender.appendInteger(id);
      if (key === null) appender.appendNull();
      else appender.appendVarchar(key);
      if (state === null) appender.appendNull();
      else appender.appendVarchar(state);
      appender.endRow();
    }
  });
}

/** The table of a built-in's snapshot. */
export function dataTable(id: number): string {
  return `snapshot_data_${id}`;
}
