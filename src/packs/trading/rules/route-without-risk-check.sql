-- id: route-without-risk-check
-- title: An order was routed without a passed risk check
-- severity: error
-- pack: trading
-- description: An OrderRouted comes, in stream order, before any RiskCheckPassed of its order
--   (there is none, or only a later one; a RiskCheckRejected does not count).
--
--   Threshold: none, in stream order: SEC 15c3-5 wants the check before the order is sent.
-- rationale: Pre-trade risk controls must run before an order reaches a market (SEC Rule 15c3-5,
--   MiFID II RTS 6). A routed order that skipped them can breach credit, exposure or
--   restricted-list limits unchecked.
-- uses: trading_orders, trading_suspects

WITH checks AS (
  SELECT stream,
    min(ord) FILTER (WHERE type = 'RiskCheckPassed') AS passed_ord,
    min(ord) FILTER (WHERE type = 'RiskCheckRejected') AS rejected_ord
  FROM trading_suspects
  WHERE stream IN (SELECT stream FROM trading_orders WHERE routed_unchecked)
  GROUP BY stream
)
SELECT r.id AS event_id, r.stream, r.type, evt_iso(r.ts) AS ts,
  CASE WHEN c.rejected_ord < r.ord THEN 'OrderRouted after the risk check rejected the order'
       WHEN c.passed_ord IS NOT NULL THEN 'OrderRouted before its RiskCheckPassed'
       ELSE 'OrderRouted with no RiskCheckPassed' END AS message,
  r.seq
FROM trading_suspects r
JOIN checks c USING (stream)
WHERE r.type = 'OrderRouted' AND (c.passed_ord IS NULL OR r.ord < c.passed_ord)
