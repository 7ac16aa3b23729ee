/**
 * Reading trace events from the store: lookups by id, causation id, correlation id, stream and
 * business key. Two round trips, each pruned by DuckDB's zonemaps:
 *  1. the seqs, from the trace index (`h IN (hash(…))` on tables sorted by h) up to its
 *     watermark, plus a seq-pruned scan of the events past it;
 *  2. the events, by seq ranges (`seq BETWEEN lo AND hi AND seq IN (…)` per cluster of nearby
 *     seqs), skipping the ones already read; every value is checked on the event itself, so a
 *     hash collision costs a row, never a wrong answer.
 * (A join `seq IN (SELECT seq FROM trace_… )` in one query looks simpler, but on the 10M-event
 * store it cost twice the two statements: 8.6 against 1.2 + 3.1 ms of CPU, BENCHMARKS.md.)
 *
 * Fewer round trips per trace (issue 21): on a read-only store the small trace_xcauses table is
 * read once and matched in memory against the hash(id) read with each event, and the stream
 * revisions' index lookup rides along with the next lookup's statement (prefetchStreams). An
 * order's trace is three statements: its seqs, its events, its correlation with its stream.
 */
import { sqlString } from '../store/sql.js';
import type { Row, Store } from '../store/store.js';
import type { StreamRevision, TraceEvent } from './graph.js';
import { indexStatus, keyValueSql, type IndexStatus, type KeyPath } from './trace-index.js';
import { nsToIso } from '../core/time.js';

export type LookupKind = 'id' | 'cause' | 'xcause' | 'correlation' | 'stream';

const LOOKUPS: Record<LookupKind, { table: string; column: string; field: (e: TraceEvent) => string | null; small?: boolean }> = {
  id: { table: 'trace_ids', column: 'id', field: (e) => e.id },
  cause: { table: 'trace_causes', column: 'causation_id', field: (e) => e.causationId },
  // Effects outside their cause's correlation: a small table, read whole.
  xcause: { table: 'trace_xcauses', column: 'causation_id', field: (e) => e.causationId, small: true },
  correlation: { table: 'trace_corrs', column: 'correlation_id', field: (e) => e.correlationId },
  stream: { table: 'trace_streams', column: 'stream', field: (e) => e.stream },
};

/**
 * The event columns trace reads; the time as exact epoch nanoseconds (text), turned into ISO in
 * JavaScript (the evt_iso macro would need MACROS_SQL on the connection: 40 ms per process).
 */
export const EVENT_COLUMNS = `seq, id, type, stream, rev, epoch_ns(ts)::VARCHAR AS tns, source,
  correlation_id, causation_id, dup_kind, dup_of, data::VARCHAR AS data`;
/** Up to this many values, an index lookup is one `h = hash(…)` per value (each prunes to one row group). */
const EQUALITY_LOOKUPS = 64;

/** Values per query: they go into the SQL as quoted literals so DuckDB prunes on each. */
const BATCH = 500;
/** Seqs closer than this are read with one range (a row group holds 122,880 rows). */
const CLUSTER_GAP = 65_536;

/** One lookup: events whose `kind` (or business key) is one of `values`. */
export interface Probe {
  tag: string;
  kind: LookupKind | KeyPath;
  values: readonly string[];
}

export type TaggedEvents = Map<string, TraceEvent[]>;

/**
 * JSON.parse, except that an integer beyond 2^53 (an id such as 9007199254740993, which a double
 * would make …992) becomes its exact digits as a string: the trace keys sagas and business keys
 * by these values, and SQL reads them exactly. Strings are matched first, so no digit inside one
 * is touched.
 */
export function parseKeepingLongIntegers(text: string): unknown {
  if (!/[0-9]{16}/.test(text)) return JSON.parse(text);
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|-?[0-9]{16,}(?![.eE0-9])/g, (token) =>
    token.startsWith('"') || Number.isSafeInteger(Number(token)) ? token : `"${token}"`));
}

export function toTraceEvent(row: Row): TraceEvent {
  let data: Record<string, unknown> | null = null;
  if (typeof row.data === 'string') {
    try {
      const parsed = parseKeepingLongIntegers(row.data);
      data = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      data = null;
    }
  }
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const tsNs = typeof row.tns === 'string' ? BigInt(row.tns) : null;
  return {
    seq: Number(row.seq),
    id: String(row.id),
    type: String(row.type),
    stream: (row.stream as string | null) ?? null,
    rev: num(row.rev),
    ts: tsNs === null ? null : nsToIso(tsNs),
    tsNs,
    source: (row.source as string | null) ?? null,
    correlationId: (row.correlation_id as string | null) ?? null,
    causationId: (row.causation_id as string | null) ?? null,
    dupKind: row.dup_kind === 'redelivery' || row.dup_kind === 'conflict' ? row.dup_kind : null,
    dupOf: num(row.dup_of),
    data,
  };
}

/** The tag of a queued stream's index hits (prefetchStreams), followed by the stream. */
const PREFETCH = 'prefetch:stream:';

/** trace_xcauses is read whole into memory (once per read-only store) when it has at most this many rows. */
const XCAUSES_IN_MEMORY = 100_000;

export class EventSource {
  /** Every event read so far, by seq: a trace reads most of its events more than once. */
  private readonly cache = new Map<number, TraceEvent>();
  /** hash(id) of each cached event's id, as DuckDB's hash() gives it: finds it in trace_xcauses without SQL. */
  private readonly idHashes = new Map<string, string>();
  /**
   * Streams whose index hits were asked alongside an earlier lookup (prefetchStreams), and
   * those hits (candidate seqs): streamRevisions then needs no round trip of its own for them.
   */
  private readonly streamsQueued = new Set<string>();
  private readonly streamHits = new Map<string, number[]>();
  /** Business-key values of cached events (key path → seq → value), read in SQL. */
  private readonly keyValues = new Map<string, Map<number, string | null>>();
  queries = 0;

  private constructor(
    readonly store: Store,
    readonly status: IndexStatus,
  ) {}

  static async open(store: Store): Promise<EventSource> {
    return new EventSource(store, await indexStatus(store));
  }

  get indexed(): boolean {
    return this.status.state !== null;
  }

  /** Whether lookups on this key path use the index (else they scan). */
  keyIndexed(key: KeyPath): boolean {
    return this.indexed && this.status.keyPaths.includes(key.path);
  }

  private async all(sql: string): Promise<Row[]> {
    this.queries++;
    return this.store.all(sql);
  }

  /**
   * Streams whose revisions will be asked for (streamRevisions): their index hits ride along
   * with the next lookup's statement instead of a round trip of their own.
   */
  prefetchStreams(streams: Iterable<string>): void {
    for (const s of streams) if (!this.streamHits.has(s)) this.streamsQueued.add(s);
  }

  /** The SQL parts (index lookups, scans past the watermark) that find a probe's candidate seqs, tagged. */
  private probeParts(probe: Probe): { index: string[]; scan: string[] } {
    const index: string[] = [];
    const scan: string[] = [];
    const isKey = typeof probe.kind !== 'string';
    for (let i = 0; i < probe.values.length; i += BATCH) {
      const batch = probe.values.slice(i, i + BATCH);
      const list = batch.map(sqlString).join(', ');
      const tag = sqlString(probe.tag);
      const indexed = isKey ? this.keyIndexed(probe.kind as KeyPath) : this.indexed;
      const valueSql = isKey ? keyValueSql(probe.kind as KeyPath) : LOOKUPS[probe.kind as LookupKind].column;
      if (indexed && this.status.watermark > 0) {
        const table = isKey ? 'trace_keys' : LOOKUPS[probe.kind as LookupKind].table;
        const hashes = batch.map((v) => (isKey ? `hash(${sqlString((probe.kind as KeyPath).path)}, ${sqlString(v)})` : `hash(${sqlString(v)})`));
        // DuckDB prunes row groups for each value of a short IN list only by its min and max,
        // which for random hashes is the whole table; one equality per value prunes each.
        const small = !isKey && LOOKUPS[probe.kind as LookupKind].small === true;
        if (hashes.length <= EQUALITY_LOOKUPS && !small) for (const h of hashes) index.push(`SELECT ${tag} AS tag, seq FROM ${table} WHERE h = ${h}`);
        else index.push(`SELECT ${tag} AS tag, seq FROM ${table} WHERE h IN (${hashes.join(', ')})`);
      }
      const from = indexed ? this.status.watermark : 0;
      if (!indexed || this.status.tail > 0) scan.push(`SELECT ${tag} AS tag, seq FROM events WHERE seq > ${from} AND ${valueSql} IN (${list})`);
    }
    return { index, scan };
  }

  /**
   * trace_xcauses in memory (hash → seqs), read once per read-only store, when it is small
   * enough; null: ask DuckDB each time.
   */
  private async xcauses(): Promise<Map<string, number[]> | null> {
    if (!this.indexed || this.status.watermark === 0 || !this.store.readOnly) return null;
    return this.store.remember('trace-xcauses', async () => {
      this.queries++;
      const rows = await this.store.all(`SELECT h::VARCHAR AS h, seq FROM trace_xcauses LIMIT ${XCAUSES_IN_MEMORY + 1}`);
      if (rows.length > XCAUSES_IN_MEMORY) return null;
      const byHash = new Map<string, number[]>();
      for (const r of rows) {
        const h = String(r.h);
        const list = byHash.get(h);
        if (list) list.push(Number(r.seq));
        else byHash.set(h, [Number(r.seq)]);
      }
      return byHash;
    });
  }

  /** Runs probes; returns the matching events per tag (every delivery, by seq). */
  async lookup(probes: readonly Probe[], keys?: readonly KeyPath[]): Promise<TaggedEvents>;
  async lookup(probes: readonly Probe[], keys: readonly KeyPath[], maxRows: number): Promise<TaggedEvents | null>;
  async lookup(probes: readonly Probe[], keys: readonly KeyPath[] = [], maxRows = Infinity): Promise<TaggedEvents | null> {
    const out: TaggedEvents = new Map(probes.map((p) => [p.tag, []]));
    const wanted = new Map<number, Set<string>>(); // seq → tags that may match it
    const want = (seq: number, tag: string) => {
      const tags = wanted.get(seq);
      if (tags) tags.add(tag);
      else wanted.set(seq, new Set([tag]));
    };
    const indexParts: string[] = [];
    const scanParts: string[] = [];
    const keyList = [...keys];
    const memory = probes.some((p) => p.kind === 'xcause' && p.values.length > 0) ? await this.xcauses() : null;
    for (const probe of probes) {
      const isKey = typeof probe.kind !== 'string';
      if (isKey && !keyList.some((k) => k.path === (probe.kind as KeyPath).path)) keyList.push(probe.kind as KeyPath);
      // Effects outside their cause's correlation, from memory, for causes whose id hash came
      // with their event; other ids, and the events past the index, go to DuckDB as before.
      if (memory && probe.kind === 'xcause') {
        const known = probe.values.filter((v) => this.idHashes.has(v));
        const unknown = probe.values.filter((v) => !this.idHashes.has(v));
        for (const v of known) for (const seq of memory.get(this.idHashes.get(v)!) ?? []) want(seq, probe.tag);
        if (unknown.length > 0) {
          const parts = this.probeParts({ ...probe, values: unknown });
          indexParts.push(...parts.index);
          scanParts.push(...parts.scan);
        }
        if (known.length > 0) scanParts.push(...this.probeParts({ ...probe, values: known }).scan);
        continue;
      }
      const parts = this.probeParts(probe);
      indexParts.push(...parts.index);
      scanParts.push(...parts.scan);
    }
    // Streams queued for their revisions: their candidate seqs, kept apart per stream (not read
    // now). Up to EQUALITY_LOOKUPS of them (one lookup each); more are left to streamRevisions.
    const queued = [...this.streamsQueued];
    this.streamsQueued.clear();
    if (queued.length <= EQUALITY_LOOKUPS) {
      for (const stream of queued) {
        const parts = this.probeParts({ tag: `${PREFETCH}${stream}`, kind: 'stream', values: [stream] });
        indexParts.push(...parts.index);
        scanParts.push(...parts.scan);
        this.streamHits.set(stream, []);
      }
    }
    const parts = [...indexParts, ...scanParts];
    if (parts.length > 0) {
      for (const row of await this.all(parts.join('\nUNION ALL\n'))) {
        const tag = String(row.tag);
        if (tag.startsWith(PREFETCH)) this.streamHits.get(tag.slice(PREFETCH.length))?.push(Number(row.seq));
        else want(Number(row.seq), tag);
      }
    }
    if (wanted.size > maxRows) return null;
    await this.read([...wanted.keys()], keyList);
    // Check each candidate's value on the event itself.
    const valueSets = new Map(probes.map((p) => [p.tag, new Set(p.values)]));
    const byTag = new Map(probes.map((p) => [p.tag, p]));
    for (const [seq, tags] of [...wanted].sort((a, b) => a[0] - b[0])) {
      const e = this.cache.get(seq);
      if (!e) continue;
      for (const tag of tags) {
        const probe = byTag.get(tag)!;
        const value =
          typeof probe.kind === 'string' ? LOOKUPS[probe.kind].field(e) : (this.keyValues.get(probe.kind.path)?.get(seq) ?? null);
        if (value !== null && valueSets.get(tag)!.has(value)) out.get(tag)!.push(e);
      }
    }
    return out;
  }

  /** Reads the events with these seqs into the cache (with the values of these key paths). */
  private async read(seqs: readonly number[], keys: readonly KeyPath[]): Promise<void> {
    const missing = seqs.filter((s) => !this.cache.has(s) || keys.some((k) => !this.keyValues.get(k.path)?.has(s)));
    if (missing.length === 0) return;
    missing.sort((a, b) => a - b);
    const keyColumns = keys.map((k, i) => `, ${keyValueSql(k)} AS key_${i}`).join('');
    const parts: string[] = [];
    for (const cluster of clusters(missing)) {
      const lo = cluster[0]!;
      const hi = cluster[cluster.length - 1]!;
      const where = lo === hi ? `seq = ${lo}` : `seq BETWEEN ${lo} AND ${hi} AND seq IN (${cluster.join(', ')})`;
      parts.push(`SELECT ${EVENT_COLUMNS}, hash(id)::VARCHAR AS hid${keyColumns} FROM events WHERE ${where}`);
    }
    for (let i = 0; i < parts.length; i += 64) {
      for (const row of await this.all(parts.slice(i, i + 64).join('\nUNION ALL\n'))) {
        const e = this.cache.get(Number(row.seq)) ?? toTraceEvent(row);
        this.cache.set(e.seq, e);
        this.idHashes.set(e.id, String(row.hid));
        keys.forEach((k, j) => {
          let m = this.keyValues.get(k.path);
          if (!m) this.keyValues.set(k.path, (m = new Map()));
          const v = row[`key_${j}`];
          m.set(e.seq, v === null || v === undefined ? null : String(v));
        });
      }
    }
  }

  async events(kind: LookupKind, values: Iterable<string>): Promise<TraceEvent[]> {
    return (await this.lookup([{ tag: 'x', kind, values: [...new Set(values)] }])).get('x')!;
  }

  /**
   * One round trip pair for a causation step: the events with these ids (going up), the events
   * caused by these ids (going down), and the events outside their correlation caused by
   * `crossDown` ids (for events whose whole correlation is already read).
   */
  async step(up: readonly string[], down: readonly string[], crossDown: readonly string[] = []): Promise<{ up: TraceEvent[]; down: TraceEvent[] }> {
    const probes: Probe[] = [];
    if (up.length) probes.push({ tag: 'up', kind: 'id', values: [...new Set(up)] });
    if (down.length) probes.push({ tag: 'down', kind: 'cause', values: [...new Set(down)] });
    if (crossDown.length) probes.push({ tag: 'xdown', kind: 'xcause', values: [...new Set(crossDown)] });
    const found = await this.lookup(probes);
    return { up: found.get('up') ?? [], down: [...(found.get('down') ?? []), ...(found.get('xdown') ?? [])] };
  }

  /**
   * Every revision of these streams (stream, rev, id, seq), for revision-gap checks; null when
   * the streams hold more than `max` events (then only the trace's own events are checked).
   */
  async streamRevisions(streams: Iterable<string>, max: number): Promise<StreamRevision[] | null> {
    const all = [...new Set(streams)];
    for (const s of all) this.streamsQueued.delete(s);
    const rest = all.filter((s) => !this.streamHits.has(s));
    let events: TaggedEvents | null;
    if (rest.length === all.length) {
      events = await this.lookup([{ tag: 's', kind: 'stream', values: all }], [], max);
    } else {
      // Part of the candidates came with an earlier lookup (prefetchStreams): the same set as
      // one lookup of every stream, so the same limit and the same check on each event.
      const wanted = new Set(all.flatMap((s) => this.streamHits.get(s) ?? []));
      if (rest.length > 0) {
        const parts = this.probeParts({ tag: 's', kind: 'stream', values: rest });
        const sql = [...parts.index, ...parts.scan].join('\nUNION ALL\n');
        if (sql) for (const row of await this.all(sql)) wanted.add(Number(row.seq));
      }
      if (wanted.size > max) return null;
      await this.read([...wanted], []);
      const names = new Set(all);
      events = new Map([['s', [...wanted].sort((a, b) => a - b).map((seq) => this.cache.get(seq)).filter((e): e is TraceEvent => e !== undefined && e.stream !== null && names.has(e.stream))]]);
    }
    if (events === null) return null;
    return events
      .get('s')!
      .filter((e) => e.stream !== null && e.rev !== null)
      .map((e) => ({ stream: e.stream!, rev: e.rev!, id: e.id, seq: e.seq }));
  }
}

/** Sorted seqs → runs where neighbours are closer than CLUSTER_GAP. */
function clusters(sorted: readonly number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const s of sorted) {
    if (cur.length > 0 && (s - cur[cur.length - 1]! > CLUSTER_GAP || cur.length >= BATCH)) {
      out.push(cur);
      cur = [];
    }
    cur.push(s);
  }
  if (cur.length) out.push(cur);
  return out;
}
