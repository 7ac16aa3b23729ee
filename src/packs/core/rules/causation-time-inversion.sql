-- id: causation-time-inversion
-- title: An effect is earlier than its cause
-- severity: warning
-- description: An event's time is earlier than the time of the event its causation_id names,
--   by more than the tolerance (clocks of different hosts drift a little).
--
--   Threshold: 100 ms by default, the error NTP leaves on hosts synchronised over the public
--   Internet ("tens of milliseconds", RFC 5905 and ntp.org's accuracy notes): a bigger skew is
--   a clock that is not synchronised. While the trading pack is in force its default is 1 ms:
--   EU MiFID II RTS 25 (Commission Delegated Regulation 2017/574, art. 1-4 and Annex) requires
--   trading venues' and members' business clocks within 1 ms of UTC (100 µs for
--   high-frequency algorithmic trading: --param causation-time-inversion.tolerance=100us).
-- rationale: A cause happens before its effect. An effect stamped earlier means a skewed clock
--   on one of the hosts, and every time-based conclusion about the two (latencies, ordering,
--   as-of state) is wrong.
-- requires: causation, ts
-- uses: audit_causes
-- param tolerance: duration = 100ms | how much earlier than its cause an effect may be stamped (trading pack: 1ms)

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' is ' || evt_secs(epoch_ns(cause_ts) - epoch_ns(ts)) || ' earlier than its cause ' || cause_type || ' ' || causation_id AS message,
  seq, causation_id AS cause_id, cause_type, evt_iso(cause_ts) AS cause_ts, epoch_ns(cause_ts) - epoch_ns(ts) AS early_ns
FROM audit_causes
WHERE epoch_ns(cause_ts) - epoch_ns(ts) > $tolerance
