-- view: trading_orders
-- description: One row per order (stream) with what the trading rules compare, in one pass
--   over the events of the trading vocabulary (first occurrence of each id), reading data only
--   for OrderPlaced, fills and SettlementCompleted:
--   the order as placed (qty, side, limit_price; numbers are DECIMAL(38,6), exact; a value
--   that is not a number is NULL here and schema-violation reports it); positions in the
--   stream (as ord: the rev, or seq for an event without one) of the first terminal event
--   (settled, cancelled or rejected), the first RiskCheckPassed, OrderRouted and the last
--   RoutingFailed, RiskReservationReleased and fill; the fills (fills, filled_qty, max_cum_qty,
--   notional = Σ fill_qty × fill_price, min/max fill_price); the first settlement
--   (settlement_id, amount); the latest time (last_ts).
--   And one flag per trading rule, so that trading_suspects reads the few orders any rule
--   may report: overfilled, filled_after_terminal, routed_unchecked, uncompensated,
--   price_through_limit, open (no terminal event).
-- uses: audit_events, audit_known_types

SELECT *,
  qty IS NOT NULL AND (filled_qty > qty OR max_cum_qty > qty) AS overfilled,
  coalesce(last_fill_ord > terminal_ord, FALSE) AS filled_after_terminal,
  first_route_ord IS NOT NULL AND (risk_passed_ord IS NULL OR risk_passed_ord > first_route_ord) AS routed_unchecked,
  coalesce(last_failed_ord > risk_passed_ord AND (last_release_ord IS NULL OR last_release_ord < risk_passed_ord), FALSE) AS uncompensated,
  coalesce((side = 'BUY' AND max_fill_price > limit_price) OR (side = 'SELL' AND min_fill_price < limit_price), FALSE) AS price_through_limit,
  terminal_ord IS NULL AS open
FROM (
  SELECT stream,
    min(p.qty) AS qty,
    min(p.side) AS side,
    min(p.limitPrice) AS limit_price,
    min(ord) FILTER (WHERE type IN ('SettlementCompleted', 'OrderCancelled', 'OrderRejected')) AS terminal_ord,
    min(ord) FILTER (WHERE type = 'RiskCheckPassed') AS risk_passed_ord,
    min(ord) FILTER (WHERE type = 'OrderRouted') AS first_route_ord,
    max(ord) FILTER (WHERE type = 'RoutingFailed') AS last_failed_ord,
    max(ord) FILTER (WHERE type = 'RiskReservationReleased') AS last_release_ord,
    max(ord) FILTER (WHERE f IS NOT NULL) AS last_fill_ord,
    count(f) AS fills,
    sum(f.fillQty) AS filled_qty,
    max(f.cumQty) AS max_cum_qty,
    sum(f.fillQty * f.fillPrice) AS notional,
    min(f.fillPrice) AS min_fill_price,
    max(f.fillPrice) AS max_fill_price,
    min(id) FILTER (WHERE type = 'SettlementCompleted') AS settlement_id,
    min(amount) AS amount,
    max(ts) AS last_ts
  FROM (
    SELECT id, stream, type, ts, coalesce(rev, seq) AS ord,
      CASE WHEN type IN ('OrderPartiallyFilled', 'OrderFilled')
        THEN json_transform(data, '{"fillQty": "DECIMAL(38,6)", "fillPrice": "DECIMAL(38,6)", "cumQty": "DECIMAL(38,6)"}') END AS f,
      CASE WHEN type = 'OrderPlaced'
        THEN json_transform(data, '{"qty": "DECIMAL(38,6)", "side": "VARCHAR", "limitPrice": "DECIMAL(38,6)"}') END AS p,
      CASE WHEN type = 'SettlementCompleted'
        THEN json_transform(data, '{"amount": "DECIMAL(38,6)"}').amount END AS amount
    FROM audit_events
    WHERE stream IS NOT NULL AND type IN (SELECT type FROM audit_known_types WHERE pack = 'trading')
  )
  GROUP BY stream
)
