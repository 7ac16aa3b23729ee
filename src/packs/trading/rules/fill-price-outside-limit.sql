-- id: fill-price-outside-limit
-- title: A fill at a price worse than the order's limit
-- severity: error
-- pack: trading
-- description: A fill of a BUY order above its limitPrice, or of a SELL order below it.
--
--   Threshold: none, exact decimal comparison: a limit is a hard bound (one tick through it
--   is through it).
-- rationale: A limit order may only execute at its limit or better. A fill through the limit
--   is an execution the client never authorised (best execution, MiFID II art. 27; FINRA 5310).
-- uses: trading_orders, trading_suspects

SELECT f.id AS event_id, f.stream, f.type, evt_iso(f.ts) AS ts,
  o.side || ' filled at ' || evt_num(f.fill_price) || ', ' || CASE WHEN o.side = 'BUY' THEN 'above' ELSE 'below' END
    || ' its limit ' || evt_num(o.limit_price) AS message,
  f.seq, o.side, evt_num(o.limit_price) AS limit_price, evt_num(f.fill_price) AS fill_price
FROM trading_suspects f
JOIN (SELECT stream, side, limit_price FROM trading_orders WHERE price_through_limit) o USING (stream)
WHERE f.type IN ('OrderPartiallyFilled', 'OrderFilled')
  AND ((o.side = 'BUY' AND f.fill_price > o.limit_price) OR (o.side = 'SELL' AND f.fill_price < o.limit_price))
