/**
 * The `orders` projection of the trading pack (DESIGN §4) as one set-based DuckDB query: a
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

export const ORDER_EVENT_TYPES = [
  'OrderPlaced',
  'RiskCheckPassed',
  'RiskCheckRejected',
  'OrderRouted',
  'RoutingFailed',
  'RiskReservationReleased',
  'OrderAcknowledged',
  'OrderPartiallyFilled',
  'OrderFilled',
  'OrderCancelRequested',
  'OrderCancelled',
  'OrderRejected',
  'SettlementCompleted',
] as const;

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

const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

/**
 * The orders as of a cut. `where` is a condition on the events table (the cut, and a stream
 * filter for --key); rows come ordered by orderId.
 */
export function ordersSql(where: string): string {
  const progress = PROGRESS_STEPS.map(([type], i) => `WHEN '${type}' THEN ${i + 1}`).join(' ');
  const progressStatus = PROGRESS_STEPS.map(([, status], i) => `WHEN ${i + 1} THEN '${status}'`).join(' ');
  const terminalStatus = TERMINAL_STEPS.map(([type, status]) => `WHEN '${type}' THEN '${status}'`).join(' ');
  return `
WITH folded AS (
  SELECT stream,
    arg_max_null(data, seq) FILTER (WHERE type = 'OrderPlaced') AS placed,
    arg_min(type, seq) FILTER (WHERE type IN (${list(TERMINAL_STEPS.map(([t]) => t))})) AS terminal_type,
    max(CASE type ${progress} END) AS progress,
    sum(fill.fillQty) AS cum_qty,
    sum(CAST(fill.fillQty::DOUBLE * fill.fillPrice::DOUBLE AS DECIMAL(18,6))) AS notional,
    arg_max_null(data, seq) FILTER (WHERE type = 'OrderRouted') AS routed,
    arg_max(type, seq) AS last_type,
    arg_max_null(ts, seq) AS last_ts,
    count(*) AS events,
    count(*) FILTER (WHERE dup_kind = 'conflict') AS conflicts
  FROM (
    SELECT seq, stream, type, ts, data, dup_kind,
      CASE WHEN type IN ('OrderPartiallyFilled', 'OrderFilled')
        THEN json_transform(data, '{"fillQty":"DECIMAL(18,8)","fillPrice":"DECIMAL(18,8)"}') END AS fill
    FROM events
    WHERE (${where}) AND dup_kind IS DISTINCT FROM 'redelivery' AND stream IS NOT NULL
      AND type IN (${list(ORDER_EVENT_TYPES)})
  )
  GROUP BY stream
), shaped AS (
  SELECT stream,
    coalesce(placed->>'orderId', regexp_replace(stream, '^order-', '')) AS orderId,
    placed->>'accountId' AS accountId,
    placed->>'symbol' AS symbol,
    placed->>'side' AS side,
    TRY_CAST(placed->>'qty' AS DECIMAL(18,8)) AS qty,
    TRY_CAST(placed->>'limitPrice' AS DECIMAL(18,8)) AS limit_price,
    coalesce(CASE terminal_type ${terminalStatus} END, CASE progress ${progressStatus} END) AS status,
    coalesce(cum_qty, 0) AS cum_qty,
    notional, routed->>'venue' AS venue, last_type, last_ts, events, conflicts
  FROM folded
)
SELECT orderId, accountId, symbol, side,
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
FROM shaped
ORDER BY orderId, stream`;
}

/** --key: the streams an order key names (the order's stream, or a stream given as is). */
export function ordersKeyCondition(key: string): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return `stream IN (${q(`order-${key}`)}, ${q(key)})`;
}
