import { TRADING_EVENT_TYPES } from '../../packs/trading/vocabulary.js';
import { sql, sqlString, type Fragment } from '../../store/sql.js';
/**
 * The `orders` projection of the trading pack (docs/architecture.md §4) as one set-based DuckDB query: a
 * GROUP BY stream over the events up to the cut, with aggregates that are the fold of the
 * order state machine. The plain-JavaScript fold in ../reference/orders.ts is the executable
 * spec it is tested against.
 *
 * The state machine (the same in both):
 * - status only moves forward: NEW < RISK_APPROVED < ROUTED < ACKNOWLEDGED < PARTIALLY_FILLED
 *   < CANCEL_REQUESTED < FILLED (a fill racing a cancel request leaves CANCEL_REQUESTED, a
 *   cancel request after the last fill leaves FILLED, a late or conflicting copy of an earlier
 *   step never moves it back);
 * - the first terminal event decides for good: SettlementCompleted → SETTLED, OrderCancelled →
 *   CANCELLED, RiskCheckRejected / RoutingFailed / OrderRejected → REJECTED (routing failure is
 *   a rejection; its compensation, RiskReservationReleased, changes no status);
 * - every fill counts, also one after the order ended (so a fill after a cancel shows in cumQty):
 *   cumQty = Σ fillQty, avgPrice = Σ fillQty × fillPrice / cumQty (quantity-weighted), and
 *   leavesQty = max(qty − cumQty, 0), or 0 once CANCELLED or REJECTED (FIX's LeavesQty);
 * - order details (accountId, symbol, side, qty, limitPrice) come from the last OrderPlaced, the
 *   venue from the last OrderRouted;
 * - redeliveries (a second copy of an id with the same content) are skipped; conflicts (same id,
 *   different content) are applied in seq order like any event and counted in `conflicts`.
 *
 * An order is a stream (`order-<orderId>`); only events of the vocabulary below take part.
 * Quantities and prices are read as DECIMAL(18,8) and each fill's notional as DECIMAL(18,6), so
 * the sums are exact and do not depend on the order DuckDB's threads add them in: the same store
 * always gives the same bytes.
 */

/** The event types that take part: the trading pack's vocabulary. */
export const ORDER_EVENT_TYPES = TRADING_EVENT_TYPES;

/** Non-terminal statuses in the order they are reached, with the event that reaches each. */
export const PROGRESS_STEPS = [
  ['OrderPlaced', 'NEW'],
  ['RiskCheckPassed', 'RISK_APPROVED'],
  ['OrderRouted', 'ROUTED'],
  ['OrderAcknowledged', 'ACKNOWLEDGED'],
  ['OrderPartiallyFilled', 'PARTIALLY_FILLED'],
  ['OrderCancelRequested', 'CANCEL_REQUESTED'],
  ['OrderFilled', 'FILLED'],
] as const;

export const TERMINAL_STEPS = [
  ['SettlementCompleted', 'SETTLED'],
  ['OrderCancelled', 'CANCELLED'],
  ['RiskCheckRejected', 'REJECTED'],
  ['RoutingFailed', 'REJECTED'],
  ['OrderRejected', 'REJECTED'],
] as const;

export const ORDER_COLUMNS = [
  'orderId', 'accountId', 'symbol', 'side', 'qty', 'limitPrice', 'status', 'cumQty', 'leavesQty',
  'avgPrice', 'venue', 'lastEventType', 'lastEventAt', 'events', 'conflicts',
] as const;

const list = (xs: readonly string[]) => xs.map(sqlString).join(', ');

/**
 * The orders as of a cut. `where` is a condition on the events table (the cut, and a stream
 * filter for --key); rows come ordered by orderId.
 */
export function ordersSql(where: string): string {
  return `
WITH folded AS (${ordersFoldSql(where)}), shaped AS (${ordersShapeSql('folded')})
${ordersFinalSql('shaped')}`;
}

/**
 * The fold of the events of `where`, per stream: the partial state of an order, which a
 * snapshot keeps and a later fold continues (ordersMergeSql). Besides what the rows need, it
 * keeps the seq of the last OrderPlaced / OrderRouted, so a merge knows which side saw one.
 */
export function ordersFoldSql(where: string): string {
  return `
  SELECT stream,
    arg_max_null(data, seq) FILTER (WHERE type = 'OrderPlaced') AS placed,
    max(seq) FILTER (WHERE type = 'OrderPlaced') AS placed_seq,
    [${list(TERMINAL_STEPS.map(([t]) => t))}][arg_min(terminal, seq) FILTER (WHERE terminal IS NOT NULL)] AS terminal_type,
    max(progress) AS progress,
    sum(fill.fillQty) AS cum_qty,
    sum(CAST(fill.fillQty::DOUBLE * fill.fillPrice::DOUBLE AS DECIMAL(18,6))) AS notional,
    arg_max_null(data, seq) FILTER (WHERE type = 'OrderRouted') AS routed,
    max(seq) FILTER (WHERE type = 'OrderRouted') AS routed_seq,
    arg_max(type, seq) AS last_type,
    arg_max_null(ts, seq) AS last_ts,
    max(seq) AS last_seq,
    count(*) AS events,
    count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts
  FROM (
    SELECT seq, stream, type, ts, data, dup_kind,
      CASE WHEN type IN ('OrderPartiallyFilled', 'OrderFilled')
        THEN json_transform(data, '{"fillQty":"DECIMAL(18,8)","fillPrice":"DECIMAL(18,8)"}') END AS fill
    FROM events
    WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
  ) JOIN (VALUES ${vocabularyRows()}) AS order_vocabulary(type, progress, terminal) USING (type)
  GROUP BY stream`;
}

/**
 * The vocabulary as a table: each type with its step (1.. in PROGRESS_STEPS order) or its
 * terminal (1-based in TERMINAL_STEPS), NULL when it is neither. Joining it keeps the
 * vocabulary's events and gives each its step as a number: on 10M events, 5M of them before the
 * cut, a CASE of string comparisons per event and arg_min over the type's text took 620 ms of
 * CPU to count the statuses, the join and integer aggregates 340 ms (BENCHMARKS.md, issue 21).
 */
function vocabularyRows(): string {
  return ORDER_EVENT_TYPES.map((type) => {
    const progress = PROGRESS_STEPS.findIndex(([t]) => t === type);
    const terminal = TERMINAL_STEPS.findIndex(([t]) => t === type);
    return `(${sqlString(type)}, ${progress < 0 ? 'NULL' : `${progress + 1}::TINYINT`}, ${terminal < 0 ? 'NULL' : `${terminal + 1}::TINYINT`})`;
  }).join(', ');
}

/**
 * A snapshot's partial states (`base`, a relation with the columns of ordersFoldSql, from all
 * events before the fold's) continued by the fold of later events (`fold`): the same rows as one
 * fold over both. Every aggregate is one that splits at a seq: the later side's last-of values
 * win when it has any, the earlier side's first terminal event wins, the maxima take the
 * greater, the counts and the exact DECIMAL sums add.
 */
export function ordersMergeSql(base: string, fold: string): string {
  const addNull = (c: string) => `CASE WHEN s.${c} IS NULL THEN d.${c} WHEN d.${c} IS NULL THEN s.${c} ELSE s.${c} + d.${c} END AS ${c}`;
  return `
  SELECT coalesce(d.stream, s.stream) AS stream,
    CASE WHEN d.placed_seq IS NOT NULL THEN d.placed ELSE s.placed END AS placed,
    coalesce(d.placed_seq, s.placed_seq) AS placed_seq,
    coalesce(s.terminal_type, d.terminal_type) AS terminal_type,
    greatest(s.progress, d.progress) AS progress,
    ${addNull('cum_qty')},
    ${addNull('notional')},
    CASE WHEN d.routed_seq IS NOT NULL THEN d.routed ELSE s.routed END AS routed,
    coalesce(d.routed_seq, s.routed_seq) AS routed_seq,
    CASE WHEN d.stream IS NOT NULL THEN d.last_type ELSE s.last_type END AS last_type,
    CASE WHEN d.stream IS NOT NULL THEN d.last_ts ELSE s.last_ts END AS last_ts,
    coalesce(d.last_seq, s.last_seq) AS last_seq,
    coalesce(s.events, 0) + coalesce(d.events, 0) AS events,
    coalesce(s.conflicts, 0) + coalesce(d.conflicts, 0) AS conflicts
  FROM ${base} s FULL JOIN (${fold}) d ON s.stream = d.stream`;
}

/** The partial states of a relation shaped into what the rows need. */
export function ordersShapeSql(folded: string): string {
  const progressStatus = PROGRESS_STEPS.map(([, status], i) => `WHEN ${i + 1} THEN '${status}'`).join(' ');
  const terminalStatus = TERMINAL_STEPS.map(([type, status]) => `WHEN '${type}' THEN '${status}'`).join(' ');
  return `
  SELECT stream,
    coalesce(p[1], regexp_replace(stream, '^order-', '')) AS orderId,
    p[2] AS accountId,
    p[3] AS symbol,
    p[4] AS side,
    TRY_CAST(p[5] AS DECIMAL(18,8)) AS qty,
    TRY_CAST(p[6] AS DECIMAL(18,8)) AS limit_price,
    coalesce(CASE terminal_type ${terminalStatus} END, CASE progress ${progressStatus} END) AS status,
    coalesce(cum_qty, 0) AS cum_qty,
    notional, routed->>'venue' AS venue, last_type, last_ts, events, conflicts
  -- The order's details in one pass over its OrderPlaced (p[i] = placed->>'field', one parse instead of six).
  FROM (SELECT *, json_extract_string(placed, ['orderId', 'accountId', 'symbol', 'side', 'qty', 'limitPrice']) AS p FROM ${folded})`;
}

/** The rows, in orderId order. */
export function ordersFinalSql(shaped: string): string {
  return `SELECT orderId, accountId, symbol, side,
  qty::DOUBLE AS qty,
  limit_price::DOUBLE AS limitPrice,
  status,
  cum_qty::DOUBLE AS cumQty,
  -- greatest() skips NULLs: an order whose OrderPlaced is not in the cut has no known leavesQty
  CASE WHEN status IN ('CANCELLED', 'REJECTED') THEN 0 WHEN qty IS NOT NULL THEN greatest(qty - cum_qty, 0) END::DOUBLE AS leavesQty,
  CASE WHEN cum_qty > 0 THEN round(notional::DOUBLE / cum_qty::DOUBLE, 6) END AS avgPrice,
  venue,
  last_type AS lastEventType,
  evt_iso(last_ts) AS lastEventAt,
  events::INTEGER AS events,
  conflicts::INTEGER AS conflicts
FROM ${shaped}
ORDER BY orderId, stream`;
}

/** --key: the streams an order key names (the order's stream, or a stream given as is). */
export function ordersKeyCondition(key: string): Fragment {
  // A tenant's stream is <tenant>/<stream> (Marten's conjoined tenancy): its order key too.
  return sql`(stream IN (${`order-${key}`}, ${key}) OR suffix(stream, ${`/order-${key}`}) OR suffix(stream, ${`/${key}`}))`;
}
