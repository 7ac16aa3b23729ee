-- id: saga-incomplete
-- title: An order saga never reached a terminal state
-- severity: warning
-- pack: trading
-- description: An order has no terminal event (OrderCancelled, OrderRejected or
--   SettlementCompleted) and its latest event is more than the timeout before the end of the
--   log (the latest time in the store). Its last event in stream order is reported.
--
--   Threshold: 60 s by default. No regulation sets it: an order's steps (risk check, routing,
--   venue acknowledgement) take milliseconds, and FIX venues send an execution report for
--   every state change, so a minute of silence is far beyond a live order's; orders that
--   legitimately rest longer (GTC, iceberg) need --param saga-incomplete.timeout=….
-- rationale: Every order ends settled, cancelled or rejected. One that stops half-way is
--   stuck: its reservation, its open quantity at the venue or its unsettled fills are nobody's
--   to resolve.
-- requires: ts
-- uses: trading_orders, trading_suspects, audit_window
-- settle: 0s | a later event of the order withdraws the finding (a terminal one for good, any
--   other one until the timeout passes again); the timeout is already the wait, so watch
--   raises it as soon as it holds
-- param timeout: duration = 60s | how long an order may go without news before it counts as stuck

SELECT e.id AS event_id, e.stream, e.type, evt_iso(e.ts) AS ts,
  'no terminal event; the last is ' || e.type || ', and the latest time ' || evt_iso(o.last_ts) || ' is '
    || evt_duration(epoch_ns(w.log_end) - epoch_ns(o.last_ts)) || ' before the end of the log' AS message,
  e.seq, evt_iso(o.last_ts) AS last_ts, evt_iso(w.log_end) AS log_end
FROM trading_orders o
CROSS JOIN audit_window w
JOIN trading_suspects e USING (stream)
WHERE o.open AND epoch_ns(w.log_end) - epoch_ns(o.last_ts) > $timeout
QUALIFY row_number() OVER (PARTITION BY e.stream ORDER BY e.ord DESC, e.seq DESC) = 1
