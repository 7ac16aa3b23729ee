-- id: fill-after-terminal
-- title: A fill after the order was cancelled, rejected or settled
-- severity: error
-- pack: trading
-- description: An OrderPartiallyFilled or OrderFilled comes, in stream order, after the
--   order's first terminal event (OrderCancelled, OrderRejected or SettlementCompleted). A
--   fill between OrderCancelRequested and OrderCancelled is legal and not reported.
--
--   Threshold: none, in stream order.
-- rationale: A terminal order is closed: the venue must not execute it any more and the books
--   have been closed on it. A late fill is an execution nobody accounts for (the position
--   moves, the settlement does not).
-- uses: trading_orders, trading_suspects

WITH terminal AS (
  SELECT stream, arg_min(type, ord) AS terminal_type, arg_min(id, ord) AS terminal_id, min(ord) AS terminal_ord
  FROM trading_suspects
  WHERE type IN ('SettlementCompleted', 'OrderCancelled', 'OrderRejected')
    AND stream IN (SELECT stream FROM trading_orders WHERE filled_after_terminal)
  GROUP BY stream
)
SELECT f.id AS event_id, f.stream, f.type, evt_iso(f.ts) AS ts,
  f.type || ' of ' || coalesce(evt_num(f.fill_qty), '?') || ' after ' || t.terminal_type || ' ' || t.terminal_id AS message,
  f.seq, t.terminal_type, t.terminal_id
FROM trading_suspects f
JOIN terminal t USING (stream)
WHERE f.type IN ('OrderPartiallyFilled', 'OrderFilled') AND f.ord > t.terminal_ord
