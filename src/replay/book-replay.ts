/**
 * `evtrail replay --projection book`: the LOBSTER book as of a cut, from the messages alone or
 * continued from a seed (`--seed-book FILE:ROW`, a row of a LOBSTER orderbook file) claiming only
 * the levels a level-N message file lets it know, with the places where the log contradicts
 * itself on them. The SQL is in ./projections/book.ts; this file finds
 * the seed and checks the flags (./render.ts renderBook prints the answer). The book from the messages alone starts from the
 * latest usable snapshot (`evtrail snapshot --projection book`); a seeded one starts from its
 * seed row and never from a snapshot.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Cell } from '../output/table.js';
import { UserError } from '../core/errors.js';
import { wholeNumber } from '../core/flags.js';
import { and, combine, raw, sql, sqlString, type Fragment } from '../store/sql.js';
import type { Store } from '../store/store.js';
import { atCondition, atFields, type At } from '../core/time.js';
import { builtin } from './builtins.js';
import { dataTable, findSnapshot, type SnapshotInfo } from './snapshots.js';
import {
  BOOK_COLUMNS, bookContradictionsSql, bookFoldSql, bookKeyCondition, bookKnownBoundsSql, bookMergeSql, bookRowsSql, bookSeededSql, bookSeedMessagesSql, bookSql, EMPTY_ASK, EMPTY_BID, orderbookFileColumns, type BookSeed,
} from './projections/book.js';

export interface BookFlags {
  symbol?: string;
  levels?: string;
  seedBook?: string;
  /** N of the level-N LOBSTER pair, when the seed's name does not say it (checked against the name and the columns). */
  levelsInFile?: string;
  /** false: ignore snapshots (--no-snapshots). */
  snapshots?: boolean;
}

const ORDERBOOK_NAME = /^([A-Za-z0-9.^-]+)_(\d{4}-\d{2}-\d{2})_(\d+)_(\d+)_orderbook_(\d+)\.csv$/;

/** `path:ROW` → its parts (the last colon splits, so a path may hold colons). */
export function parseSeedArg(text: string): { file: string; row: number } {
  const m = /^(.+):(\d+)$/.exec(text.trim());
  if (!m || Number(m[2]) < 1) {
    throw new UserError(`--seed-book ${text}: expected an orderbook file and a row, FILE:ROW`, 'e.g. --seed-book AMZN_2012-06-21_34200000_57600000_orderbook_1.csv:100 (row 1 is the first line)');
  }
  return { file: m[1]!, row: Number(m[2]) };
}

export function parseLevels(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return wholeNumber('--levels', text, { min: 1, hint: 'e.g. --levels 5' });
}

/**
 * Loads the seed: the orderbook file goes into a TEMP table (read by DuckDB, row numbers in file
 * order), its row ROW gives the levels, and the message file of the same name (…_message_L.csv)
 * must be in the store: row i of one is the book after message i of the other.
 */
async function loadSeed(store: Store, arg: string, cut: string, pairing: SeedPairing = {}): Promise<BookSeed & { file: string }> {
  const { file, row } = parseSeedArg(arg);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UserError(`--seed-book ${file}: no such file`, 'give a LOBSTER orderbook file, e.g. AMZN_2012-06-21_34200000_57600000_orderbook_1.csv:100');
  const base = path.basename(file);
  const first = fs.readFileSync(file, { encoding: 'utf8' }).slice(0, 4096).split('\n')[0] ?? '';
  const columns = first.split(',').length;
  if (first.trim() === '' || columns % 4 !== 0) throw new UserError(`--seed-book ${base}: its first line has ${columns} fields`, 'an orderbook file has 4 per level (ask price, ask size, bid price, bid size)');
  const messages = await findSeedMessages(store, base, pairing.symbol);
  const fileLevels = columns / 4;
  const levelsN = levelsInFile(base, columns, pairing.levelsInFile);
  const cols = orderbookFileColumns(fileLevels);
  try {
    await store.run(`CREATE OR REPLACE TEMP TABLE evt_book_file AS SELECT * FROM read_csv(${sqlString(file)}, header = false, auto_detect = false,
      columns = {${cols.map((c) => `'${c}': 'BIGINT'`).join(', ')}})`);
  } catch (error) {
    throw new UserError(`--seed-book ${base}: cannot read it as a LOBSTER orderbook file (${String((error as Error).message).split('\n')[0]})`, 'headerless CSV, integers, 4 fields per level');
  }
  // rowid follows file order in a table DuckDB has just filled from one file.
  const fileRows = `(SELECT rowid + 1 AS row, * FROM evt_book_file)`;
  const [seedRow] = await store.all(`SELECT ${cols.map((c) => `${c}::VARCHAR AS ${c}`).join(', ')} FROM ${fileRows} WHERE row = ${row}`);
  if (!seedRow) {
    const [n] = await store.all(`SELECT count(*)::INTEGER AS n FROM evt_book_file`);
    throw new UserError(`--seed-book ${base}:${row}: the file has ${n?.n} rows`, 'rows count from 1, the file\'s first line');
  }
  if (!messages.byName) {
    // Paired by elimination, not by name: the two files must at least have as many rows.
    const [n] = await store.all(`SELECT count(*)::BIGINT::VARCHAR AS n FROM evt_book_file`);
    if (String(n?.n) !== messages.units) {
      throw new UserError(`--seed-book ${base}: it has ${n?.n} rows and the message file ${messages.name} ${messages.units}: not its orderbook file`, 'row i of an orderbook file is the book after message i: both files have as many rows');
    }
  }
  const messageName = messages.name;
  const [msg] = await store.all(`SELECT seq::VARCHAR AS seq, (${cut}) AS in_cut FROM events WHERE source_id = ${messages.sourceId} AND source_pos = ${row}`);
  if (!msg) throw new UserError(`--seed-book ${base}:${row}: message ${row} of ${messageName} is not in the store`, 'the orderbook row i is the book after message i; ingest the whole message file');
  if (msg.in_cut !== true) throw new UserError(`--at is before the seed (message ${row}, seq ${msg.seq})`, 'replay to a point at or after the seed row, or seed from an earlier row');
  const levels = (side: 'ask' | 'bid') => {
    const out: { price: bigint; size: bigint }[] = [];
    for (let k = 1; k <= fileLevels; k++) {
      const price = BigInt(String(seedRow[`${side}_p${k}`]));
      if (price === (side === 'ask' ? EMPTY_ASK : EMPTY_BID)) break;
      out.push({ price, size: BigInt(String(seedRow[`${side}_s${k}`])) });
    }
    return out;
  };
  return { file, symbol: messages.symbol, sourceId: messages.sourceId, row, fileLevels, levelsInFile: levelsN, asks: levels('ask'), bids: levels('bid'), fileRows };
}

/** What pairs a seed with its message file when the names do not: --symbol, and --levels-in-file. */
export interface SeedPairing {
  symbol?: string;
  levelsInFile?: string;
}

/**
 * The message file a seed belongs to. A LOBSTER orderbook name (…_orderbook_L.csv) names it
 * (…_message_L.csv, matched against the name each source was ingested under, a link's own
 * name included); any other name is paired with the store's one LOBSTER message file (of
 * --symbol, when given). The symbol is the one its events carry.
 */
async function findSeedMessages(store: Store, base: string, symbol: string | undefined): Promise<{ sourceId: number; name: string; symbol: string; units: string; byName: boolean }> {
  const sources = (await store.all(`SELECT source_id, uri, units::VARCHAR AS units, coalesce(json_extract_string(mapping, '$.file'), '') AS given,
      (SELECT data->>'symbol' FROM events WHERE seq = (SELECT min(first_seq) FROM ingests i WHERE i.source_id = s.source_id)) AS symbol
    FROM sources s WHERE preset = 'lobster' ORDER BY source_id`)).map((s) => ({
    sourceId: Number(s.source_id), name: String(s.given) || path.basename(String(s.uri)).replace(/\.gz$/, ''), symbol: String(s.symbol ?? ''), units: String(s.units),
  }));
  const named = ORDERBOOK_NAME.exec(base);
  if (named) {
    const messageName = base.replace('_orderbook_', '_message_');
    const source = sources.find((s) => s.name.replace(/\.gz$/, '') === messageName);
    if (!source) throw new UserError(`--seed-book ${base}: the store holds no message file ${messageName}`, `ingest it first: evtrail ingest ${messageName} --preset lobster`);
    return { ...source, byName: true };
  }
  const candidates = sources.filter((s) => symbol === undefined || s.symbol === symbol);
  if (candidates.length === 1) return { ...candidates[0]!, byName: false };
  throw new UserError(
    candidates.length === 0
      ? `--seed-book ${base}: the store holds no LOBSTER message file${symbol !== undefined ? ` of ${symbol}` : ''} to pair it with`
      : `--seed-book ${base}: its name does not say its message file, and the store holds ${candidates.length} (${candidates.map((c) => c.name).join(', ')})`,
    candidates.length === 0 ? 'ingest the message file first: evtrail ingest FILE --preset lobster --date YYYY-MM-DD --symbol TICKER' : 'pass --symbol, or name it like its message file (…_message_L.csv → …_orderbook_L.csv)',
  );
}

/**
 * N of a level-N LOBSTER pair, the levels the message file was cut to: --levels-in-file, else
 * the LEVEL of the file name (…_orderbook_N.csv), else the orderbook file's columns / 4. The
 * knowledge the replay claims depends on N, so a flag, a name and columns that disagree are refused.
 */
export function levelsInFile(base: string, columns: number, flag: string | undefined): number {
  const fromColumns = columns / 4;
  const fromName = ORDERBOOK_NAME.exec(base)?.[5];
  if (flag !== undefined) {
    const n = wholeNumber('--levels-in-file', flag, { min: 1, hint: 'the N of LOBSTER\'s level-N files, e.g. --levels-in-file 10' });
    if (fromName !== undefined && Number(fromName) !== n) {
      throw new UserError(`--levels-in-file ${flag}: the file name ${base} says ${Number(fromName)} levels`, `drop --levels-in-file, or give --levels-in-file ${Number(fromName)}`);
    }
    if (n !== fromColumns) throw new UserError(`--levels-in-file ${flag}: the orderbook file ${base} has ${columns} columns, ${fromColumns} level(s)`, `pass --levels-in-file ${fromColumns}, or the orderbook file of the level-${n} pair`);
    return n;
  }
  if (fromName !== undefined && Number(fromName) !== fromColumns) {
    throw new UserError(`--seed-book ${base}: its name says level ${fromName}, its rows have ${fromColumns} level(s) (${columns} columns)`, 'the file was renamed or cut: name it after its level, or pass --levels-in-file');
  }
  return fromColumns;
}

function note(text: string): void {
  process.stderr.write(`note: ${text}\n`);
}

/**
 * The snapshot the book from the messages alone starts from, or null (--no-snapshots, or none
 * usable: see findSnapshot); says which on stderr, as the other projections do.
 */
async function bookSnapshot(store: Store, flags: BookFlags, at: At): Promise<SnapshotInfo | null> {
  if (flags.snapshots === false) return null;
  const snap = await findSnapshot(store, { kind: 'builtin', def: builtin('book')! }, at, note);
  if (snap) note(`replayed from the snapshot at seq ${snap.seq}`);
  return snap;
}

/**
 * The book as of `cut` from a snapshot: its per-order states continued by the messages after
 * its seq in the cut, narrowed to one symbol on both sides when given; the same rows as bookSql.
 */
export function bookFromSnapshotSql(snap: SnapshotInfo, cut: string, symbol: string | undefined, topLevels?: number): Fragment {
  const base = symbol === undefined ? raw(dataTable(snap.id)) : sql`(SELECT * FROM ${raw(dataTable(snap.id))} WHERE symbol = ${symbol})`;
  const later = and(`seq > ${snap.seq} AND (${cut})`, symbol !== undefined && bookKeyCondition(symbol));
  return combine([base, later], (b, l) => `WITH merged AS (${bookMergeSql(b, bookFoldSql(l))})
${bookRowsSql('merged', topLevels)}`);
}

export type Side = 'ask' | 'bid';
type BookRow = Record<(typeof BOOK_COLUMNS)[number], Cell>;

/** One place where the log contradicts itself that bears on the book shown (JSON shape). */
export interface BookContradiction {
  row: number;
  seq: string;
  ts: string | null;
  kind: 'over-removal' | 'book-file' | 'crossed';
  side: Side | null;
  since: number;
  detail: string;
  file: { price: number; size: number }[] | null;
  replay: { price: number; size: number }[] | null;
}

/** A contradiction as the SQL finds it: an over-removal also names its price (ticks), for applyContradictions. */
export type FoundContradiction = BookContradiction & { price?: string | null };

/** What `replay --projection book` answers (its --json), before rendering. */
export interface BookAnswer {
  at: string;
  projection: 'book';
  symbol?: string;
  /** True only for a seeded book whose rows shown are all known and claimed, with no contradiction listed. */
  complete: boolean;
  seed: null | {
    file: string; row: number; fileLevels: number; levelsInFile: number;
    /** The last row of the message file in the cut (the book shown is the one after it). */
    cutRow: number;
    /** The deepest price each side is known through at the cut (null: every price). */
    knownThrough: { ask: number | null; bid: number | null };
  };
  rows: BookRow[];
  counts: Record<string, number> | null;
  contradictions: BookContradiction[];
}

const dollars = (p: bigint | null) => (p === null ? null : Number(p) / 10000);
const better = (side: Side, a: bigint, b: bigint) => (side === 'ask' ? a < b : a > b);

/**
 * Withdraws `complete` from the levels a contradiction bears on, and keeps only the
 * contradictions that bear on a row shown: a disagreement with the file from its first differing
 * level on, an over-removal at its price and deeper (the deeper levels' ranks count its level), a
 * crossed book on the levels that cross. Pure: the rows and contradictions of one seeded replay.
 */
export function applyContradictions(rows: BookRow[], found: FoundContradiction[], cut: { row: number; seq: string; ts: string | null }, top: number | undefined): FoundContradiction[] {
  const kept: FoundContradiction[] = [];
  const known = (side: Side) => rows.filter((r) => r.side === side && r.price !== null);
  const withdraw = (side: Side, from: (r: BookRow) => boolean) => {
    for (const r of rows) if (r.side === side && r.price !== null && from(r)) r.complete = false;
  };
  for (const c of found) {
    const side = c.side as Side;
    if (c.kind === 'book-file') {
      const file = c.file ?? [];
      const replay = c.replay ?? [];
      let i = 0;
      while (i < file.length && i < replay.length && file[i]!.price === replay[i]!.price && file[i]!.size === replay[i]!.size) i++;
      if (top !== undefined && i >= top) continue;
      withdraw(side, (r) => Number(r.level) > i);
      kept.push(c);
    } else {
      // An over-removal at a price still known bears on what the side shows unless --levels cut
      // the side off before its price: the levels shown at or past it (their ranks count its
      // level), and the claim that the known region holds nothing more.
      const price = BigInt(String(c.price));
      const shown = known(side);
      if (top !== undefined && shown.length >= top && better(side, BigInt(String(shown.at(-1)!.priceTicks)), price)) continue;
      withdraw(side, (r) => !better(side, BigInt(String(r.priceTicks)), price));
      kept.push(c);
    }
  }
  // A crossed (or locked) book: the best known bid at or above the best known ask. One of them is wrong.
  const [ask, bid] = [known('ask')[0], known('bid')[0]];
  if (ask && bid && BigInt(String(ask.priceTicks)) <= BigInt(String(bid.priceTicks))) {
    const [a, b] = [BigInt(String(ask.priceTicks)), BigInt(String(bid.priceTicks))];
    withdraw('ask', (r) => BigInt(String(r.priceTicks)) <= b);
    withdraw('bid', (r) => BigInt(String(r.priceTicks)) >= a);
    kept.push({
      row: cut.row, seq: cut.seq, ts: cut.ts, kind: 'crossed', side: null, since: cut.row,
      detail: `crossed book: best bid ${bid.size} @ ${(Number(b) / 10000).toFixed(4)} at or above best ask ${ask.size} @ ${(Number(a) / 10000).toFixed(4)}`,
      file: null, replay: null,
    });
  }
  return kept.sort((x, y) => x.row - y.row || (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0) || String(x.side).localeCompare(String(y.side)));
}

/** The book as of `at` (see the file's comment), as the --json prints it. */
export async function bookAnswer(store: Store, flags: BookFlags, at: At): Promise<BookAnswer> {
  const top = parseLevels(flags.levels);
  const cut = atCondition(at);
  if (flags.levelsInFile !== undefined && flags.seedBook === undefined) throw new UserError('--levels-in-file goes with --seed-book', 'it says how many levels the seed\'s message file holds, e.g. --seed-book FILE:ROW --levels-in-file 10');
  const seed = flags.seedBook === undefined ? undefined : await loadSeed(store, flags.seedBook, cut, { symbol: flags.symbol, levelsInFile: flags.levelsInFile });
  if (seed && flags.symbol !== undefined && flags.symbol !== seed.symbol) {
    throw new UserError(`--symbol ${flags.symbol}: the seed ${path.basename(seed.file)} is a book of ${seed.symbol}`, `drop --symbol, or give --symbol ${seed.symbol}`);
  }
  if (!seed && flags.symbol !== undefined) {
    const [known] = await store.all(sql`SELECT count(*)::INTEGER AS n FROM events WHERE source = 'lobster' AND ${bookKeyCondition(flags.symbol)} LIMIT 1`);
    if (!known?.n) throw new UserError(`--symbol ${flags.symbol}: no LOBSTER messages of that symbol in the store`, 'evtrail query "select distinct data->>\'symbol\' from events where source = \'lobster\'" lists them');
  }
  if (seed && flags.snapshots !== false) {
    // Snapshots hold the book from the messages alone; a seeded one starts at its seed row.
    const [made] = await store.all(`SELECT count(*)::INTEGER AS n FROM snapshots WHERE projection = 'book'`);
    if (made?.n) note('snapshots of book are not used with --seed-book: the seeded book is replayed from its seed row');
  }
  if (seed) {
    // The three seeded queries read the same messages: read them out of the events once.
    await store.run(`CREATE OR REPLACE TEMP TABLE evt_book_msgs AS ${bookSeedMessagesSql(seed, cut)}`);
    seed.messages = 'evt_book_msgs';
  }
  const snap = seed ? null : await bookSnapshot(store, flags as BookFlags, at);
  const rowsSql = seed
    ? bookSeededSql(seed, cut, top)
    : snap
      ? bookFromSnapshotSql(snap, cut, flags.symbol, top)
      : flags.symbol === undefined ? bookSql(cut, top) : bookKeyCondition(flags.symbol).map((k) => bookSql(`(${cut}) AND ${k}`, top));
  // Values as every --json writes them (priceTicks a number, as `query` gives it: ../output/json-values.ts).
  const rows = ((await store.allExact(rowsSql)) as Record<string, Cell>[]).map((r) => Object.fromEntries(BOOK_COLUMNS.map((c) => [c, r[c] ?? null]))) as BookRow[];
  const symbol = seed ? { symbol: seed.symbol } : flags.symbol !== undefined ? { symbol: flags.symbol } : {};
  if (!seed) return { ...atFields(at), projection: 'book', ...symbol, complete: false, seed: null, rows, counts: null, contradictions: [] };

  const boundRows = await store.all(bookKnownBoundsSql(seed, cut));
  const bound = (side: Side): bigint | null => {
    const b = boundRows.find((r) => r.side === side);
    // A side with no price at all (an empty seed side, no message) is known at every price.
    return b?.bound === null || b?.bound === undefined ? null : BigInt(String(b.bound));
  };
  const bounds = { ask: bound('ask'), bid: bound('bid') };
  // Each side known only to a price gets a row saying where its knowledge stops (the level past the last known one).
  for (const side of ['ask', 'bid'] as const) {
    const shown = rows.filter((r) => r.side === side).length;
    if (bounds[side] !== null && (top === undefined || shown < top)) {
      const i = rows.findLastIndex((r) => r.side === side) + 1 || (side === 'ask' ? 0 : rows.length);
      rows.splice(i, 0, { symbol: seed.symbol, side, level: shown + 1, price: null, priceTicks: null, size: null, orders: null, unseenSize: null, complete: false });
    }
  }
  const [last] = await store.all(`SELECT source_pos::INTEGER AS row, seq::VARCHAR AS seq, evt_iso(ts) AS ts FROM events
    WHERE source_id = ${seed.sourceId} AND (${cut}) ORDER BY source_pos DESC LIMIT 1`);
  const cutAt = { row: Number(last!.row), seq: String(last!.seq), ts: last!.ts === null ? null : String(last!.ts) };
  const found = (await store.all(`SELECT row::INTEGER AS row, seq::VARCHAR AS seq, evt_iso(ts) AS ts, kind, side, since::INTEGER AS since, detail, file, replay, price FROM (${bookContradictionsSql(seed, cut)})`))
    .map((c) => ({ ...c, file: c.file === null ? null : JSON.parse(String(c.file)), replay: c.replay === null ? null : JSON.parse(String(c.replay)) })) as unknown as FoundContradiction[];
  const contradictions: BookContradiction[] = applyContradictions(rows, found, cutAt, top).map(({ price: _price, ...rest }) => rest);
  const counts: Record<string, number> = { 'book-file': 0, 'over-removal': 0, crossed: 0 };
  for (const c of contradictions) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  return {
    ...atFields(at), projection: 'book', ...symbol,
    // Every contradiction listed bears on what is shown, so any of them leaves the book incomplete.
    complete: rows.every((r) => r.complete === true) && contradictions.length === 0,
    seed: {
      file: seed.file, row: seed.row, fileLevels: seed.fileLevels, levelsInFile: seed.levelsInFile, cutRow: cutAt.row,
      knownThrough: { ask: dollars(bounds.ask), bid: dollars(bounds.bid) },
    },
    rows, counts, contradictions,
  };
}
