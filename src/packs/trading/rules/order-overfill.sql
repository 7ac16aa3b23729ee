-- id: order-overfill
-- title: An order is filled beyond its quantity
-- severity: error
-- pack: trading
-- description: The fills of an order add up to more than the quantity it was placed with: the
--   fill's cumQty, or the running sum of fillQty in stream order, exceeds OrderPlaced.qty. The
--   first fill that crosses the quantity is reported.
--
--   Threshold: none, exact decimals: FIX's CumQty ≤ OrderQty allows no excess.
-- rationale: An execution may never exceed the order quantity (FIX: CumQty ≤ OrderQty). An
--   overfill leaves the client with a position it did not ask for and the firm with the risk.
-- uses: trading_orders, trading_suspects

WITH fills AS (
  SELECT f.id, f.stream, f.type, f.ts, f.seq, f.ord, f.cum_qty, o.qty,
    sum(f.fill_qty) OVER (PARTITION BY f.stream ORDER BY f.ord, f.seq ROWS UNBOUNDED PRECEDING) AS running
  FROM trading_suspects f
  JOIN trading_orders o USING (stream)
  WHERE o.overfilled AND f.type IN ('OrderPartiallyFilled', 'OrderFilled')
)
SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' brings the order to ' || evt_num(greatest(coalesce(cum_qty, 0), running)) || ' filled, above its qty '
    || evt_num(qty) || ' (by ' || evt_num(greatest(coalesce(cum_qty, 0), running) - qty) || ')' AS message,
  seq, evt_num(qty) AS qty, evt_num(cum_qty) AS cum_qty, evt_num(running) AS fill_qty_sum
FROM fills
WHERE greatest(coalesce(cum_qty, 0), running) > qty
QUALIFY row_number() OVER (PARTITION BY stream ORDER BY ord, seq) = 1
