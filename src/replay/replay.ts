/**
 * `evtrail replay`, the work: the state of a projection as of a point of the log (--at), one
 * entity (--key), or what changed between two points (--diff) or two versions of a module
 * (--compare). Built-in projections run as SQL inside DuckDB and stream their rows (./query.ts);
 * custom ones (a JavaScript module) fold events streamed from DuckDB in seq order (./custom.ts);
 * diffs are compared in ./diff.ts. `runReplay` returns data, handed to `show` while the store is
 * open (the rows stream from it); src/cli/commands/replay.ts reads the flags and shows the data
 * with ./render.ts. The same store gives the same bytes: rows come in key order and every number
 * is computed in a fixed order.
 */
import { nearest } from '../core/suggest.js';
import { UserError } from '../core/errors.js';
import { terminalSafe } from '../output/terminal.js';
import { applyLens } from '../store/lens.js';
import { MACROS_SQL } from '../store/macros.js';
import { Store } from '../store/store.js';
import { afterLastEvent, atCondition, atFields, atLabel, parseAt, type At, type StoreBounds } from '../core/time.js';
import { exactInteger } from '../output/json-values.js';
import { BUILTINS, builtin, type BuiltinProjection } from './builtins.js';
import { sqlString } from '../store/sql.js';
import { isCustomProjectionPath, loadCustomProjection, replayCustom, type CustomProjection } from './custom.js';
import { diffStates, type DiffRow } from './diff.js';
import { builtinDiff, builtinRows, peekRows, rowSetOf, storeBounds, type RowSet, type SnapshotPair } from './query.js';
import type { BookAnswer } from './book-replay.js';
import { customStateOf, findSnapshot, makeSnapshots, type SnapshotInfo, type SnapshotResult } from './snapshots.js';
import { loadUpcasters, type LoadedUpcasters } from './upcasters.js';

/** What the command line hands over: the flags, their values read (src/cli/commands/replay.ts). */
export interface ReplayOptions {
  db: string;
  at?: string;
  projection: string;
  key?: string;
  diff?: string;
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

/** The rows at a cut, as ./render.ts shows them. */
export interface RowsView {
  at: At;
  projection: string;
  key?: string;
  rows: RowSet;
  note?: string;
  /** More members of the --json head (afterLastEvent). */
  head?: Record<string, unknown>;
}

/** The entities that differ between two cuts, or two versions of a module. */
export interface DiffView {
  /** The --json head ({ at, diff, projection } or { at, projection, compare }). */
  head: Record<string, unknown>;
  title: string;
  key?: string;
  keyColumns: string[];
  rows: DiffRow[];
}

/** A replay's answer: the rows at a cut, the entities that differ, or the LOBSTER book. */
export type ReplayResult =
  | { kind: 'rows'; rows: RowsView }
  | { kind: 'diff'; diff: DiffView }
  | { kind: 'book'; book: BookAnswer };

type Projection = { kind: 'builtin'; def: BuiltinProjection } | { kind: 'custom'; def: CustomProjection };

/**
 * Replays as `options` say and hands the answer to `show` before the store closes (rows are
 * streamed from it). A bad flag combination, module or key is a UserError.
 */
export async function runReplay(options: ReplayOptions, show: (result: ReplayResult) => Promise<void>): Promise<void> {
  let flags = options;
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
    const at = parseAt(flags.at ?? (bounds.lastSeq === null ? 'seq:0' : `seq:${bounds.lastSeq}`), bounds, '--at', 'end');
    const name = projection.def.name;
    const past = afterLastEvent(at, bounds);
    // A time or a seq past the end is a fair question (the log may still grow): exit 0 with the
    // end's state, and a note (and afterLastEvent in --json) so nobody mistakes it for that time's.
    if (past) note(`--at ${flags.at} is after the last event (seq ${past.seq}, ${past.ts}): the state shown is the end of the log`);
    const pastFields = past ? { afterLastEvent: { seq: exactInteger(past.seq), ts: past.ts } } : {};
    // A key the log never mentions is a mistake (exit 2, with the nearest keys), as in trace:
    // checked up front for --diff / --compare (a built-in's key is one filtered scan), and for
    // one cut only when the cut has no row for it (what costs a custom projection a replay).
    if (flags.key !== undefined && (flags.diff !== undefined || baseline) && projection.kind === 'builtin') await checkKeyKnown(store, projection, flags.key, bounds);
    if (baseline?.kind === 'custom' && projection.kind === 'custom') {
      const diff = await compareCustom(store, baseline.def, projection.def, at, flags.key);
      await show({ kind: 'diff', diff: {
        head: { ...atFields(at), projection: name, compare: baseline.def.name, ...pastFields },
        title: `${name} (--projection) against ${baseline.def.name} (--compare) as of ${atLabel(at)}${flags.key !== undefined ? `, ${flags.key}` : ''}`,
        key: flags.key, keyColumns: diff.keyColumns, rows: diff.rows,
      } });
      return;
    }
    if (flags.diff !== undefined) {
      const to = parseAt(flags.diff, bounds, '--diff', 'end');
      const toPast = afterLastEvent(to, bounds);
      if (toPast) note(`--diff ${flags.diff} is after the last event (seq ${toPast.seq}, ${toPast.ts}): the diff runs to the end of the log`);
      const find = async (point: At) => (flags.snapshots === false ? null : await findSnapshot(store, projection, point, note));
      const snaps = { from: await find(at), to: await find(to) };
      for (const sn of new Set([snaps.from?.seq, snaps.to?.seq])) if (sn !== undefined) note(`replayed from the snapshot at seq ${sn}`);
      const diff = await diffRows(store, projection, at, to, flags.key, snaps);
      await show({ kind: 'diff', diff: {
        head: { ...atFields(at), diff: atFields(to).at, projection: name, ...pastFields },
        title: `${name}${flags.key !== undefined ? ` ${flags.key}` : ''}: what changed from ${atLabel(at)} to ${atLabel(to)}`,
        key: flags.key, keyColumns: diff.keyColumns, rows: diff.rows,
      } });
      return;
    }
    if (isBook) {
      const { bookAnswer } = await import('./book-replay.js');
      await show({ kind: 'book', book: await bookAnswer(store, { symbol: flags.symbol, levels: flags.levels, seedBook: flags.seedBook, levelsInFile: flags.levelsInFile, snapshots: flags.snapshots }, at) });
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
    await show({ kind: 'rows', rows: { at, projection: name, key: flags.key, rows, note: projection.kind === 'builtin' ? projection.def.note : undefined, head: pastFields } });
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

async function projectionRows(store: Store, p: Projection, at: At, key: string | undefined, snap: SnapshotInfo | null = null): Promise<RowSet> {
  if (p.kind === 'custom') return rowSetOf(await customAt(store, p.def, at, key, snap));
  return builtinRows(store, p.def, atCondition(at), key, undefined, snap);
}

/** A custom projection's states at a cut: from a snapshot's states when one is given, else from the first event. */
async function customAt(store: Store, def: CustomProjection, at: At, key: string | undefined, snap: SnapshotInfo | null): Promise<Record<string, unknown>[]> {
  if (!snap) return replayCustom(store, def, atCondition(at), key);
  return replayCustom(store, def, `seq > ${snap.seq} AND (${atCondition(at)})`, key, await customStateOf(store, snap));
}

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

/** What `evtrail snapshot` hands over: the flags, their values read (src/cli/commands/snapshot.ts). */
export interface SnapshotOptions {
  db: string;
  projection: string;
  /** A snapshot every this many events (from 1). */
  every: bigint;
  /** Upcasters applied before a custom projection; the snapshots are keyed by their code too. */
  upcasters?: string;
}

/** The snapshots made: ./render.ts renderSnapshots shows them. */
export interface SnapshotsMade {
  projection: string;
  every: bigint;
  snapshots: SnapshotResult[];
}

/** `evtrail snapshot`: a projection's state every N events, kept in the store (./snapshots.ts). */
export async function runSnapshot(options: SnapshotOptions): Promise<SnapshotsMade> {
  const projection = await resolveProjection(options.projection, await resolveUpcasters(options.upcasters, options.projection));
  const store = await Store.open(options.db, {});
  try {
    await store.run(MACROS_SQL);
    return { projection: projection.def.name, every: options.every, snapshots: await makeSnapshots(store, projection, options.every) };
  } finally {
    store.close();
  }
}
