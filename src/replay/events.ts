/**
 * The events a custom projection folds: a cut's events streamed from DuckDB in seq order,
 * redeliveries left out, conflicts marked (dup_kind 'conflict'), `data` and `meta` parsed on
 * first read (StoredEvent). The SQL and its decoding only; ./custom.ts loads and folds.
 *
 * Speed (the budget: ≥ 500k events/s): a per-event JSON text would cost a JSON.parse of the
 * whole envelope and a native call per string; instead one query per batch of seq values
 * returns each column as one string (a JSON array, or the texts joined by a record separator),
 * so the JavaScript side does a handful of native calls per batch, cuts each value out of its
 * column and parses data / meta only when the projection reads them (parsing every data was a
 * third of the JavaScript side's time). The next batch is read by DuckDB (its own thread)
 * while the current one is folded.
 */
import type { EnvelopeEvent } from '../core/envelope.js';
import type { Store } from '../store/store.js';

export type ReplayEvent = EnvelopeEvent & { dup_kind: 'conflict' | null };

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
