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
 *   message; the messages after it continue them. Every order resting at a price at or better
 *   than the seed's L-th level is inside the seed, so those prices are known exactly from then on
 *   (the "known region"); a deeper price holds orders the replay never saw, so it is never
 *   reported. A side whose seed has fewer than L occupied levels is known at every price.
 *   Inside the known region a level is the seed's size plus the signed sizes of the messages at
 *   its price (its running sum), whether the replay saw the order submitted or not.
 *
 * Where the log contradicts itself (seeded only, inside the known region):
 * - `over-removal`: a cancel / delete / execution leaves its level below zero;
 * - `book-file`: a row of the orderbook file whose levels inside the known region differ from the
 *   replay's known levels after the same message (the file lost or gained volume no message
 *   explains). Such rows are reported, not repaired: the replay keeps following the messages.
 */

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
  return `SELECT symbol, side, level::INTEGER AS level, (price / ${TICKS})::DOUBLE AS price, price::BIGINT::VARCHAR AS priceTicks,
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
export function bookKeyCondition(symbol: string): string {
  return `(data->>'symbol') = '${symbol.replaceAll("'", "''")}'`;
}

/** A seed: the levels of one orderbook-file row, as of one message of one source. */
export interface BookSeed {
  symbol: string;
  /** The store's source the message file was ingested as, and the seed's row in it (1-based). */
  sourceId: number;
  row: number;
  /** Levels per side in the orderbook file (its L). */
  fileLevels: number;
  /** The seed's occupied levels (empty levels left out), best first. */
  asks: { price: bigint; size: bigint }[];
  bids: { price: bigint; size: bigint }[];
  /**
   * A relation of the orderbook file's rows after the seed (columns row, ask_p1, ask_s1, bid_p1,
   * bid_s1, … up to L), compared with the replay; null to skip the comparison.
   */
  fileRows: string | null;
}

/** The prices each side is known at: asks ≤ askBound, bids ≥ bidBound (null: every price). */
export function seedBounds(seed: BookSeed): { askBound: bigint | null; bidBound: bigint | null } {
  const full = (n: number) => n < seed.fileLevels;
  return {
    askBound: full(seed.asks.length) ? null : seed.asks.at(-1)!.price,
    bidBound: full(seed.bids.length) ? null : seed.bids.at(-1)!.price,
  };
}

function knownCondition(seed: BookSeed): string {
  const { askBound, bidBound } = seedBounds(seed);
  return `((side = 'ask' AND ${askBound === null ? 'true' : `price <= ${askBound}`}) OR (side = 'bid' AND ${bidBound === null ? 'true' : `price >= ${bidBound}`}))`;
}

/**
 * Shared part of the seeded queries: `changes` (the seed as a change at its row, then each
 * message after it in the cut, inside the known region) and `running` (each change with the
 * size of its level after it, and the row of the level's next change).
 */
function seededCtes(seed: BookSeed, cut: string): string {
  const seedRows = [
    ...seed.asks.map((l) => `('ask', ${l.price}, ${l.size})`),
    ...seed.bids.map((l) => `('bid', ${l.price}, ${l.size})`),
  ];
  const seedValues = seedRows.length
    ? `SELECT ${seed.row}::BIGINT AS row, NULL::BIGINT AS seq, NULL::TIMESTAMP_NS AS ts, NULL::VARCHAR AS order_id, 0 AS kind, false AS seen, side, price::BIGINT AS price, size::BIGINT AS delta FROM (VALUES ${seedRows.join(', ')}) v(side, price, size)`
    : `SELECT NULL::BIGINT AS row, NULL::BIGINT AS seq, NULL::TIMESTAMP_NS AS ts, NULL::VARCHAR AS order_id, 0 AS kind, false AS seen, NULL::VARCHAR AS side, NULL::BIGINT AS price, NULL::BIGINT AS delta WHERE false`;
  return `
msgs AS (${bookMessagesSql(`source_id = ${seed.sourceId} AND source_pos > ${seed.row} AND (${cut})`)}),
changes AS (
  ${seedValues}
  UNION ALL
  SELECT source_pos AS row, seq, ts, order_id, kind,
    -- seen: the order's submission is among the messages (else it rests since before the seed)
    bool_or(kind = 1) OVER (PARTITION BY order_id) AS seen,
    side, price, CASE WHEN kind = 1 THEN size ELSE -size END AS delta
  FROM msgs WHERE ${knownCondition(seed)}),
running AS (
  SELECT *,
    sum(delta) OVER (PARTITION BY side, price ORDER BY row ROWS UNBOUNDED PRECEDING) AS level_size,
    -- what is left of the level's volume from before the seed, and of a seen order
    sum(CASE WHEN NOT seen THEN delta END) OVER (PARTITION BY side, price ORDER BY row ROWS UNBOUNDED PRECEDING) AS unseen_size,
    CASE WHEN seen THEN sum(delta) OVER (PARTITION BY order_id ORDER BY row ROWS UNBOUNDED PRECEDING) END AS order_size,
    lead(row) OVER (PARTITION BY side, price ORDER BY row) AS next_row
  FROM changes)`;
}

/**
 * The book as of the cut, continued from a seed: the occupied levels of the known region, top
 * `topLevels` per side. `orders` counts the resting orders whose submission the replay saw;
 * `unseenSize` is the rest of the level (orders from before the seed, inside its size).
 */
export function bookSeededSql(seed: BookSeed, cut: string, topLevels?: number): string {
  return `
WITH ${seededCtes(seed, cut)},
seen AS (
  SELECT side, price, sum(remaining) AS seen_size, count(*) AS orders
  FROM (${ordersOfSql('msgs')}) WHERE submitted_seen AND remaining > 0 AND ${knownCondition(seed)}
  GROUP BY side, price),
lv AS (
  SELECT '${seed.symbol.replaceAll("'", "''")}' AS symbol, r.side, r.price, r.level_size AS size,
    coalesce(s.orders, 0) AS orders, r.level_size - coalesce(s.seen_size, 0) AS unseen_size, true AS complete
  FROM running r LEFT JOIN seen s ON s.side = r.side AND s.price = r.price
  WHERE r.next_row IS NULL AND r.level_size > 0),
ranked AS (${rankedSql('lv', topLevels)})
${rowsSql('ranked')}`;
}

/**
 * Where the log contradicts itself, after the seed and up to the cut, in row order:
 * over-removals (a message leaves its known level below zero) and orderbook-file rows that
 * disagree with the replay on the known region (when the seed carries the file's rows).
 *
 * For each row of the file the replay's known levels after the same message are the levels
 * whose running size is positive over that row (an interval from one change to the next); the
 * first L of them per side must equal the file's levels that lie inside the known region.
 */
export function bookContradictionsSql(seed: BookSeed, cut: string): string {
  const L = seed.fileLevels;
  const { askBound, bidBound } = seedBounds(seed);
  const dollars = (x: string) => `(${x} / ${TICKS})::DECIMAL(18,4)`;
  // A removal of more than there is: of an order whose submission the replay saw, more than it
  // has left; of one it did not see, more than the level holds from before the seed.
  const over = `
  SELECT row, seq, ts, 'over-removal' AS kind, side, row AS since,
    'message ' || row || ' ' || CASE kind WHEN 2 THEN 'cancels' WHEN 3 THEN 'deletes' ELSE 'executes' END || ' ' || (-delta) || ' of order ' || order_id
      || ' at ' || ${dollars('price')} || ', ' || CASE WHEN seen THEN 'which has ' || (order_size - delta) || ' left'
      ELSE 'submitted before the seed, where the level holds ' || (unseen_size - delta) || ' from before the seed' END AS detail,
    NULL AS file, NULL AS replay
  FROM running WHERE kind IN (2, 3, 4) AND CASE WHEN seen THEN order_size < 0 ELSE unseen_size < 0 END`;
  if (seed.fileRows === null) return `WITH ${seededCtes(seed, cut)} SELECT * FROM (${over}) ORDER BY row, kind, side`;
  const fileLevels = (side: 'ask' | 'bid', bound: bigint | null) => {
    const empty = side === 'ask' ? EMPTY_ASK : EMPTY_BID;
    const inside = (k: number) =>
      `${side}_p${k} <> ${empty}${bound === null ? '' : side === 'ask' ? ` AND ${side}_p${k} <= ${bound}` : ` AND ${side}_p${k} >= ${bound}`}`;
    // Levels are sorted, so the ones inside the known region are a prefix.
    const items = Array.from({ length: L }, (_, i) => `CASE WHEN ${inside(i + 1)} THEN {'price': ${side}_p${i + 1}::BIGINT, 'size': ${side}_s${i + 1}::BIGINT} END`);
    return `list_filter([${items.join(', ')}], x -> x IS NOT NULL)`;
  };
  // Each occupied level spread over the rows it is occupied in (an unnest of its interval, so a
  // hash aggregate finds each row's best; an inequality join of rows and intervals is far slower).
  const replayLevels = (side: 'ask' | 'bid') => `
  SELECT row, ${side === 'ask' ? 'arg_min' : 'arg_max'}({'price': price, 'size': level_size}, price, ${L}) AS levels
  FROM (SELECT unnest(range(row, coalesce(next_row, (SELECT max(row) + 1 FROM file_rows)))) AS row, price, level_size
    FROM running WHERE side = '${side}' AND level_size > 0)
  GROUP BY row`;
  return `
WITH ${seededCtes(seed, cut)},
file_rows AS (
  SELECT f.*, m.seq, m.ts FROM ${seed.fileRows} f
  JOIN (SELECT source_pos, seq, ts FROM events WHERE source_id = ${seed.sourceId} AND source_pos > ${seed.row} AND (${cut})) m ON m.source_pos = f.row),
replay_ask AS (${replayLevels('ask')}),
replay_bid AS (${replayLevels('bid')}),
compared AS (
  SELECT f.row, f.seq, f.ts, s.side, s.file, coalesce(s.replay, []) AS replay
  FROM file_rows f
  LEFT JOIN replay_ask a ON a.row = f.row
  LEFT JOIN replay_bid b ON b.row = f.row,
  LATERAL (SELECT unnest([
    {'side': 'ask', 'file': ${fileLevels('ask', askBound)}, 'replay': a.levels},
    {'side': 'bid', 'file': ${fileLevels('bid', bidBound)}, 'replay': b.levels}], recursive := true)) s)
SELECT * FROM (
  ${over}
  UNION ALL
  SELECT row, seq, ts, 'book-file' AS kind, side,
    -- the first row of this run of disagreeing rows on this side (a lost order shows on every row after it)
    min(row) OVER (PARTITION BY side, run) AS since,
    'file ' || CASE WHEN len(file) = 0 THEN 'no level' ELSE list_transform(file, x -> x.size || ' @ ' || ${dollars('x.price')}).list_aggr('string_agg', ', ') END
      || ', replay ' || CASE WHEN len(replay) = 0 THEN 'no level' ELSE list_transform(replay, x -> x.size || ' @ ' || ${dollars('x.price')}).list_aggr('string_agg', ', ') END AS detail,
    to_json(file) AS file, to_json(replay) AS replay
  -- every row after the seed is compared, so a run of consecutive rows keeps row − its rank
  FROM (SELECT *, row - row_number() OVER (PARTITION BY side ORDER BY row) AS run FROM compared WHERE file IS DISTINCT FROM replay))
ORDER BY row, kind, side`;
}

/**
 * An orderbook file (headerless CSV, 4 × L columns) as a relation with its 1-based row number:
 * row, ask_p1, ask_s1, bid_p1, bid_s1, …
 */
export function orderbookFileColumns(levels: number): string[] {
  return Array.from({ length: levels }, (_, i) => [`ask_p${i + 1}`, `ask_s${i + 1}`, `bid_p${i + 1}`, `bid_s${i + 1}`]).flat();
}
