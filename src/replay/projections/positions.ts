/**
 * The `positions` projection of the trading pack: per account and symbol, the net quantity,
 * the average cost and the realised P&L of the fills, by the AVERAGE COST method:
 *
 * - a fill that opens or adds to a position (same side, or flat) adds its quantity and its cost:
 *   avgCost = (avgCost × |netQty| + fillQty × fillPrice) / |netQty after|;
 * - a fill that reduces it realises (fillPrice − avgCost) × closed quantity on a long position,
 *   (avgCost − fillPrice) × closed quantity on a short one, and leaves avgCost as it was;
 * - a fill that goes through zero closes the old position (realising as above) and opens the
 *   rest at the fill price.
 *
 * A fill belongs to the account, symbol and side of its order's last OrderPlaced in the cut
 * (BUY adds, SELL takes away); a fill whose order has no OrderPlaced in the cut, or whose side
 * is neither BUY nor SELL, counts nowhere. Redeliveries are skipped; conflicting copies are
 * applied in seq order and counted in `conflicts`.
 *
 * The fold is sequential by nature, so it runs as a list_reduce in seq order per account and
 * symbol inside DuckDB (deterministic: the additions happen in the same order every time).
 * avgCost and realizedPnl are rounded to 6 decimals.
 */


/**
 * One fill f = {q, p} applied to an average-cost position state v = {pos, cost, pnl} (the body
 * of the fold's lambda): adding to the position raises its cost; reducing it realises P&L at the
 * average cost; crossing zero realises the old position and opens the rest at the fill price.
 */
function averageCostStep(v: string): string {
  return `CASE
        WHEN ${v}.pos = 0 OR sign(f.q) = sign(${v}.pos) THEN
          {'pos': ${v}.pos + f.q, 'cost': ${v}.cost + f.q * f.p, 'pnl': ${v}.pnl}
        WHEN abs(f.q) <= abs(${v}.pos) THEN
          {'pos': ${v}.pos + f.q, 'cost': (${v}.cost / ${v}.pos) * (${v}.pos + f.q), 'pnl': ${v}.pnl + abs(f.q) * (f.p - ${v}.cost / ${v}.pos) * sign(${v}.pos)}
        ELSE
          {'pos': ${v}.pos + f.q, 'cost': (${v}.pos + f.q) * f.p, 'pnl': ${v}.pnl + abs(${v}.pos) * (f.p - ${v}.cost / ${v}.pos) * sign(${v}.pos)}
      END`;
}
export const POSITION_COLUMNS = ['accountId', 'symbol', 'netQty', 'avgCost', 'realizedPnl', 'fills', 'conflicts', 'lastFillAt'] as const;

export function positionsSql(where: string): string {
  return `
WITH cut AS (
  SELECT seq, stream, type, ts, data, dup_kind FROM events
  WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
    AND type IN ('OrderPlaced', 'OrderPartiallyFilled', 'OrderFilled')
), orders AS (
  SELECT stream, arg_max_null(data, seq) AS placed FROM cut WHERE type = 'OrderPlaced' GROUP BY stream
), fills AS (
  SELECT o.placed->>'accountId' AS account_id, o.placed->>'symbol' AS symbol, f.seq, f.ts, f.dup_kind,
    CASE o.placed->>'side' WHEN 'BUY' THEN 1 WHEN 'SELL' THEN -1 END * f.fill.fillQty::DOUBLE AS q,
    f.fill.fillPrice::DOUBLE AS p
  FROM (SELECT *, json_transform(data, '{"fillQty":"DECIMAL(18,8)","fillPrice":"DECIMAL(18,8)"}') AS fill
        FROM cut WHERE type IN ('OrderPartiallyFilled', 'OrderFilled')) f
  JOIN orders o USING (stream)
  WHERE o.placed->>'side' IN ('BUY', 'SELL') AND f.fill.fillQty IS NOT NULL AND f.fill.fillPrice IS NOT NULL
), folded AS (
  SELECT account_id, symbol, count(*) AS fills, count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts,
    arg_max_null(ts, seq) AS last_ts,
    -- Collected unordered, then sorted by seq: an ORDER BY inside the aggregate buffers every
    -- group's rows apart and runs out of memory on large cuts.
    list_reduce(list_transform(list_sort(list({'seq': seq, 'q': q, 'p': p})), x -> {'q': x.q, 'p': x.p}), (s, f) ->
      ${averageCostStep('s')},
      {'pos': 0::DOUBLE, 'cost': 0::DOUBLE, 'pnl': 0::DOUBLE}) AS s
  FROM fills
  GROUP BY account_id, symbol
)
SELECT account_id AS accountId, symbol,
  s.pos AS netQty,
  CASE WHEN s.pos <> 0 THEN round(s.cost / s.pos, 6) END AS avgCost,
  round(s.pnl, 6) + 0.0 AS realizedPnl,
  fills::INTEGER AS fills,
  conflicts::INTEGER AS conflicts,
  evt_iso(last_ts) AS lastFillAt
FROM folded
ORDER BY accountId, symbol`;
}


/**
 * Snapshots. The partial state holds two kinds of rows: per account and symbol the fold's state
 * (pos, cost, pnl as DOUBLE, the counts, the last fill), and per order stream its last
 * OrderPlaced and how many fills it had (stream NOT NULL). A later fold continues each account
 * and symbol's list_reduce from the snapshot's state with the fills after it, placed by the
 * order's last OrderPlaced in the whole cut. That equals one fold over both unless an
 * OrderPlaced after the snapshot re-places an order that had fills before it (those fills
 * would move): positionsSnapshotBlocked counts such orders, and the snapshot is not used then.
 */
const FILL_TYPES = "('OrderPartiallyFilled', 'OrderFilled')";

export function positionsFoldSql(where: string): string {
  return `
  SELECT seq, stream, type, ts, data, dup_kind FROM events
  WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
    AND type IN ('OrderPlaced', 'OrderPartiallyFilled', 'OrderFilled')`;
}

export const POSITIONS_EMPTY = `(SELECT NULL::VARCHAR AS stream, NULL::JSON AS placed, NULL::BIGINT AS placed_seq, 0::BIGINT AS order_fills,
  NULL::VARCHAR AS account_id, NULL::VARCHAR AS symbol, NULL::DOUBLE AS pos, NULL::DOUBLE AS cost, NULL::DOUBLE AS pnl,
  0::BIGINT AS fills, 0::BIGINT AS conflicts, NULL::TIMESTAMP_NS AS last_ts, NULL::BIGINT AS last_seq WHERE false)`;

export function positionsMergeSql(base: string, fold: string): string {
  return `
  WITH b AS (SELECT * FROM ${base}), cut AS (${fold}),
  orders AS (
    SELECT coalesce(d.stream, s.stream) AS stream,
      CASE WHEN d.placed_seq IS NOT NULL THEN d.placed ELSE s.placed END AS placed,
      coalesce(d.placed_seq, s.placed_seq) AS placed_seq,
      coalesce(s.order_fills, 0) + coalesce(d.order_fills, 0) AS order_fills
    FROM (SELECT * FROM b WHERE stream IS NOT NULL) s
    FULL JOIN (
      SELECT stream, arg_max_null(data, seq) FILTER (WHERE type = 'OrderPlaced') AS placed,
        max(seq) FILTER (WHERE type = 'OrderPlaced') AS placed_seq,
        count(*) FILTER (WHERE type IN ${FILL_TYPES}) AS order_fills
      FROM cut GROUP BY stream
    ) d ON s.stream = d.stream
  ), fills AS (
    SELECT o.placed->>'accountId' AS account_id, o.placed->>'symbol' AS symbol, f.seq, f.ts, f.dup_kind,
      CASE o.placed->>'side' WHEN 'BUY' THEN 1 WHEN 'SELL' THEN -1 END * f.fill.fillQty::DOUBLE AS q,
      f.fill.fillPrice::DOUBLE AS p
    FROM (SELECT *, json_transform(data, '{"fillQty":"DECIMAL(18,8)","fillPrice":"DECIMAL(18,8)"}') AS fill
          FROM cut WHERE type IN ${FILL_TYPES}) f
    JOIN orders o USING (stream)
    WHERE o.placed->>'side' IN ('BUY', 'SELL') AND f.fill.fillQty IS NOT NULL AND f.fill.fillPrice IS NOT NULL
  ), d AS (
    SELECT account_id, symbol, count(*) AS fills, count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts,
      arg_max_null(ts, seq) AS last_ts, max(seq) AS last_seq,
      list_transform(list_sort(list({'seq': seq, 'q': q, 'p': p})), x -> {'q': x.q, 'p': x.p}) AS fl
    FROM fills GROUP BY account_id, symbol
  ), groups AS (
    SELECT coalesce(d.account_id, s.account_id) AS account_id, coalesce(d.symbol, s.symbol) AS symbol,
      CASE WHEN d.fl IS NULL THEN {'pos': s.pos, 'cost': s.cost, 'pnl': s.pnl} ELSE
      list_reduce(d.fl, (acc, f) ->
        ${averageCostStep('acc')},
        {'pos': coalesce(s.pos, 0::DOUBLE), 'cost': coalesce(s.cost, 0::DOUBLE), 'pnl': coalesce(s.pnl, 0::DOUBLE)}) END AS st,
      coalesce(s.fills, 0) + coalesce(d.fills, 0) AS fills,
      coalesce(s.conflicts, 0) + coalesce(d.conflicts, 0) AS conflicts,
      CASE WHEN d.fl IS NOT NULL THEN d.last_ts ELSE s.last_ts END AS last_ts,
      coalesce(d.last_seq, s.last_seq) AS last_seq
    FROM (SELECT * FROM b WHERE stream IS NULL) s
    FULL JOIN d ON s.account_id IS NOT DISTINCT FROM d.account_id AND s.symbol IS NOT DISTINCT FROM d.symbol
  )
  SELECT stream, placed, placed_seq, order_fills, NULL::VARCHAR AS account_id, NULL::VARCHAR AS symbol, NULL::DOUBLE AS pos,
    NULL::DOUBLE AS cost, NULL::DOUBLE AS pnl, 0::BIGINT AS fills, 0::BIGINT AS conflicts, NULL::TIMESTAMP_NS AS last_ts, NULL::BIGINT AS last_seq
  FROM orders
  UNION ALL BY NAME
  SELECT NULL::VARCHAR AS stream, NULL::JSON AS placed, NULL::BIGINT AS placed_seq, 0::BIGINT AS order_fills, account_id, symbol,
    st.pos AS pos, st.cost AS cost, st.pnl AS pnl, fills, conflicts, last_ts, last_seq
  FROM groups`;
}

export function positionsRowsSql(merged: string): string {
  return `SELECT account_id AS accountId, symbol,
  pos AS netQty,
  CASE WHEN pos <> 0 THEN round(cost / pos, 6) END AS avgCost,
  round(pnl, 6) + 0.0 AS realizedPnl,
  fills::INTEGER AS fills,
  conflicts::INTEGER AS conflicts,
  evt_iso(last_ts) AS lastFillAt
FROM ${merged}
WHERE stream IS NULL
ORDER BY accountId, symbol`;
}

/** Orders with fills before the snapshot that an OrderPlaced after it (in the cut) re-places: the snapshot cannot serve then. */
export function positionsSnapshotBlocked(base: string, later: string): string {
  return `SELECT count(*) AS n FROM ${base} s JOIN (SELECT DISTINCT stream FROM events WHERE (${later}) AND type = 'OrderPlaced'
    AND dup_kind IS DISTINCT FROM 'redelivery') d ON s.stream = d.stream WHERE s.order_fills > 0`;
}
