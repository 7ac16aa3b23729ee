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
 * Speed (the budget: ≥ 500k events/s): a per-event JSON text would cost a JSON.parse of the
 * whole envelope and a native call per string; instead one query per batch of seq values
 * returns each column as one string (a JSON array, or the texts joined by a record separator),
 * so the JavaScript side does a handful of native calls per batch, cuts each value out of its
 * column and parses data / meta only when the projection reads them (parsing every data was a
 * third of the JavaScript side's time). The next batch is read by DuckDB (its own thread)
 * while the current one is folded.
 */
import path from 'node:path';
import type { EnvelopeEvent } from '../core/envelope.js';
import { UserError, firstLine } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { MODULE_EXTENSION, importUserModule } from './load-module.js';
import { eventUpcaster, type LoadedUpcasters } from './upcasters.js';

export type ReplayEvent = EnvelopeEvent & { dup_kind: 'conflict' | null };

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

/** Seq values per query: big enough that the per-query cost vanishes, small enough to bound memory. */
const BATCH = 65_536;
/** Record separator between the values of a column; unit separator for a NULL. */
const RS = '\u001e';
const NULL = '\u001f';

/** The text columns, sent joined by RS (one native string per column and batch, split in JS). */
const TEXT_COLUMNS = ['id', 'stream', 'type', 'correlation_id', 'causation_id', 'source', 'dup_kind'] as const;
/**
 * Times as DuckDB's text made ISO-like in SQL ('2025-08-26T09:30:00.0051Z': trailing zeros
 * trimmed): with all nine digits, as most nanosecond times have, it is the value as it is;
 * otherwise padded in JS. (Formatting it all in JS cost several strings per event.)
 */
const TIME_COLUMNS = ['ts', 'recorded_ts'] as const;
const JSON_COLUMNS = ['data', 'meta'] as const;

const joined = (expr: string, nullText: string) => `string_agg(coalesce(${expr}, ${nullText}), chr(30))`;
const BATCH_COLUMNS = [
  'count(*) AS n',
  'to_json(list(seq))::VARCHAR AS seq',
  'to_json(list(rev))::VARCHAR AS rev',
  'to_json(list(schema_version))::VARCHAR AS schema_version',
  ...TEXT_COLUMNS.map((c) => `${joined(c, 'chr(31)')} AS ${c}`),
  ...TIME_COLUMNS.map((c) => `${joined(`replace(${c}::VARCHAR, ' ', 'T') || 'Z'`, 'chr(31)')} AS ${c}`),
  ...JSON_COLUMNS.map((c) => `${joined(`${c}::VARCHAR`, "'null'")} AS ${c}`),
].join(', ');

/**
 * One column of a batch: its values joined by RS in one string, read value by value. The
 * values are cut out as they are needed (not split up front), so each lives only as long as
 * the event that holds it: a batch's worth of small strings would outlive V8's young
 * generation and cost major collections.
 */
class Joined {
  private at = 0;
  constructor(private readonly text: string, private readonly nullable: boolean) {}
  static check(text: string, n: number): boolean {
    let count = 1;
    for (let i = text.indexOf(RS); i !== -1; i = text.indexOf(RS, i + 1)) count++;
    return count === n;
  }
  next(): string | null {
    if (this.at > this.text.length) throw new Error('internal: a batch column has fewer values than rows');
    let end = this.text.indexOf(RS, this.at);
    if (end === -1) end = this.text.length;
    const value = this.text.slice(this.at, end);
    this.at = end + 1;
    return this.nullable && value === NULL ? null : value;
  }
}

/** Values of a column that had to come as a JSON array (one held the separator). */
class Listed {
  private at = 0;
  constructor(private readonly values: (string | null)[]) {}
  next(): string | null {
    return this.values[this.at++] ?? null;
  }
}

type Reader = Joined | Listed;

interface Batch {
  n: number;
  seq: number[];
  rev: (number | null)[];
  schema_version: number[];
  columns: Record<(typeof TEXT_COLUMNS)[number] | (typeof TIME_COLUMNS)[number] | (typeof JSON_COLUMNS)[number], Reader>;
}

/** A time column's value ('2025-08-26T09:30:00.0051Z', zeros trimmed) as ISO with nine digits. */
function isoOf(text: string | null): string | null {
  if (text === null || text.length === 30) return text;
  const frac = text.length > 21 ? text.slice(20, -1) : '';
  return `${text.slice(0, 19)}.${frac.padEnd(9, '0')}Z`;
}

/**
 * The events of a cut (a condition on events), redeliveries left out, in seq order, in slices.
 * Each query reads a batch of seq values with DuckDB on one thread: the lists of one batch then
 * come in scan order, the same for every column (a parallel aggregate would interleave them),
 * and scan order is seq order in a store written by ingest; a batch that is not (checked) is
 * read again sorted. The next batch is read while the current one is folded.
 */
export async function* replayEvents(store: Store, cut: string, batchSize = BATCH): AsyncGenerator<ReplayEvent[]> {
  const [bounds] = await store.all(`SELECT min(seq)::VARCHAR AS lo, max(seq)::VARCHAR AS hi FROM events WHERE (${cut})`);
  if (!bounds || bounds.lo === null) return;
  const lo = BigInt(String(bounds.lo));
  const hi = BigInt(String(bounds.hi));
  const read = async (from: bigint, sorted = false): Promise<Batch | null> => {
    const to = from + BigInt(batchSize) - 1n;
    const where = `seq BETWEEN ${from} AND ${to < hi ? to : hi} AND (${cut}) AND dup_kind IS DISTINCT FROM 'redelivery'`;
    const source = sorted ? `(SELECT * FROM events WHERE ${where} ORDER BY seq)` : `events WHERE ${where}`;
    const [row] = await store.all(`SELECT ${BATCH_COLUMNS} FROM ${source}`);
    const n = Number(row?.n ?? 0);
    if (!row || n === 0) return null;
    const seq = JSON.parse(String(row.seq)) as number[];
    for (let i = 1; i < n; i++) if (seq[i]! <= seq[i - 1]!) return sorted ? bug(`seq out of order in ${from}…`) : read(from, true);
    const columns = {} as Batch['columns'];
    for (const c of [...TIME_COLUMNS, ...JSON_COLUMNS]) {
      // DuckDB's time text and JSON text (which escapes control characters) never hold RS.
      columns[c] = new Joined(String(row[c]), !(JSON_COLUMNS as readonly string[]).includes(c));
    }
    for (const c of TEXT_COLUMNS) {
      const text = String(row[c]);
      if (Joined.check(text, n)) {
        columns[c] = new Joined(text, true);
        continue;
      }
      // A value holding the separator itself: that column comes as a JSON array instead.
      const [again] = await store.all(`SELECT to_json(list(${c} ORDER BY seq))::VARCHAR AS v FROM events WHERE ${where}`);
      columns[c] = new Listed(JSON.parse(String(again!.v)) as (string | null)[]);
    }
    return { n, seq, rev: JSON.parse(String(row.rev)), schema_version: JSON.parse(String(row.schema_version)), columns };
  };
  const threads = (await store.all(`SELECT current_setting('threads')::INTEGER AS n`))[0]?.n;
  await store.run('SET threads = 1');
  let next: Promise<Batch | null> | null = null;
  try {
    let from = lo;
    next = read(from);
    while (next) {
      const batch = await next;
      from += BigInt(batchSize);
      next = from <= hi ? read(from) : null;
      if (batch) for (const slice of toEvents(batch)) yield slice;
    }
  } finally {
    // A read may still be running when the consumer stopped (a projection threw).
    await next?.catch(() => null);
    await store.run(`SET threads = ${Number(threads) || 1}`);
  }
}

function bug(message: string): never {
  throw new Error(`internal: ${message}`);
}

/**
 * An event as a projection gets it, its `data` and `meta` parsed from their JSON text when
 * first read: V8's JSON.parse costs about 1 µs per event's data, more than all the rest of the
 * replay, and most projections read the data of a few types only (and meta rarely).
 * - `data` is an own, enumerable accessor property (in the envelope's field order), so
 *   `{ ...event }`, `Object.keys(event)` and `JSON.stringify(event)` see it as with a parsed
 *   object; assigning it (an upcaster's result, a projection's own change) replaces the value.
 * - `meta` is a getter on the prototype (an own one costs ~0.25 µs per event, a tenth of the
 *   budget): `{ ...event }` does not copy it; `event.meta` and `JSON.stringify(event)` do.
 */
class StoredEvent implements ReplayEvent {
  #dataText: string;
  #data: unknown = undefined;
  #dataRead = false;
  #metaText: string;
  #meta: unknown = undefined;
  #metaRead = false;
  declare data: unknown;
  declare readonly dup_kind: 'conflict' | null;
  constructor(
    readonly seq: number,
    readonly id: string,
    readonly stream: string | null,
    readonly rev: number | null,
    readonly type: string,
    public schema_version: number,
    readonly ts: string | null,
    readonly recorded_ts: string | null,
    readonly correlation_id: string | null,
    readonly causation_id: string | null,
    readonly source: string | null,
    dataText: string,
    metaText: string,
    dupKind: 'conflict' | null,
  ) {
    // One shared descriptor: every event gets the same hidden class (fast property access).
    Object.defineProperty(this, 'data', StoredEvent.DATA);
    this.dup_kind = dupKind;
    this.#dataText = dataText;
    this.#metaText = metaText;
  }
  static readonly DATA: PropertyDescriptor = {
    get(this: StoredEvent) {
      if (!this.#dataRead) {
        this.#data = JSON.parse(this.#dataText);
        this.#dataRead = true;
      }
      return this.#data;
    },
    set(this: StoredEvent, value: unknown) {
      this.#data = value;
      this.#dataRead = true;
    },
    enumerable: true,
    configurable: true,
  };
  get meta(): unknown {
    if (!this.#metaRead) {
      this.#meta = JSON.parse(this.#metaText);
      this.#metaRead = true;
    }
    return this.#meta;
  }
  toJSON(): ReplayEvent {
    return {
      seq: this.seq, id: this.id, stream: this.stream, rev: this.rev, type: this.type, schema_version: this.schema_version,
      ts: this.ts, recorded_ts: this.recorded_ts, correlation_id: this.correlation_id, causation_id: this.causation_id,
      source: this.source, data: this.data, meta: this.meta, dup_kind: this.dup_kind,
    };
  }
}

/** Events handed over a slice at a time, so they die young unless the projection keeps them. */
const SLICE = 2048;

function* toEvents(b: Batch): Generator<ReplayEvent[]> {
  const { id, stream, type, correlation_id, causation_id, source, dup_kind, ts, recorded_ts, data, meta } = b.columns;
  for (let start = 0; start < b.n; start += SLICE) {
    const end = Math.min(b.n, start + SLICE);
    const out: ReplayEvent[] = new Array(end - start);
    for (let i = start; i < end; i++) {
      out[i - start] = new StoredEvent(
        b.seq[i]!,
        id.next()!,
        stream.next(),
        b.rev[i]!,
        type.next()!,
        b.schema_version[i]!,
        isoOf(ts.next()),
        isoOf(recorded_ts.next()),
        correlation_id.next(),
        causation_id.next(),
        source.next(),
        data.next()!,
        meta.next()!,
        dup_kind.next() as 'conflict' | null,
      );
    }
    yield out;
  }
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
