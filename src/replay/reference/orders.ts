/**
 * The `orders` projection as a plain JavaScript fold: `evolve(state, event)` from
 * `initialState()`, pure, in Emmett's decider shape. It is the executable spec the SQL
 * projection (../projections/orders.ts) is tested against, written event by event on purpose:
 * it shares no code with the SQL, only the rules (see the comment there).
 */

export type OrderStatus =
  | 'NEW'
  | 'RISK_APPROVED'
  | 'ROUTED'
  | 'ACKNOWLEDGED'
  | 'PARTIALLY_FILLED'
  | 'CANCEL_REQUESTED'
  | 'FILLED'
  | 'SETTLED'
  | 'CANCELLED'
  | 'REJECTED';

/** What the fold needs of an event (the store's envelope, data parsed). */
export interface OrderEvent {
  seq: number;
  stream: string | null;
  type: string;
  /** ISO 8601 UTC, nine fractional digits, or null when the source had no time. */
  ts: string | null;
  data: unknown;
  dup_kind?: 'redelivery' | 'conflict' | null;
}

export interface OrderState {
  orderId: string | null;
  accountId: string | null;
  symbol: string | null;
  side: string | null;
  qty: number | null;
  limitPrice: number | null;
  status: OrderStatus | null;
  cumQty: number;
  /** Σ fillQty × fillPrice, each fill rounded to a millionth. */
  notional: number;
  venue: string | null;
  lastEventType: string | null;
  lastEventAt: string | null;
  events: number;
  conflicts: number;
}

/** One row of the projection. */
export interface OrderRow {
  orderId: string;
  accountId: string | null;
  symbol: string | null;
  side: string | null;
  qty: number | null;
  limitPrice: number | null;
  status: OrderStatus | null;
  cumQty: number;
  leavesQty: number | null;
  avgPrice: number | null;
  venue: string | null;
  lastEventType: string | null;
  lastEventAt: string | null;
  events: number;
  conflicts: number;
}

export function initialState(): OrderState {
  return {
    orderId: null, accountId: null, symbol: null, side: null, qty: null, limitPrice: null,
    status: null, cumQty: 0, notional: 0, venue: null, lastEventType: null, lastEventAt: null,
    events: 0, conflicts: 0,
  };
}

const FORWARD: OrderStatus[] = ['NEW', 'RISK_APPROVED', 'ROUTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED', 'CANCEL_REQUESTED', 'FILLED'];
const ENDED: OrderStatus[] = ['SETTLED', 'CANCELLED', 'REJECTED'];

/** The status an event moves the order to, before the forward-only and terminal rules. */
function statusOf(type: string): OrderStatus | undefined {
  switch (type) {
    case 'OrderPlaced': return 'NEW';
    case 'RiskCheckPassed': return 'RISK_APPROVED';
    case 'OrderRouted': return 'ROUTED';
    case 'OrderAcknowledged': return 'ACKNOWLEDGED';
    case 'OrderPartiallyFilled': return 'PARTIALLY_FILLED';
    case 'OrderCancelRequested': return 'CANCEL_REQUESTED';
    case 'OrderFilled': return 'FILLED';
    case 'SettlementCompleted': return 'SETTLED';
    case 'OrderCancelled': return 'CANCELLED';
    case 'RiskCheckRejected':
    case 'RoutingFailed':
    case 'OrderRejected': return 'REJECTED';
    default: return undefined;
  }
}

/** The event types the projection reads; others are not part of an order. */
export function isOrderEvent(type: string): boolean {
  return statusOf(type) !== undefined || type === 'RiskReservationReleased';
}

export function nextStatus(current: OrderStatus | null, type: string): OrderStatus | null {
  const to = statusOf(type);
  if (to === undefined) return current;
  if (current !== null && ENDED.includes(current)) return current;
  if (ENDED.includes(to)) return to;
  if (current === null || FORWARD.indexOf(to) > FORWARD.indexOf(current)) return to;
  return current;
}

const field = (data: unknown, name: string): unknown =>
  data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>)[name] : undefined;

/** A text field as SQL's ->> gives it: strings as they are, other JSON values as JSON text. */
function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A number, or a string holding a plain decimal (a schema-violating "1100"); else null. */
function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.dup_kind === 'redelivery' || !isOrderEvent(event.type)) return state;
  const next: OrderState = {
    ...state,
    status: nextStatus(state.status, event.type),
    lastEventType: event.type,
    lastEventAt: event.ts,
    events: state.events + 1,
    conflicts: state.conflicts + (event.dup_kind === 'conflict' ? 1 : 0),
  };
  const d = event.data;
  switch (event.type) {
    case 'OrderPlaced':
      next.orderId = text(field(d, 'orderId'));
      next.accountId = text(field(d, 'accountId'));
      next.symbol = text(field(d, 'symbol'));
      next.side = text(field(d, 'side'));
      next.qty = num(field(d, 'qty'));
      next.limitPrice = num(field(d, 'limitPrice'));
      break;
    case 'OrderRouted':
      next.venue = text(field(d, 'venue'));
      break;
    case 'OrderPartiallyFilled':
    case 'OrderFilled': {
      const q = num(field(d, 'fillQty'));
      const p = num(field(d, 'fillPrice'));
      if (q !== null) next.cumQty = state.cumQty + q;
      if (q !== null && p !== null) next.notional = state.notional + Math.round(q * p * 1e6) / 1e6;
      break;
    }
  }
  return next;
}

export function toRow(stream: string, s: OrderState): OrderRow {
  const ended = s.status === 'CANCELLED' || s.status === 'REJECTED';
  return {
    orderId: s.orderId ?? stream.replace(/^order-/, ''),
    accountId: s.accountId,
    symbol: s.symbol,
    side: s.side,
    qty: s.qty,
    limitPrice: s.limitPrice,
    status: s.status,
    cumQty: s.cumQty,
    leavesQty: ended ? 0 : s.qty === null ? null : Math.max(s.qty - s.cumQty, 0),
    avgPrice: s.cumQty > 0 ? Math.round((s.notional / s.cumQty) * 1e6) / 1e6 : null,
    venue: s.venue,
    lastEventType: s.lastEventType,
    lastEventAt: s.lastEventAt,
    events: s.events,
    conflicts: s.conflicts,
  };
}

/** Where a replay stops: every event with seq ≤ seq, or with ts ≤ ts (ISO text, nine digits). */
export type Cut = { seq: number } | { ts: string };

export function inCut(event: OrderEvent, cut: Cut): boolean {
  // ISO text with nine fractional digits sorts like the time it names (same year range).
  return 'seq' in cut ? event.seq <= cut.seq : event.ts !== null && event.ts <= cut.ts;
}

/** The whole projection: one fold per stream over the events in the cut, in seq order. */
export function replayOrders(events: Iterable<OrderEvent>, cut: Cut): OrderRow[] {
  const states = new Map<string, OrderState>();
  for (const e of events) {
    if (e.stream === null || !inCut(e, cut)) continue;
    if (e.dup_kind === 'redelivery' || !isOrderEvent(e.type)) continue;
    states.set(e.stream, evolve(states.get(e.stream) ?? initialState(), e));
  }
  const rows = [...states].map(([stream, s]) => ({ stream, row: toRow(stream, s) }));
  rows.sort((a, b) => cmp(a.row.orderId, b.row.orderId) || cmp(a.stream, b.stream));
  return rows.map((r) => r.row);
}

/** Byte order, as DuckDB sorts VARCHAR. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
