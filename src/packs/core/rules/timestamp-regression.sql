-- id: timestamp-regression
-- title: Time goes back inside a stream
-- severity: warning
-- description: Inside a stream, in revision order, an event's time (ts) is earlier than the
--   time of the event before it, by more than the tolerance.
--
--   Threshold: 0 by default: one writer appends a stream, so its times never go back at all
--   (a writer on several hosts may set the tolerance to its clocks' bound, e.g. MiFID II RTS
--   25's 1 ms).
-- rationale: A stream is written in order, so its times never go back. A time that does points
--   at a clock that jumped, or events written out of order: as-of replays and time windows
--   then put the event on the wrong side of the line.
-- requires: ts
-- uses: audit_stream_steps
-- param tolerance: duration = 0ns | how far back a time may go before it counts

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  type || ' (rev ' || coalesce(rev::VARCHAR, '?') || ') at ' || evt_iso(ts) || ' is ' || evt_secs(epoch_ns(prev_ts) - epoch_ns(ts))
    || ' earlier than the event before it, ' || prev_type || ' (rev ' || coalesce(prev_rev::VARCHAR, '?') || ') at ' || evt_iso(prev_ts) AS message,
  seq, prev_id, evt_iso(prev_ts) AS prev_ts, epoch_ns(prev_ts) - epoch_ns(ts) AS back_ns
FROM audit_stream_steps
WHERE epoch_ns(prev_ts) - epoch_ns(ts) > $tolerance
