/**
 * The `book` projection for LOBSTER message logs (../shared/data/lobster/SOURCE.md): a
 * level-aggregated limit order book per symbol, as set-based DuckDB SQL over the events the
 * lobster preset stores (data: orderId, symbol, lobsterType, size, priceTicks, side).
 *
 * What a message does to the visible book: type 1 adds its size at its price, types 2 (partial
 * cancel), 3 (delete) and 4 (visible execution) remove their size there; 5 (hidden execution),
 * 6 (cross trade) and 7 (halt) leave it alone. Per order the remaining size is submitted −
 * cancelled − executed; a level is the sum over its orders.
 *
 * Two ways to build it:
 *
 * - From the messages alone (bookSql, also the `book_at` macros): only orders submitted in the
 *   log are counted. Orders resting before the log starts (09:30) are never seen, so no level is
 *   known to be complete: every row says complete = false.
 * - From a seed (bookSeededSql): an orderbook-file row gives the first L levels per side as of one
 *   message; the messages after it continue them. A level-N message file holds only the messages
 *   at the top N price levels of a side at the time, so the replay knows a price only while it has
 *   stayed in the top N since the seed (seededCtes says why exactly): the "known region", best
 *   first, which shrinks when a better level pushes the N-th one out. Inside it a level is the
 *   seed's size plus the signed sizes of the messages at its price (its running sum), whether the
 *   replay saw the order submitted or not; beyond it nothing is reported.
 *
 * Where the log contradicts itself on what the replay knows at the cut (seeded only):
 * - `over-removal`: a cancel / delete / execution leaves an order or a level's volume from before
 *   the seed below zero, at a price still known;
 * - `book-file`: the orderbook file's row at the cut differs from the replay inside the known
 *   region (the file lost or gained volume no message explains), with the row the run of
 *   disagreeing rows started. Such rows are reported, not repaired: the replay keeps following
 *   the messages, and the caller claims no level they bear on.
 */
import { sql, sqlString, type Fragment } from '../../store/sql.js';

/** Ticks per dollar: LOBSTER prices are dollars × 10000. */
const TICKS = 10000;

/** LOBSTER's empty level (SOURCE.md): ask price 9999999999, bid price -9999999999, size 0. */
export const EMPTY_ASK = 9999999999n;
export const EMPTY_BID = -9999999999n;

export const BOOK_COLUMNS = ['symbol', 'side', 'level', 'price', 'priceTicks', 'size', 'orders', 'unseenSize', 'complete'] as const;

/**
 * The messages of `where` as book changes: one row per event of a LOBSTER log that changes the
 * visible book (types 1–4), with its signed size. Redeliveries count once.
 */
function bookMessagesSql(where: string): string {
  return `
  SELECT seq, source_id, source_pos, ts,
    (data->>'symbol') AS symbol,
    (data->>'orderId') AS order_id,
    CAST((data->>'lobsterType') AS INTEGER) AS kind,
    CASE (data->>'side') WHEN 'SELL' THEN 'ask' WHEN 'BUY' THEN 'bid' END AS side,
    CAST((data->>'priceTicks') AS BIGINT) AS price,
    CAST((data->>'size') AS BIGINT) AS size
  FROM events
  WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND source = 'lobster'
    AND (data->>'lobsterType') IN ('1', '2', '3', '4')`;
}

/**
 * The orders seen in the messages of `where`, per order: side, price, whether its submission is
 * in the messages, and its remaining size (submitted − cancelled − executed). LOBSTER never
 * moves an order's price (a modification is a delete and a new order), so one price per order.
 */
function ordersOfSql(messages: string): string {
  return `
  SELECT symbol, order_id, side, price,
    bool_or(kind = 1) AS submitted_seen,
    sum(CASE WHEN kind = 1 THEN size ELSE -size END) AS remaining
  FROM ${messages}
  GROUP BY symbol, order_id, side, price`;
}

/** Rows ranked best first within each symbol and side (asks low to high, bids high to low). */
function rankedSql(levels: string, topLevels?: number): string {
  return `
  SELECT *, row_number() OVER (PARTITION BY symbol, side ORDER BY CASE side WHEN 'ask' THEN price ELSE -price END) AS level
  FROM ${levels}
  ${topLevels === undefined ? '' : `QUALIFY level <= ${topLevels}`}`;
}

function rowsSql(ranked: string): string {
  return `SELECT symbol, side, level::INTEGER AS level, (price / ${TICKS})::DOUBLE AS price, price::BIGINT AS priceTicks,
    size::BIGINT::DOUBLE AS size, orders::INTEGER AS orders, unseen_size::BIGINT::DOUBLE AS unseenSize, complete
  FROM ${ranked}
  ORDER BY symbol, side, level`;
}

/**
 * The book from the messages alone (no seed), every level, ordered by symbol, side (ask first)
 * and level. Only orders whose submission is in the cut count; complete is false on every row
 * (orders resting before the log starts are not in it).
 */
export function bookSql(where: string, topLevels?: number): string {
  return bookRowsSql(`(${bookFoldSql(where)})`, topLevels);
}

/*
 * Snapshots of the book from the messages alone (SnapshotSql in ../builtins.ts). Its partial
 * state is per order (stream = order id): symbol, side, price, whether its submission has been
 * seen and its signed running size. Both are sums over the messages (bool_or, +), so the state
 * of a cut is the state of a snapshot plus the state of the messages after it, grouped again;
 * orders at zero are kept, since a later message of the same order still counts against them.
 * A seeded book (bookSeededSql) is not served by snapshots: its state starts at the seed's row.
 */

/** The partial states of the messages of `where`, one row per order (and price). */
export function bookFoldSql(where: string): string {
  return `SELECT order_id AS stream, symbol, side, price, submitted_seen, remaining::BIGINT AS remaining
  FROM (${ordersOfSql(`(${bookMessagesSql(where)})`)})`;
}

/** `base` (partial states) continued by `fold` (SQL from bookFoldSql). */
export function bookMergeSql(base: string, fold: string): string {
  return `SELECT stream, symbol, side, price, bool_or(submitted_seen) AS submitted_seen, sum(remaining)::BIGINT AS remaining
  FROM (SELECT stream, symbol, side, price, submitted_seen, remaining FROM ${base}
    UNION ALL SELECT stream, symbol, side, price, submitted_seen, remaining FROM (${fold}))
  GROUP BY stream, symbol, side, price`;
}

/**
 * Partial states → the book's rows: the resting orders whose submission was seen, summed per
 * level. One query with no WITH of its own (a snapshot replay puts it after its own WITH).
 */
export function bookRowsSql(states: string, topLevels?: number): string {
  const lv = `(SELECT symbol, side, price, sum(remaining) AS size, count(*) AS orders, 0 AS unseen_size, false AS complete
  FROM ${states} WHERE submitted_seen AND remaining > 0
  GROUP BY symbol, side, price)`;
  return rowsSql(`(${rankedSql(lv, topLevels)})`);
}

/** --symbol / --key: only this symbol's rows. */
export function bookKeyCondition(symbol: string): Fragment {
  return sql`(data->>'symbol') = ${symbol}`;
}

/** A seed: the levels of one orderbook-file row, as of one message of one source. */
export interface BookSeed {
  symbol: string;
  /** The store's source the message file was ingested as, and the seed's row in it (1-based). */
  sourceId: number;
  row: number;
  /** Levels per side in the orderbook file (its columns / 4). */
  fileLevels: number;
  /**
   * N, the levels the message file was cut to (LOBSTER's `_message_N`): it holds only the messages
   * at the top N price levels of a side at the time; deeper ones change unseen.
   */
  levelsInFile: number;
  /** The seed's occupied levels (empty levels left out), best first. */
  asks: { price: bigint; size: bigint }[];
  bids: { price: bigint; size: bigint }[];
  /**
   * A relation of the orderbook file's rows after the seed (columns row, ask_p1, ask_s1, bid_p1,
   * bid_s1, … up to L), compared with the replay; null to skip the comparison.
   */
  fileRows: string | null;
  /**
   * A relation holding bookSeedMessagesSql(seed, cut) for the cut the queries are given (a TEMP
   * table the caller fills once for its three queries), or undefined to read the events each time.
   */
  messages?: string;
}

/** The messages after the seed in the cut, as book changes (the `msgs` of seededCtes). */
export function bookSeedMessagesSql(seed: BookSeed, cut: string): string {
  return bookMessagesSql(`source_id = ${seed.sourceId} AND source_pos > ${seed.row} AND (${cut})`);
}

/**
 * The prices each side is known at right after the seed: asks ≤ askBound, bids ≥ bidBound (null:
 * every price). The seed shows its side through its deepest level, every price when the side has
 * fewer occupied levels than the file has columns (the side ends there); and no deeper than the
 * N-th level, since only the messages at the top N levels are in the message file.
 */
export function seedBounds(seed: BookSeed): { askBound: bigint | null; bidBound: bigint | null } {
  const bound = (levels: { price: bigint }[]) => {
    if (levels.length >= seed.levelsInFile) return levels[seed.levelsInFile - 1]!.price;
    if (levels.length < seed.fileLevels) return null;
    return levels.at(-1)!.price;
  };
  return { askBound: bound(seed.asks), bidBound: bound(seed.bids) };
}

function seedCondition(seed: BookSeed): string {
  const { askBound, bidBound } = seedBounds(seed);
  return `((side = 'ask' AND ${askBound === null ? 'true' : `price <= ${askBound}`}) OR (side = 'bid' AND ${bidBound === null ? 'true' : `price >= ${bidBound}`}))`;
}

/**
 * Shared part of the seeded queries:
 * - `changes`: the seed as a change at its row, then each message after it in the cut at a price
 *   the seed knows;
 * - `running`: each change with the size of its level after it (the seed's size plus every message
 *   at the price since) and the row of the level's next change;
 * - `known`: per price of `changes`, `lost_row`, the first row after which the price is no longer
 *   known (NULL: known through the cut).
 *
 * Why `lost_row` is exact. A price is known while the message file must hold every message at it:
 * while fewer than N occupied levels are strictly better than it (its rank is ≤ N), a message at
 * it changes the top N levels, so LOBSTER keeps it. Once N occupied levels are better, it may
 * change unseen, and it stays unknown: a later message at it cannot tell what changed meanwhile.
 * So a price is lost at the first row where the count of occupied levels better than it reaches N.
 * Levels are counted from their running sums; a sum is exact at every price that is still known,
 * and a price that is lost only ever counts for deeper prices, which are lost no later. Known
 * prices therefore stay a prefix of each side (best first): the region of the book the replay
 * knows, which only shrinks (a new better level pushes the N-th one out); a level that comes back
 * into the top N from below was out of it, so it is unknown.
 */
function seededCtes(seed: BookSeed, cut: string): string {
  const seedRows = [
    ...seed.asks.map((l) => `('ask', ${l.price}, ${l.size})`),
    ...seed.bids.map((l) => `('bid', ${l.price}, ${l.size})`),
  ];
  const seedValues = seedRows.length
    ? `SELECT ${seed.row}::BIGINT AS row, NULL::BIGINT AS seq, NULL::TIMESTAMP_NS AS ts, NULL::VARCHAR AS order_id, 0 AS kind, false AS seen, side, price::BIGINT AS price, size::BIGINT AS delta FROM (VALUES ${seedRows.join(', ')}) v(side, price, size) WHERE ${seedCondition(seed)}`
    : `SELECT NULL::BIGINT AS row, NULL::BIGINT AS seq, NULL::TIMESTAMP_NS AS ts, NULL::VARCHAR AS order_id, 0 AS kind, false AS seen, NULL::VARCHAR AS side, NULL::BIGINT AS price, NULL::BIGINT AS delta WHERE false`;
  const N = seed.levelsInFile;
  // One side's count of occupied levels better than each price, row by row: the +1 / −1 steps of
  // the better levels (a level appears or empties), summed in row order (the seed's row at once).
  const better = (side: 'ask' | 'bid') => `
  SELECT p.side, p.price, t.row, t.step
  FROM prices p JOIN transitions t ON t.side = p.side AND t.price ${side === 'ask' ? '<' : '>'} p.price
  WHERE p.side = '${side}' AND t.side = '${side}'`;
  return `
msgs AS (${seed.messages === undefined ? bookSeedMessagesSql(seed, cut) : `SELECT * FROM ${seed.messages}`}),
changes AS (
  ${seedValues}
  UNION ALL
  SELECT source_pos AS row, seq, ts, order_id, kind,
    -- seen: the order's submission is among the messages (else it rests since before the seed)
    bool_or(kind = 1) OVER (PARTITION BY order_id) AS seen,
    side, price, CASE WHEN kind = 1 THEN size ELSE -size END AS delta
  FROM msgs WHERE ${seedCondition(seed)}),
running AS MATERIALIZED (
  SELECT *,
    sum(delta) OVER (PARTITION BY side, price ORDER BY row ROWS UNBOUNDED PRECEDING) AS level_size,
    -- what is left of the level's volume from before the seed, and of a seen order
    sum(CASE WHEN NOT seen THEN delta END) OVER (PARTITION BY side, price ORDER BY row ROWS UNBOUNDED PRECEDING) AS unseen_size,
    CASE WHEN seen THEN sum(delta) OVER (PARTITION BY order_id ORDER BY row ROWS UNBOUNDED PRECEDING) END AS order_size,
    lead(row) OVER (PARTITION BY side, price ORDER BY row) AS next_row
  FROM changes),
transitions AS (
  SELECT side, price, row, CASE WHEN level_size > 0 THEN 1 ELSE -1 END AS step
  FROM running WHERE (level_size > 0) <> (level_size - delta > 0)),
prices AS (SELECT DISTINCT side, price FROM changes),
better AS (${better('ask')} UNION ALL ${better('bid')}),
lost AS MATERIALIZED (
  SELECT side, price, min(row) AS lost_row
  FROM (SELECT side, price, row, sum(step) OVER (PARTITION BY side, price ORDER BY row ROWS UNBOUNDED PRECEDING) AS n
    FROM (SELECT side, price, row, sum(step) AS step FROM better GROUP BY side, price, row))
  WHERE n >= ${N} GROUP BY side, price),
known AS MATERIALIZED (SELECT p.side, p.price, l.lost_row FROM prices p LEFT JOIN lost l ON l.side = p.side AND l.price = p.price)`;
}

/**
 * The book as of the cut, continued from a seed: the occupied levels the replay knows (see
 * seededCtes), top `topLevels` per side, each complete = true (the caller withdraws that where a
 * contradiction bears on the level). `orders` counts the resting orders whose submission the
 * replay saw; `unseenSize` is the rest of the level (orders from before the seed).
 */
export function bookSeededSql(seed: BookSeed, cut: string, topLevels?: number): string {
  return `
WITH ${seededCtes(seed, cut)},
seen AS (
  SELECT side, price, sum(remaining) AS seen_size, count(*) AS orders
  FROM (${ordersOfSql('msgs')}) WHERE submitted_seen AND remaining > 0 AND ${seedCondition(seed)}
  GROUP BY side, price),
lv AS (
  SELECT ${sqlString(seed.symbol)} AS symbol, r.side, r.price, r.level_size AS size,
    coalesce(s.orders, 0) AS orders, r.level_size - coalesce(s.seen_size, 0) AS unseen_size, true AS complete
  FROM running r JOIN known k ON k.side = r.side AND k.price = r.price AND k.lost_row IS NULL
  LEFT JOIN seen s ON s.side = r.side AND s.price = r.price
  WHERE r.next_row IS NULL AND r.level_size > 0),
ranked AS (${rankedSql('lv', topLevels)})
${rowsSql('ranked')}`;
}

/**
 * How far each side is known as of the cut: one row per side with `bound`, the deepest price
 * known (asks ≤ bound, bids ≥ bound; NULL: every price). It is the deepest price not lost: the
 * known prices are a prefix, and the boundary is always an occupied price of `changes` or the seed's.
 */
export function bookKnownBoundsSql(seed: BookSeed, cut: string): string {
  const { askBound, bidBound } = seedBounds(seed);
  return `
WITH ${seededCtes(seed, cut)}
SELECT side,
  CASE WHEN bool_and(lost_row IS NULL) AND ((side = 'ask' AND ${askBound === null}) OR (side = 'bid' AND ${bidBound === null})) THEN NULL
    WHEN side = 'ask' THEN max(price) FILTER (WHERE lost_row IS NULL)
    ELSE min(price) FILTER (WHERE lost_row IS NULL) END::VARCHAR AS bound
FROM known GROUP BY side`;
}

/**
 * Where the log contradicts itself on what the replay knows at the cut:
 * - `over-removal`: a message after the seed that removes more than its order has (seen
 *   submitted) or than its level holds from before the seed, at a price still known at the cut;
 * - `book-file`: per side, the orderbook file's row at the cut disagrees with the replay on the
 *   levels both know (the file's levels inside the known region against the replay's), with
 *   `since`, the first row of the run of rows that disagree up to the cut (a volume the file lost
 *   shows on every row after it). Earlier runs that ended before the cut are not listed: they
 *   bear on no level shown.
 *
 * The known region of each row is the one of that row (seededCtes): a price known at the cut was
 * known at every row before it, and a row compares only the prices known then.
 */
export function bookContradictionsSql(seed: BookSeed, cut: string): string {
  const L = seed.fileLevels;
  const dollars = (x: string) => `(${x} / ${TICKS})::DECIMAL(18,4)`;
  // A removal of more than there is: of an order whose submission the replay saw, more than it
  // has left; of one it did not see, more than the level holds from before the seed.
  const over = `
  SELECT row, seq, ts, 'over-removal' AS kind, side, row AS since,
    'message ' || row || ' ' || CASE kind WHEN 2 THEN 'cancels' WHEN 3 THEN 'deletes' ELSE 'executes' END || ' ' || (-delta) || ' of order ' || order_id
      || ' at ' || ${dollars('price')} || ', ' || CASE WHEN seen THEN 'which has ' || (order_size - delta) || ' left'
      ELSE 'submitted before the seed, where the level holds ' || (unseen_size - delta) || ' from before the seed' END AS detail,
    NULL AS file, NULL AS replay, price::VARCHAR AS price
  FROM running r WHERE kind IN (2, 3, 4) AND CASE WHEN seen THEN order_size < 0 ELSE unseen_size < 0 END
    AND EXISTS (SELECT 1 FROM known k WHERE k.side = r.side AND k.price = r.price AND k.lost_row IS NULL)`;
  if (seed.fileRows === null) return `WITH ${seededCtes(seed, cut)} SELECT * FROM (${over}) ORDER BY row, kind, side`;
  const { askBound, bidBound } = seedBounds(seed);
  const fileLevels = (side: 'ask' | 'bid') => {
    const empty = side === 'ask' ? EMPTY_ASK : EMPTY_BID;
    const inside = (k: number) => `${side}_p${k} <> ${empty} AND (${side}_bound IS NULL OR ${side}_p${k} ${side === 'ask' ? '<=' : '>='} ${side}_bound)`;
    // Levels are sorted, so the ones inside the known region are a prefix.
    const items = Array.from({ length: L }, (_, i) => `CASE WHEN ${inside(i + 1)} THEN {'price': ${side}_p${i + 1}::BIGINT, 'size': ${side}_s${i + 1}::BIGINT} END`);
    return `list_filter([${items.join(', ')}], x -> x IS NOT NULL)`;
  };
  // The rows past the last compared one (the cut's), as an end for open intervals.
  const END = `(SELECT max(row) + 1 FROM file_rows)`;
  // Each known occupied level spread over the rows it is occupied and known in (an unnest of its
  // interval, so a hash aggregate finds each row's best; an inequality join of rows and intervals
  // is far slower). At most N levels are known at any row, so this is at most N rows per row.
  const replayLevels = (side: 'ask' | 'bid') => `
  SELECT row, ${side === 'ask' ? 'arg_min' : 'arg_max'}({'price': price, 'size': level_size}, price, ${L}) AS levels
  FROM (SELECT unnest(range(r.row, least(coalesce(r.next_row, ${END}), coalesce(k.lost_row, ${END})))) AS row, r.price, r.level_size
    FROM running r JOIN known k ON k.side = r.side AND k.price = r.price WHERE r.side = '${side}' AND r.level_size > 0)
  GROUP BY row`;
  // The boundary of each side row by row: with the prices best first, p_j bounds the rows from the
  // next deeper price's loss to its own (the deepest from the seed on; NULL there when the seed
  // knew every price of the side).
  const order = `ORDER BY CASE side WHEN 'ask' THEN price ELSE -price END`;
  return `
WITH ${seededCtes(seed, cut)},
file_rows AS (
  SELECT f.*, m.seq, m.ts FROM ${seed.fileRows} f
  JOIN (SELECT source_pos, seq, ts FROM events WHERE source_id = ${seed.sourceId} AND source_pos > ${seed.row} AND (${cut})) m ON m.source_pos = f.row),
steps AS (
  SELECT side,
    CASE WHEN deeper_lost IS NULL AND last_price AND ((side = 'ask' AND ${askBound === null}) OR (side = 'bid' AND ${bidBound === null})) THEN NULL ELSE price END AS bound,
    CASE WHEN last_price THEN ${seed.row} ELSE coalesce(deeper_lost, ${END}) END AS from_row,
    coalesce(lost_row, ${END}) AS to_row
  FROM (SELECT *, lead(lost_row) OVER (PARTITION BY side ${order}) AS deeper_lost,
      row_number() OVER (PARTITION BY side ${order} DESC) = 1 AS last_price
    FROM known)),
row_bounds AS (SELECT side, unnest(range(from_row, to_row)) AS row, bound FROM steps WHERE from_row < to_row),
bounded AS (
  SELECT f.*, ab.bound AS ask_bound, bb.bound AS bid_bound FROM file_rows f
  LEFT JOIN row_bounds ab ON ab.side = 'ask' AND ab.row = f.row
  LEFT JOIN row_bounds bb ON bb.side = 'bid' AND bb.row = f.row),
replay_ask AS (${replayLevels('ask')}),
replay_bid AS (${replayLevels('bid')}),
compared AS (
  SELECT f.row, f.seq, f.ts, s.side, s.file, coalesce(s.replay, []) AS replay
  FROM bounded f
  LEFT JOIN replay_ask a ON a.row = f.row
  LEFT JOIN replay_bid b ON b.row = f.row,
  LATERAL (SELECT unnest([
    {'side': 'ask', 'file': ${fileLevels('ask')}, 'replay': a.levels},
    {'side': 'bid', 'file': ${fileLevels('bid')}, 'replay': b.levels}], recursive := true)) s),
agreed AS (SELECT side, max(row) AS row FROM compared WHERE file IS NOT DISTINCT FROM replay GROUP BY side)
SELECT * FROM (
  ${over}
  UNION ALL
  SELECT c.row, c.seq, c.ts, 'book-file' AS kind, c.side,
    -- the first row of the run of disagreeing rows that reaches the cut
    coalesce(a.row + 1, ${seed.row + 1}) AS since,
    'file ' || CASE WHEN len(file) = 0 THEN 'no level' ELSE list_transform(file, x -> x.size || ' @ ' || ${dollars('x.price')}).list_aggr('string_agg', ', ') END
      || ', replay ' || CASE WHEN len(replay) = 0 THEN 'no level' ELSE list_transform(replay, x -> x.size || ' @ ' || ${dollars('x.price')}).list_aggr('string_agg', ', ') END AS detail,
    to_json(file) AS file, to_json(replay) AS replay, NULL AS price
  FROM compared c LEFT JOIN agreed a ON a.side = c.side
  WHERE c.row = (SELECT max(row) FROM file_rows) AND c.file IS DISTINCT FROM c.replay)
ORDER BY row, kind, side`;
}

/**
 * An orderbook file (headerless CSV, 4 × L columns) as a relation with its 1-based row number:
 * row, ask_p1, ask_s1, bid_p1, bid_s1, …
 */
export function orderbookFileColumns(levels: number): string[] {
  return Array.from({ length: levels }, (_, i) => [`ask_p${i + 1}`, `ask_s${i + 1}`, `bid_p${i + 1}`, `bid_s${i + 1}`]).flat();
}
