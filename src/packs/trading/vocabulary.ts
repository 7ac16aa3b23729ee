/**
 * The trading pack's vocabulary (docs/architecture.md §4): the event types of an order's saga. One list for
 * the generator, the projections and the saga view.
 */
export const TRADING_EVENT_TYPES = [
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
export type TradingEventType = (typeof TRADING_EVENT_TYPES)[number];

/** Event types that end a saga: settled, cancelled, rejected. */
export const TERMINAL_EVENT_TYPES: readonly TradingEventType[] = [
  'SettlementCompleted',
  'OrderCancelled',
  'OrderRejected',
];
