/**
 * `evtrail replay`: the state of a projection as of a point of the log (--at), one entity
 * (--key), or what changed between two points (--diff). Built-in projections run as SQL inside
 * DuckDB and stream their rows; custom ones (a JavaScript module) fold events streamed from
 * DuckDB in seq order (./custom.ts).
 *
 * Output (docs/architecture.md §3): --json `{ "at", "projection", "rows": [...] }` (with --diff also "diff",
 * and rows `{ <key>, change, fields, before, after }`), --csv, an ink table in a terminal,
 * plain text in a pipe. The same store gives the same bytes: rows come in key order and every
 * number is computed in a fixed order.
 */
import { nearest } from '../core/suggest.js';
import { isJsonMode, type OutputMode } from '../output/mode.js';
import { exactRows, writeJsonObjects } from '../output/json-rows.js';
import { jsonCell, stringifyJson } from '../output/json.js';
import { printTables, toCsv, type Cell, type TableData } from '../output/table.js';
import { terminalSafe, writeOut as write } from '../output/terminal.js';
import { UserError } from '../core/errors.js';
import { applyLens } from '../store/lens.js';
import { MACROS_SQL } from '../store/macros.js';
import { Store, type Statement } from '../store/store.js';
import { storeTimeZones } from '../store/time-zones.js';
import { afterLastEvent, atCondition, atFields, atLabel, parseAt, type At, type StoreBounds } from '../core/time.js';
import { exactInteger } from '../output/json-values.js';
import { BUILTINS, builtin, builtinSql, type BuiltinProjection } from './builtins.js';
import { raw, sql, sqlString, type Fragment } from '../store/sql.js';
import { defineField, isCustomProjectionPath, loadCustomProjection, replayCustom, type CustomProjection } from './custom.js';
import { builtinFromSnapshotSql, customStateOf, findSnapshot, type SnapshotInfo } from './snapshots.js';
import { loadUpcasters, type LoadedUpcasters } from './upcasters.js';

export interface ReplayFlags {
  db: string;
  at?: string;
  projection: string;
  key?: string;
  diff?: string;
  limit: string;
  mode: OutputMode;
  /** false: ignore snapshots (--no-snapshots). */
  snapshots?: boolean;
  /** Another version of the (custom) projection to diff against, entity by entity. */
  compare?: string;
  /** An upcaster module applied to every event before a custom projection (./upcasters.ts). */
  upcasters?: string;
  /** book: one symbol, the top N levels, a seed (an orderbook-file row, FILE:ROW). */
  symbol?: string;
  levels?: string;
  seedBook?: string;
  /** book: N of the level-N LOBSTER pair, when the seed's file name does not say it. */
  levelsInFile?: string;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

/** Rows as DuckDB streams them: JSON-safe values, chunk by chunk. */
export interface RowSet {
  columns: string[];
  /** Which columns hold JSON text (parsed for --json). */
  jsonColumns: boolean[];
  rows: AsyncIterable<unknown[][]>;
}

type Projection = { kind: 'builtin'; def: BuiltinProjection } | { kind: 'custom'; def: CustomProjection };

export async function runReplayCommand(flags: ReplayFlags): Promise<void> {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit ${flags.limit}: expected a whole number`, 'e.g. --limit 50');
  if (flags.key !== undefined && flags.key.trim() === '') throw new UserError('--key needs a value', 'e.g. --key ord-00000042');
  // Modules are loaded before the store is opened: a broken module is reported first.
  const upcasters = await resolveUpcasters(flags.upcasters, flags.projection);
  const projection = await resolveProjection(flags.projection, upcasters);
  const baseline = flags.compare === undefined ? undefined : await resolveProjection(flags.compare, upcasters, '--compare');
  if (baseline && (baseline.kind !== 'custom' || projection.kind !== 'custom')) {
    throw new UserError('--compare diffs two versions of a projection module', 'e.g. --projection ./v2.mjs --compare ./v1.mjs');
  }
  if (baseline && flags.diff !== undefined) throw new UserError('--compare and --diff cannot go together', 'compare two versions at one point (--at), or one version between two points (--diff)');
  const isBook = projection.kind === 'builtin' && projection.def.name === 'book';
  for (const [flag, value] of [['--symbol', flags.symbol], ['--levels', flags.levels], ['--seed-book', flags.seedBook], ['--levels-in-file', flags.levelsInFile]] as const) {
    if (value !== undefined && !isBook) throw new UserError(`${flag} goes with --projection book`, `e.g. evtrail replay --at 34500.5 --projection book ${flag} ${value}`);
  }
  // The book's key is its symbol: --key and --symbol say the same there.
  if (isBook && flags.symbol !== undefined && flags.key !== undefined && flags.symbol !== flags.key) throw new UserError('--key and --symbol differ', 'the book\'s key is its symbol: give one of them');
  if (isBook) flags = { ...flags, symbol: flags.symbol ?? flags.key, key: flags.key ?? flags.symbol };
  if (isBook && flags.diff !== undefined && (flags.seedBook !== undefined || flags.levels !== undefined)) {
    throw new UserError('--diff of the book compares the books from the messages alone', 'drop --seed-book / --levels, or replay the seeded book at each point');
  }
  const store = await Store.open(flags.db, { readOnly: true });
  try {
    // Through the store's vocabulary mapping and --tenant. Snapshots were taken of the table as
    // it is (every tenant, the store's own names): not used through a lens.
    await applyLens(store, flags.tenant === undefined ? {} : { tenant: flags.tenant });
    if (store.lensSql !== null && flags.snapshots !== false) flags = { ...flags, snapshots: false };
    await store.run(MACROS_SQL);
    const bounds = await storeBounds(store);
    const at = parseAt(flags.at ?? (bounds.lastSeq === null ? 'seq:0' : `seq:${bounds.lastSeq}`), bounds, '--at');
    const name = projection.def.name;
    const past = afterLastEvent(at, bounds);
    if (past) note(`--at ${flags.at} is after the last event (seq ${past.seq}, ${past.ts}): the state shown is the end of the log`);
    const pastFields = past ? { afterLastEvent: { seq: exactInteger(past.seq), ts: past.ts } } : {};
    // A key the log never mentions is a mistake (exit 2, with the nearest keys), as in trace:
    // checked up front for --diff / --compare (a built-in's key is one filtered scan), and for
    // one cut only when the cut has no row for it (what costs a custom projection a replay).
    if (flags.key !== undefined && (flags.diff !== undefined || baseline) && projection.kind === 'builtin') await checkKeyKnown(store, projection, flags.key, bounds);
    if (baseline?.kind === 'custom' && projection.kind === 'custom') {
      const diff = await compareCustom(store, baseline.def, projection.def, at, flags.key);
      await printDiff(flags.mode, {
        head: { ...atFields(at), projection: name, compare: baseline.def.name, ...pastFields },
        title: `${name} (--projection) against ${baseline.def.name} (--compare) as of ${atLabel(at)}${flags.key !== undefined ? `, ${flags.key}` : ''}`,
        key: flags.key, keyColumns: diff.keyColumns, rows: diff.rows, limit,
      });
      return;
    }
    if (flags.diff !== undefined) {
      const to = parseAt(flags.diff, bounds, '--diff');
      const find = async (point: At) => (flags.snapshots === false ? null : await findSnapshot(store, projection, point, note));
      const snaps = { from: await find(at), to: await find(to) };
      for (const sn of new Set([snaps.from?.seq, snaps.to?.seq])) if (sn !== undefined) note(`replayed from the snapshot at seq ${sn}`);
      const diff = await diffRows(store, projection, at, to, flags.key, snaps);
      await printDiff(flags.mode, {
        head: { ...atFields(at), diff: atFields(to).at, projection: name, ...pastFields },
        title: `${name}${flags.key !== undefined ? ` ${flags.key}` : ''}: what changed from ${atLabel(at)} to ${atLabel(to)}`,
        key: flags.key, keyColumns: diff.keyColumns, rows: diff.rows, limit,
      });
      return;
    }
    if (isBook) {
      const { runBookReplay } = await import('./book-replay.js');
      await runBookReplay(store, { symbol: flags.symbol, levels: flags.levels, seedBook: flags.seedBook, levelsInFile: flags.levelsInFile, limit, mode: flags.mode, snapshots: flags.snapshots }, at);
      return;
    }
    const snap = flags.snapshots === false ? null : await findSnapshot(store, projection, at, note);
    if (snap) note(`replayed from the snapshot at seq ${snap.seq}`);
    let rows = await projectionRows(store, projection, at, flags.key, snap);
    if (flags.key !== undefined) {
      const peeked = await peekRows(rows);
      if (peeked.empty) await checkKeyKnown(store, projection, flags.key, bounds);
      rows = peeked.rows;
    }
    await printRows(flags.mode, { at, projection: name, key: flags.key, rows, limit, note: projection.kind === 'builtin' ? projection.def.note : undefined, head: pastFields });
  } catch (error) {
    // DuckDB's own limit, not a bug: say how to give it more room.
    if (error instanceof Error && /^Out of Memory Error/.test(error.message)) {
      throw new UserError(
        `the replay needs more memory than the store may use (${process.env.EVTRAIL_MEMORY_LIMIT ?? '1200MB'})`,
        'set EVTRAIL_MEMORY_LIMIT higher (e.g. EVTRAIL_MEMORY_LIMIT=4GB), or replay an earlier cut or one --key',
      );
    }
    throw error;
  } finally {
    store.close();
  }
}

/** Whether a RowSet has no row, reading only up to its first non-empty chunk (which it keeps). */
async function peekRows(set: RowSet): Promise<{ empty: boolean; rows: RowSet }> {
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

/**
 * --key: refused (exit 2) when no event of the whole log names it, with the closest keys the log
 * has (by edit distance), as trace does for an unknown id. A key that exists but not yet at the
 * cut is not an error: the table says there is no row at that point.
 */
async function checkKeyKnown(store: Store, p: Projection, key: string, bounds: StoreBounds): Promise<void> {
  let names: string[];
  if (p.kind === 'builtin') {
    const namesSql = p.def.keyNames;
    if (!namesSql) return;
    const [hit] = await store.all(`SELECT 1 AS hit FROM (${namesSql}) WHERE name = $key LIMIT 1`, { key });
    if (hit) return;
    names = (await store.all(`SELECT name FROM (SELECT DISTINCT name FROM (${namesSql}) WHERE name IS NOT NULL)
      ORDER BY levenshtein(lower(name), $lower), levenshtein(name, $key), name LIMIT 5`, { key, lower: key.toLowerCase() })).map((r) => String(r.name));
  } else {
    // A custom projection's keys are what its keyOf returns: known only by replaying the log.
    if (!p.def.keyOf || bounds.lastSeq === null) return;
    const rows = await replayCustom(store, p.def, 'true');
    const keys = rows.map((r) => String(r.key));
    if (keys.includes(key)) return;
    names = nearest(keys, key, 5);
  }
  throw new UserError(
    `--key ${key}: no ${p.def.name} entity with this key in the store`,
    names.length > 0 ? `closest: ${names.join(', ')}` : `evtrail replay --projection ${p.kind === 'builtin' ? p.def.name : '…'} lists the keys there are`,
  );
}

function note(text: string): void {
  process.stderr.write(`note: ${terminalSafe(text)}\n`);
}

/**
 * --upcasters: loaded for a custom projection. The built-ins run as SQL inside DuckDB over the
 * stored data and never see JavaScript, so they are refused with it rather than silently
 * replaying the events as stored (the trading pack's projections read both OrderPlaced v1 and v2).
 */
export async function resolveUpcasters(spec: string | undefined, projection: string): Promise<LoadedUpcasters | undefined> {
  if (spec === undefined) return undefined;
  if (builtin(projection)) {
    throw new UserError(
      `--upcasters applies to custom projections only: ${projection} is a built-in, computed in SQL from the events as stored`,
      'drop --upcasters, or replay a projection module (--projection ./my-projection.mjs) that gets the upcast events',
    );
  }
  return loadUpcasters(spec);
}

export async function resolveProjection(name: string, upcasters?: LoadedUpcasters, flag = '--projection'): Promise<Projection> {
  const def = builtin(name);
  if (def) return { kind: 'builtin', def };
  if (isCustomProjectionPath(name)) return { kind: 'custom', def: await loadCustomProjection(name, flag, upcasters) };
  throw new UserError(
    `${flag} ${name}: no such projection`,
    `the built-ins are ${BUILTINS.map((p) => p.name).join(', ')}; or give a module, e.g. --projection ./my-projection.mjs`,
  );
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

async function projectionRows(store: Store, p: Projection, at: At, key: string | undefined, snap: SnapshotInfo | null = null): Promise<RowSet> {
  if (p.kind === 'custom') return rowSetOf(await customAt(store, p.def, at, key, snap));
  return builtinRows(store, p.def, atCondition(at), key, undefined, snap);
}

/** A custom projection's states at a cut: from a snapshot's states when one is given, else from the first event. */
async function customAt(store: Store, def: CustomProjection, at: At, key: string | undefined, snap: SnapshotInfo | null): Promise<Record<string, unknown>[]> {
  if (!snap) return replayCustom(store, def, atCondition(at), key);
  return replayCustom(store, def, `seq > ${snap.seq} AND (${atCondition(at)})`, key, await customStateOf(store, snap));
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

// ---------------------------------------------------------------------------------------------
// Rows

interface RowsView {
  at: At;
  projection: string;
  key?: string;
  rows: RowSet;
  limit: number;
  note?: string;
  /** More members of the --json head (afterLastEvent). */
  head?: Record<string, unknown>;
}

async function printRows(mode: OutputMode, v: RowsView): Promise<void> {
  const { columns, jsonColumns } = v.rows;
  const parse = (row: unknown[]) => row.map((x, i) => (jsonColumns[i] && typeof x === 'string' ? jsonCell(x) : x));
  if (isJsonMode(mode)) {
    const head: Record<string, unknown> = { ...atFields(v.at), projection: v.projection };
    if (v.key !== undefined) head.key = v.key;
    Object.assign(head, v.head);
    const objects = (async function* () {
      for await (const chunk of v.rows.rows) {
        yield chunk.map((row) => {
          const values = parse(row);
          const obj: Record<string, unknown> = {};
          columns.forEach((c, i) => defineField(obj, c, values[i]));
          return obj;
        });
      }
    })();
    await writeJsonObjects(mode, objects, { head });
    return;
  }
  if (mode === 'csv') {
    let header = true;
    for await (const chunk of v.rows.rows) {
      const text = toCsv(columns, chunk as Cell[][]);
      await write(header ? text : text.slice(text.indexOf('\n') + 1));
      header = false;
    }
    if (header) await write(toCsv(columns, []));
    return;
  }
  const shown: Cell[][] = [];
  let total = 0;
  for await (const chunk of v.rows.rows) {
    for (const row of chunk) {
      if (shown.length < v.limit) shown.push(row as Cell[]);
      total++;
    }
  }
  const what = v.key !== undefined ? `${v.projection} ${v.key}` : v.projection;
  const count = total === 0 ? (v.key !== undefined ? `no ${v.projection} row for ${v.key} at this point` : 'no rows') : `${total} row${total === 1 ? '' : 's'}`;
  const more = total > shown.length ? `… ${total - shown.length} more rows (--limit, or --json / --csv for all)` : count;
  const table: TableData = { title: `${what} as of ${atLabel(v.at)}${v.note ? ` (${v.note})` : ''}`, columns, rows: shown, note: more };
  await printTables(mode, [table]);
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface DiffRow {
  key: Record<string, unknown>;
  change: 'added' | 'removed' | 'changed';
  fields: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

type SnapshotPair = { from: SnapshotInfo | null; to: SnapshotInfo | null };

async function diffRows(store: Store, p: Projection, from: At, to: At, key: string | undefined, snaps: SnapshotPair = { from: null, to: null }): Promise<{ keyColumns: string[]; rows: DiffRow[] }> {
  if (p.kind === 'custom') {
    const a = await customAt(store, p.def, from, key, snaps.from);
    const b = await customAt(store, p.def, to, key, snaps.to);
    return diffStates(a, b, Boolean(p.def.keyOf));
  }
  return { keyColumns: [...p.def.keyColumns], rows: await builtinDiff(store, p.def, atCondition(from), atCondition(to), key, undefined, snaps) };
}

/**
 * --compare: two versions of a projection replayed over the same events (up to `at`), their
 * states diffed entity by entity: `before` is the --compare version's, `after` the --projection
 * one's (added: only the new version has the entity). Keyed by `key` when both have keyOf, by
 * row number otherwise.
 */
export async function compareCustom(store: Store, oldP: CustomProjection, newP: CustomProjection, at: At, key?: string): Promise<{ keyColumns: string[]; rows: DiffRow[] }> {
  const cut = atCondition(at);
  const a = await replayCustom(store, oldP, cut, key);
  const b = await replayCustom(store, newP, cut, key);
  return diffStates(a, b, Boolean(oldP.keyOf && newP.keyOf));
}

/** Two custom projections' states diffed by `key` when keyed; without keys, rows are told apart by their place. */
function diffStates(a: Record<string, unknown>[], b: Record<string, unknown>[], keyed: boolean): { keyColumns: string[]; rows: DiffRow[] } {
  if (keyed) return { keyColumns: ['key'], rows: diffObjects(a, b, ['key']) };
  const numbered = (rows: Record<string, unknown>[]) => rows.map((r, i) => ({ row: i + 1, ...r }));
  return { keyColumns: ['row'], rows: diffObjects(numbered(a), numbered(b), ['row']) };
}

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

/** Two row lists keyed by `keyColumns`, compared entity by entity (in the order of the keys). */
export function diffObjects(a: Record<string, unknown>[], b: Record<string, unknown>[], keyColumns: readonly string[]): DiffRow[] {
  const id = (o: Record<string, unknown>) => JSON.stringify(keyColumns.map((k) => o[k] ?? null));
  const before = new Map(a.map((o) => [id(o), o]));
  const after = new Map(b.map((o) => [id(o), o]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort(byKeyText);
  return ids.flatMap((k) => diffOne(before.get(k) ?? null, after.get(k) ?? null, keyColumns) ?? []);
}

function diffOne(before: Record<string, unknown> | null, after: Record<string, unknown> | null, keyColumns: readonly string[]): DiffRow | null {
  const some = (after ?? before)!;
  const key = Object.fromEntries(keyColumns.map((k) => [k, some[k] ?? null]));
  if (before === null) return { key, change: 'added', fields: Object.keys(after!), before: null, after };
  if (after === null) return { key, change: 'removed', fields: Object.keys(before), before, after: null };
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !deepEqual(before[f] ?? null, after[f] ?? null));
  return fields.length === 0 ? null : { key, change: 'changed', fields, before, after };
}

/** Keys as JSON text of their values: numbers in numeric order, then text in byte order. */
function byKeyText(a: string, b: string): number {
  const x = JSON.parse(a) as unknown[];
  const y = JSON.parse(b) as unknown[];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const u = x[i];
    const v = y[i];
    if (u === v) continue;
    if (typeof u === 'number' && typeof v === 'number') return u - v;
    const su = typeof u === 'string' ? u : JSON.stringify(u);
    const sv = typeof v === 'string' ? v : JSON.stringify(v);
    if (su !== sv) return su < sv ? -1 : 1;
  }
  return 0;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

interface DiffView {
  /** The --json head ({ at, diff, projection } or { at, projection, compare }). */
  head: Record<string, unknown>;
  title: string;
  key?: string;
  keyColumns: string[];
  rows: DiffRow[];
  limit: number;
}

async function printDiff(mode: OutputMode, v: DiffView): Promise<void> {
  if (mode === 'ndjson') {
    await writeJsonObjects('ndjson', [v.rows.map((r) => ({ ...r.key, change: r.change, fields: r.fields, before: r.before, after: r.after }))]);
    return;
  }
  if (mode === 'json') {
    const head: Record<string, unknown> = { ...v.head };
    if (v.key !== undefined) head.key = v.key;
    let text = JSON.stringify(head).slice(0, -1) + ',"rows":[';
    v.rows.forEach((r, i) => {
      text += (i === 0 ? '\n' : ',\n') + JSON.stringify({ ...r.key, change: r.change, fields: r.fields, before: r.before, after: r.after });
    });
    await write(terminalSafe(text) + (v.rows.length ? '\n]}\n' : ']}\n'));
    return;
  }
  // One line per changed field; an added or removed entity is one line with its whole state.
  const columns = [...v.keyColumns, 'change', 'field', 'before', 'after'];
  const lines: Cell[][] = [];
  for (const r of v.rows) {
    const k = v.keyColumns.map((c) => r.key[c] as Cell);
    if (r.change === 'changed') for (const f of r.fields) lines.push([...k, r.change, f, r.before![f] as Cell, r.after![f] as Cell]);
    else lines.push([...k, r.change, '', r.before as Cell, r.after as Cell]);
  }
  if (mode === 'csv') {
    await write(toCsv(columns, lines));
    return;
  }
  const counts = (['added', 'removed', 'changed'] as const).map((c) => `${v.rows.filter((r) => r.change === c).length} ${c}`).join(', ');
  const shown = lines.slice(0, v.limit);
  const note = lines.length > shown.length ? `${counts}; … ${lines.length - shown.length} more lines (--limit, or --json / --csv for all)` : counts;
  await printTables(mode, [{ title: v.title, columns, rows: shown, note }]);
}

// ---------------------------------------------------------------------------------------------


