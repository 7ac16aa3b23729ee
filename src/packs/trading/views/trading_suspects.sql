-- view: trading_suspects
-- description: Every event of the orders that some trading rule may report (a flag of
--   trading_orders is set), with its position in the stream (ord) and its data fields typed
--   like in trading_orders: qty, side, limit_price (OrderPlaced), fill_qty, fill_price, cum_qty
--   (fills), amount (SettlementCompleted). Few rows: the rules read their events from here
--   instead of scanning the log again each.
-- uses: audit_events, trading_orders

SELECT seq, id, stream, rev, type, ts, coalesce(rev, seq) AS ord,
  p.qty, p.side, p.limitPrice AS limit_price,
  f.fillQty AS fill_qty, f.fillPrice AS fill_price, f.cumQty AS cum_qty,
  amount
FROM (
  SELECT seq, id, stream, rev, type, ts,
    CASE WHEN type = 'OrderPlaced'
      THEN json_transform(data, '{"qty": "DECIMAL(38,6)", "side": "VARCHAR", "limitPrice": "DECIMAL(38,6)"}') END AS p,
    CASE WHEN type IN ('OrderPartiallyFilled', 'OrderFilled')
      THEN json_transform(data, '{"fillQty": "DECIMAL(38,6)", "fillPrice": "DECIMAL(38,6)", "cumQty": "DECIMAL(38,6)"}') END AS f,
    CASE WHEN type = 'SettlementCompleted'
      THEN json_transform(data, '{"amount": "DECIMAL(38,6)"}').amount END AS amount
  FROM audit_events
  WHERE stream IN (
    SELECT stream FROM trading_orders
    WHERE overfilled OR filled_after_terminal OR routed_unchecked OR uncompensated OR price_through_limit OR open)
)
