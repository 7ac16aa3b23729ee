/**
 * What the audit must look at after a batch, so that its findings about the batch's events are
 * the ones a full audit would make (the same rule as trace's findings, src/trace/findings.ts):
 * every event of the streams the batch touched, the first delivery of a redelivered id, and the
 * causes of all of them. Findings are kept for every event of those streams: a new event can
 * make an older one wrong (the second copy of a revision, a saga step out of order), and the
 * alerts table raises each finding once.
 */
import type { AuditScope } from '../audit/result.js';
import { sqlString } from '../store/sql.js';
import type { Store } from '../store/store.js';

export interface BatchScope extends AuditScope {
  sql: string;
  /** Nothing to audit: no new event, no stream crossed a timeout, no finding fell due. */
  empty: boolean;
}

/** Pending findings whose settle time has passed: their streams (or events) are audited again before they are raised. */
export interface DueFindings {
  streams: readonly string[];
  eventIds: readonly string[];
}

/**
 * Rules that judge a stream by how long ago its last event was, against the end of the log
 * (saga-incomplete: no news for longer than its timeout): a stream the batch did not touch
 * can still cross such a line, because the end moved (a batch came, or the watch's clock ran
 * on: clock.ts). For each such threshold T, the streams whose last event falls in
 * (previous end − T, end − T] crossed it since the last audit, and are audited whole: each is
 * judged once, when its time has come.
 */
export interface TimeCrossings {
  /** The end at the previous audit (ns since the epoch); null before the first. */
  previousEnd: bigint | null;
  /** The end now: what the audit judges against. */
  end: bigint | null;
  thresholdsNs: readonly bigint[];
}

export async function batchScope(store: Store, from: number, to: number, crossings: TimeCrossings, due: DueFindings = { streams: [], eventIds: [] }): Promise<BatchScope> {
  const { previousEnd, end } = crossings;
  // A stream's last event is in (a, b] when it has an event there and none after b: read by
  // time, constants against ts (the tail of a live log, pruned by the ts zone maps), not a
  // max(ts) per stream over the whole store on every batch.
  const at = (ns: bigint) => `make_timestamp_ns(${ns})`;
  const crossed = previousEnd !== null && end !== null && end > previousEnd && crossings.thresholdsNs.length > 0
    ? crossings.thresholdsNs.map((t) => `(SELECT DISTINCT stream FROM {events} WHERE stream IS NOT NULL
        AND ts > ${at(previousEnd - t)} AND ts <= ${at(end - t)}
        AND stream NOT IN (SELECT stream FROM {events} WHERE stream IS NOT NULL AND ts > ${at(end - t)}))`).join(' UNION ')
    : null;
  // The due findings are few (a batch's worth of pending ones): their keys as literals.
  const list = (xs: readonly string[]) => (xs.length === 0 ? null : [...new Set(xs)].map(sqlString).join(', '));
  const dueStreams = list(due.streams);
  const dueIds = list(due.eventIds);
  const lo = Math.trunc(from);
  const hi = Math.trunc(to);
  const parts = `
    WITH fresh AS (SELECT seq, stream, dup_of, causation_id FROM {events} WHERE seq > ${lo} AND seq <= ${hi}),
    crossed AS (${crossed ?? 'SELECT NULL::VARCHAR AS stream WHERE false'}),
    touched AS (SELECT DISTINCT stream FROM fresh WHERE stream IS NOT NULL UNION SELECT stream FROM crossed
      ${dueStreams ? `UNION SELECT unnest([${dueStreams}]) AS stream` : ''}),
    base AS (
      SELECT seq FROM {events} WHERE stream IN (SELECT stream FROM touched)
      UNION SELECT seq FROM fresh
      ${dueIds ? `UNION SELECT seq FROM {events} WHERE id IN (${dueIds})` : ''}
    )`;
  // The scope stays a query (AuditScope.sql): the auditor runs it on its own connection and
  // fills its tables from it, with no event going through JavaScript.
  const sql = `${parts},
    firsts AS (SELECT e.dup_of AS seq FROM {events} e JOIN base USING (seq) WHERE e.dup_of IS NOT NULL),
    causes AS (
      SELECT c.seq FROM {events} c
      WHERE c.id IN (SELECT e.causation_id FROM {events} e JOIN base USING (seq) WHERE e.causation_id IS NOT NULL)
    ),
    scope AS (SELECT seq FROM base UNION SELECT seq FROM firsts UNION SELECT seq FROM causes)
    SELECT seq, seq IN (SELECT seq FROM base) AS judged FROM scope`;
  // A batch with events is never empty; a quiet look (a clock crossing, a due finding) may be.
  const empty = hi > lo ? false : !(await store.all(`${parts.replaceAll('{events}', 'events')} SELECT EXISTS (SELECT 1 FROM base) AS any`))[0]!.any;
  return {
    ...(end !== null ? { logEndNs: end } : {}),
    seqs: [],
    eventIds: [],
    sql,
    empty,
  };
}
