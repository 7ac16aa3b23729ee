-- id: stream-revision-gap
-- title: A revision is missing in a stream
-- severity: error
-- description: Inside a stream, in revision order, an event's rev is more than one above the
--   rev before it: the revisions in between are missing from the log. A stream may start at
--   any rev (a log can begin mid-stream); only holes after its first event count.
--
--   Threshold: none: revisions count by one, so any hole counts.
-- rationale: A stream's revisions count its events without holes. A hole means events were lost
--   on the way (a dropped message, a partial export), so any state rebuilt from the stream is
--   wrong from that point on.
-- requires: rev
-- uses: audit_stream_steps

SELECT id AS event_id, stream, type, evt_iso(ts) AS ts,
  CASE WHEN rev - prev_rev = 2 THEN 'rev ' || (prev_rev + 1) || ' is missing'
       ELSE 'revs ' || (prev_rev + 1) || '–' || (rev - 1) || ' are missing' END
    || ': rev ' || prev_rev || ' (' || prev_type || ') is followed by rev ' || rev || ' (' || type || ')' AS message,
  seq, rev, prev_rev, prev_id
FROM audit_stream_steps
WHERE rev - prev_rev > 1
