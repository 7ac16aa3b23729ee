-- id: compensation-missing
-- title: A failed routing was not compensated
-- severity: error
-- pack: trading
-- description: A RoutingFailed comes after a RiskCheckPassed of its order, and no
--   RiskReservationReleased follows the risk check: the exposure reserved for the order is
--   never given back. The first such RoutingFailed is reported.
--
--   Threshold: none, in stream order (a release at any later point counts).
-- rationale: A saga that fails after a step that reserved something must run that step's
--   compensation. A reservation that is never released keeps blocking the account's buying
--   power (and other orders are rejected for exposure that does not exist).
-- uses: trading_orders, trading_suspects
-- settle: 2s | a RiskReservationReleased that comes later withdraws the finding ("no release
--   follows"): the compensating step normally follows the failure within milliseconds, but a
--   live log can bring it in the next batch, so watch raises the finding only once it has held
--   for 2 s on its clock (watch --settle compensation-missing=DURATION)

SELECT f.id AS event_id, f.stream, f.type, evt_iso(f.ts) AS ts,
  'RoutingFailed after RiskCheckPassed, and no RiskReservationReleased' AS message,
  f.seq
FROM trading_suspects f
JOIN (SELECT stream, risk_passed_ord FROM trading_orders WHERE uncompensated) o USING (stream)
WHERE f.type = 'RoutingFailed' AND f.ord > o.risk_passed_ord
QUALIFY row_number() OVER (PARTITION BY f.stream ORDER BY f.ord, f.seq) = 1
