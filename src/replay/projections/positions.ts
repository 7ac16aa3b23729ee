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
      CASE
        WHEN s.pos = 0 OR sign(f.q) = sign(s.pos) THEN
          {'pos': s.pos + f.q, 'cost': s.cost + f.q * f.p, 'pnl': s.pnl}
        WHEN abs(f.q) <= abs(s.pos) THEN
          {'pos': s.pos + f.q, 'cost': (s.cost / s.pos) * (s.pos + f.q), 'pnl': s.pnl + abs(f.q) * (f.p - s.cost / s.pos) * sign(s.pos)}
        ELSE
          {'pos': s.pos + f.q, 'cost': (s.pos + f.q) * f.p, 'pnl': s.pnl + abs(s.pos) * (f.p - s.cost / s.pos) * sign(s.pos)}
      END,
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

