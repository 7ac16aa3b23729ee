-- id: settlement-mismatch
-- title: A settlement amount differs from the fills
-- severity: error
-- pack: trading
-- description: The amount of an order's SettlementCompleted differs from Σ fillQty × fillPrice
--   over the order's fills by more than the tolerance.
--
--   Threshold: 0.01 by default, one minor unit of the usual settlement currencies (ISO 4217:
--   two decimals for USD, EUR, GBP): less than that is rounding of Σ fillQty × fillPrice.
-- rationale: Settlement moves the money for what was executed. An amount that does not match
--   the fills books a wrong cash movement (a break to reconcile, a client charged wrongly).
-- uses: trading_orders
-- param tolerance: number = 0.01 | the difference, in the settlement currency, that is still a match

SELECT settlement_id AS event_id, stream, 'SettlementCompleted' AS type,
  'amount ' || evt_num(amount) || ' but the fills total ' || evt_num(coalesce(notional, 0))
    || ' (' || fills || ' fill' || CASE WHEN fills = 1 THEN '' ELSE 's' END || ', off by ' || evt_num(abs(amount - coalesce(notional, 0))) || ')' AS message,
  evt_num(amount) AS amount, evt_num(coalesce(notional, 0)) AS fills_total, fills
FROM trading_orders
WHERE settlement_id IS NOT NULL AND abs(amount - coalesce(notional, 0)) > $tolerance
