/**
 * Custom projections: a JavaScript module in Emmett's shape,
 *
 *   export default {
 *     name: 'fills',                                  // optional, the file name otherwise
 *     initialState: () => ({ qty: 0 }),               // a function, or a value (copied per key)
 *     evolve: (state, event) => ({ qty: state.qty + (event.data.fillQty ?? 0) }),
 *     keyOf: (event) => event.data?.orderId,          // optional: one state per key; null/undefined skips the event
 *   };
 *
 * (named exports work too). Events are the store's envelope (EnvelopeEvent plus dup_kind),
 * streamed from DuckDB in seq order, batch by batch: redeliveries are skipped, conflicts come
 * with dup_kind 'conflict'; `data` and `meta` are parsed on first read (see StoredEvent). With
 * upcasters (--upcasters, ./upcasters.ts) each event is upcast before keyOf and evolve. A
 * projection (or an upcaster) that throws stops the replay with exit 2, naming the event (id,
 * seq, type).
 *
 * Modules: .js and .mjs (ES modules; .cjs as CommonJS) and .ts (compiled where Node cannot strip
 * types itself: ./load-module.ts).
 *
 * The events come from ./events.ts (replayEvents: SQL and decoding, batch by batch).
 */
import path from 'node:path';
import { UserError, firstLine } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { replayEvents, type ReplayEvent } from './events.js';
import { MODULE_EXTENSION, importUserModule } from './load-module.js';
import { eventUpcaster, type LoadedUpcasters } from './upcasters.js';

export interface CustomProjection {
  name: string;
  file: string;
  initialState: () => unknown;
  evolve: (state: unknown, event: ReplayEvent) => unknown;
  keyOf?: (event: ReplayEvent) => unknown;
  /** Applied to every event before evolve / keyOf (--upcasters); part of a snapshot's code hash. */
  upcasters?: LoadedUpcasters;
}

/** Whether --projection names a module rather than a built-in. */
export function isCustomProjectionPath(name: string): boolean {
  return /[\\/]/.test(name) || MODULE_EXTENSION.test(name);
}

const PROJECTION_SHAPE_HINT = 'a projection module exports { name, initialState, evolve(state, event), keyOf?(event) }';

/** Loads a projection module (.js, .mjs, .cjs or .ts: ./load-module.ts); `flag` names the option in messages. */
export async function loadCustomProjection(spec: string, flag = '--projection', upcasters?: LoadedUpcasters): Promise<CustomProjection> {
  const hint = PROJECTION_SHAPE_HINT;
  const { file, exports: mod } = await importUserModule(spec, flag, hint);
  const def = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Record<string, unknown>;
  const { evolve, initialState, keyOf, name } = def;
  if (typeof evolve !== 'function') throw new UserError(`${flag} ${spec}: it exports no evolve(state, event) function`, hint);
  if (keyOf !== undefined && typeof keyOf !== 'function') throw new UserError(`${flag} ${spec}: keyOf is not a function`, hint);
  if (name !== undefined && typeof name !== 'string') throw new UserError(`${flag} ${spec}: name is not a string`, hint);
  if (initialState === undefined) throw new UserError(`${flag} ${spec}: it exports no initialState`, hint);
  const initial =
    typeof initialState === 'function'
      ? (initialState as () => unknown)
      : () => {
          try {
            return structuredClone(initialState);
          } catch (error) {
            throw new UserError(`${flag} ${spec}: initialState cannot be copied: ${firstLine(error)}`, 'make initialState a function returning a fresh state');
          }
        };
  return {
    name: name ?? path.basename(file).replace(MODULE_EXTENSION, ''),
    file,
    initialState: initial,
    evolve: evolve as CustomProjection['evolve'],
    ...(keyOf ? { keyOf: keyOf as CustomProjection['keyOf'] } : {}),
    ...(upcasters ? { upcasters } : {}),
  };
}

/** A custom projection's state part-way: one state per key (with keyOf) or one state. */
export interface CustomState {
  states: Map<unknown, unknown>;
  single: unknown;
  started: boolean;
}

export function emptyCustomState(): CustomState {
  return { states: new Map(), single: undefined, started: false };
}

/**
 * Folds the events of a cut through the projection, from `state` (a fresh one, or a snapshot's).
 * `checkpoint(seq, state)` is called, when given, before the first event past each of
 * `checkpoints` (ascending) and at the end for those left: the state as of that seq.
 */
export async function foldCustom(
  store: Store,
  p: CustomProjection,
  cut: string,
  state: CustomState = emptyCustomState(),
  checkpoints?: { seqs: number[]; save: (seq: number, state: CustomState) => Promise<void> },
): Promise<CustomState> {
  const { states } = state;
  const initial = () => {
    try {
      return p.initialState();
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`projection ${p.name}: initialState threw: ${firstLine(error)}`, 'fix the projection');
    }
  };
  const upcast = p.upcasters ? eventUpcaster(p.upcasters) : null;
  const pending = checkpoints ? [...checkpoints.seqs] : [];
  for await (const events of replayEvents(store, cut)) {
    if (pending.length > 0 && events.length > 0 && events.at(-1)!.seq > pending[0]!) {
      // Cheap test first: only a slice that passes a checkpoint is walked event by event here.
      for (const e of events) {
        while (pending.length > 0 && e.seq > pending[0]!) await checkpoints!.save(pending.shift()!, state);
        apply(e);
      }
      continue;
    }
    for (const e of events) apply(e);
  }
  while (pending.length > 0) await checkpoints!.save(pending.shift()!, state);
  return state;

  function apply(e: ReplayEvent): void {
    // An upcaster's failure is a UserError naming the event and the upcaster (not the projection).
    if (upcast) upcast(e);
    try {
      if (p.keyOf) {
        const k = p.keyOf(e);
        if (k === undefined || k === null) return;
        // One hash lookup for a known key; none more when evolve changed its state in place.
        let s = states.get(k);
        const known = s !== undefined || states.has(k);
        if (!known) s = initial();
        const next = synchronous(p.evolve(s, e));
        if (!known || next !== s) states.set(k, next);
      } else {
        if (!state.started) {
          state.single = initial();
          state.started = true;
        }
        state.single = synchronous(p.evolve(state.single, e));
      }
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(
        `projection ${p.name} failed at event ${e.id} (seq ${e.seq}, ${e.type}): ${firstLine(error)}`,
        `fix ${path.relative(process.cwd(), p.file) || p.file}; evtrail query "select * from events where seq = ${e.seq}" shows the event`,
      );
    }
  }
}

/**
 * Folds the events of a cut through the projection. Rows: with keyOf, one per key in key order
 * (`{ key, ...state }` for an object state, `{ key, state }` otherwise); without, the state
 * itself (an array of rows, or one row).
 */
export async function replayCustom(store: Store, p: CustomProjection, cut: string, key?: string, from?: CustomState): Promise<Record<string, unknown>[]> {
  return customRows(p, await foldCustom(store, p, cut, from), key);
}

export function customRows(p: CustomProjection, state: CustomState, key?: string): Record<string, unknown>[] {
  if (!p.keyOf) {
    if (!state.started) {
      try {
        state.single = p.initialState();
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(`projection ${p.name}: initialState threw: ${firstLine(error)}`, 'fix the projection');
      }
    }
    return toRows(state.single, p.name);
  }
  const { states } = state;
  const keys = [...states.keys()];
  const numeric = keys.every((k) => typeof k === 'number');
  keys.sort(numeric ? (a, b) => (a as number) - (b as number) : (a, b) => cmp(String(a), String(b)));
  const rows: Record<string, unknown>[] = [];
  for (const k of keys) {
    if (key !== undefined && String(k) !== key) continue;
    const s = states.get(k);
    rows.push(isPlainObject(s) ? keyedRow(k, s) : { key: k, state: s });
  }
  return checkJson(rows, p.name);
}

/** evolve is a pure synchronous function (awaiting each event would cost a microtask per event). */
function synchronous(state: unknown): unknown {
  if (state !== null && typeof state === 'object' && typeof (state as { then?: unknown }).then === 'function') {
    throw new Error('evolve returned a promise: it must be synchronous (state, event) => state');
  }
  return state;
}

function toRows(state: unknown, name: string): Record<string, unknown>[] {
  const rows = Array.isArray(state) ? state.map((r) => (isPlainObject(r) ? r : { value: r })) : [isPlainObject(state) ? state : { state }];
  return checkJson(rows as Record<string, unknown>[], name);
}

/**
 * An entity's row: its key, then its state's fields. Each field is defined, not assigned: a state
 * field named `__proto__` (a JSON key like any other, from a parsed payload) would otherwise set
 * the row's prototype and vanish from the output (Object.assign assigns).
 */
function keyedRow(key: unknown, state: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = { key };
  for (const [field, value] of Object.entries(state)) if (field !== 'key') defineField(row, field, value);
  return row;
}

/** Sets an own, enumerable field, `__proto__` included (kept as a key, not a prototype). */
export function defineField(row: Record<string, unknown>, field: string, value: unknown): void {
  Object.defineProperty(row, field, { value, enumerable: true, writable: true, configurable: true });
}

function checkJson(rows: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  try {
    JSON.stringify(rows);
  } catch (error) {
    throw new UserError(`projection ${name}: its state cannot be written as JSON: ${firstLine(error)}`, 'keep the state to plain objects, arrays, strings, numbers, booleans and null (no BigInt, no cycles)');
  }
  return rows;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
