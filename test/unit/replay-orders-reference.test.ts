import { describe, expect, it } from 'vitest';
import {
  evolve,
  initialState,
  nextStatus,
  replayOrders,
  toRow,
  type OrderEvent,
  type OrderRow,
  type OrderState,
} from '../../src/replay/reference/orders.js';
import { scenarioLog, scenarios } from '../replay-scenarios.js';

/** given these events (one order), when folded, then this row. */
function given(name: string): { then: (seqCut?: number) => OrderRow } {
  const sc = scenarios().find((s) => s.name === name);
  if (!sc) throw new Error(`no scenario ${name}`);
  const { events } = scenarioLog([sc]);
  return {
    then: (seqCut = Infinity) => {
      const rows = replayOrders(events, { seq: seqCut });
      expect(rows).toHaveLength(1);
      return rows[0]!;
    },
  };
}

const e = (type: string, data: unknown = {}, extra: Partial<OrderEvent> = {}): OrderEvent => ({
  seq: 1, stream: 'order-x', type, ts: '2025-08-26T10:00:00.000000000Z', data, ...extra,
});

describe('order status transitions', () => {
  const cases: [string | null, string, string | null][] = [
    [null, 'OrderPlaced', 'NEW'],
    ['NEW', 'RiskCheckPassed', 'RISK_APPROVED'],
    ['NEW', 'RiskCheckRejected', 'REJECTED'],
    ['RISK_APPROVED', 'OrderRouted', 'ROUTED'],
    ['RISK_APPROVED', 'RoutingFailed', 'REJECTED'],
    ['REJECTED', 'RiskReservationReleased', 'REJECTED'],
    ['REJECTED', 'OrderRejected', 'REJECTED'],
    ['ROUTED', 'OrderAcknowledged', 'ACKNOWLEDGED'],
    ['ACKNOWLEDGED', 'OrderPartiallyFilled', 'PARTIALLY_FILLED'],
    ['PARTIALLY_FILLED', 'OrderPartiallyFilled', 'PARTIALLY_FILLED'],
    ['PARTIALLY_FILLED', 'OrderFilled', 'FILLED'],
    ['ACKNOWLEDGED', 'OrderFilled', 'FILLED'],
    ['FILLED', 'SettlementCompleted', 'SETTLED'],
    ['ACKNOWLEDGED', 'OrderCancelRequested', 'CANCEL_REQUESTED'],
    ['PARTIALLY_FILLED', 'OrderCancelRequested', 'CANCEL_REQUESTED'],
    ['CANCEL_REQUESTED', 'OrderPartiallyFilled', 'CANCEL_REQUESTED'],
    ['CANCEL_REQUESTED', 'OrderFilled', 'FILLED'],
    ['CANCEL_REQUESTED', 'OrderCancelled', 'CANCELLED'],
    ['FILLED', 'OrderCancelRequested', 'FILLED'],
    ['ACKNOWLEDGED', 'OrderRouted', 'ACKNOWLEDGED'],
    ['ROUTED', 'OrderPlaced', 'ROUTED'],
    ['SETTLED', 'OrderCancelled', 'SETTLED'],
    ['CANCELLED', 'OrderFilled', 'CANCELLED'],
    ['REJECTED', 'OrderAcknowledged', 'REJECTED'],
    ['ROUTED', 'OrderRejected', 'REJECTED'],
    ['ACKNOWLEDGED', 'Heartbeat', 'ACKNOWLEDGED'],
    [null, 'RiskReservationReleased', null],
  ];
  it.each(cases)('given %s, when %s, then %s', (from, type, to) => {
    expect(nextStatus(from as never, type)).toBe(to);
  });
});

describe('orders fold: given/when/then', () => {
  it('a clean saga settles with a quantity-weighted average price', () => {
    const row = given('settled').then();
    expect(row).toMatchObject({ orderId: 'o-1', accountId: 'acc-1', symbol: 'IBM', side: 'BUY', qty: 100, limitPrice: 10.5, status: 'SETTLED', cumQty: 100, leavesQty: 0, venue: 'XNAS', lastEventType: 'SettlementCompleted', events: 7, conflicts: 0 });
    expect(row.avgPrice).toBeCloseTo((30 * 10.4 + 70 * 10.5) / 100, 9);
  });

  it('walks the statuses step by step', () => {
    const seen = [1, 2, 3, 4, 5, 6, 7].map((n) => given('settled').then(n).status);
    expect(seen).toEqual(['NEW', 'RISK_APPROVED', 'ROUTED', 'ACKNOWLEDGED', 'PARTIALLY_FILLED', 'FILLED', 'SETTLED']);
    const partial = given('settled').then(5);
    expect(partial).toMatchObject({ cumQty: 30, leavesQty: 70, avgPrice: 10.4 });
  });

  it('a risk rejection is final and leaves nothing open', () => {
    expect(given('risk rejected').then(2)).toMatchObject({ status: 'REJECTED', leavesQty: 0, cumQty: 0, avgPrice: null });
    expect(given('risk rejected').then()).toMatchObject({ status: 'REJECTED', lastEventType: 'OrderRejected' });
  });

  it('a routing failure rejects, and its compensation changes no status', () => {
    expect(given('routing failed, compensated').then(3)).toMatchObject({ status: 'REJECTED', venue: null });
    expect(given('routing failed, compensated').then(4)).toMatchObject({ status: 'REJECTED', lastEventType: 'RiskReservationReleased' });
    expect(given('routing failed, compensated').then()).toMatchObject({ status: 'REJECTED', events: 5 });
  });

  it('a cancel: partial fills, the request, a fill racing it, the cancel', () => {
    const g = given('cancelled after partial fills, a fill racing the cancel');
    expect(g.then(6)).toMatchObject({ status: 'PARTIALLY_FILLED', cumQty: 30, leavesQty: 70 });
    expect(g.then(7)).toMatchObject({ status: 'CANCEL_REQUESTED', cumQty: 30 });
    expect(g.then(8)).toMatchObject({ status: 'CANCEL_REQUESTED', cumQty: 31, leavesQty: 69 });
    const end = g.then();
    expect(end).toMatchObject({ status: 'CANCELLED', cumQty: 31, leavesQty: 0 });
    expect(end.avgPrice).toBeCloseTo((10 * 10.2 + 20 * 10.3 + 10.1) / 31, 6);
  });

  it('a cancel request after the last fill leaves the order filled', () => {
    expect(given('cancel requested after the last fill').then()).toMatchObject({ status: 'FILLED', leavesQty: 0, lastEventType: 'OrderCancelRequested' });
  });

  it('a fill after the cancel counts in cumQty but the order stays cancelled', () => {
    expect(given('fill after cancel').then()).toMatchObject({ status: 'CANCELLED', cumQty: 5, leavesQty: 0, avgPrice: 10.25, lastEventType: 'OrderPartiallyFilled' });
  });

  it('a conflicting copy is applied in seq order and flagged, without moving the status back', () => {
    expect(given('conflicting route after the acknowledgement').then()).toMatchObject({ status: 'ACKNOWLEDGED', venue: 'IEXG', conflicts: 1, events: 5 });
  });

  it('a redelivery counts once', () => {
    expect(given('redelivered fill').then()).toMatchObject({ status: 'PARTIALLY_FILLED', cumQty: 40, leavesQty: 60, events: 5, lastEventType: 'OrderPartiallyFilled' });
  });

  it('an overfill shows cumQty above qty and nothing left', () => {
    expect(given('overfill, then settled').then()).toMatchObject({ qty: 10, cumQty: 12, leavesQty: 0, status: 'SETTLED' });
  });

  it('reads a quantity given as a string, keeps a bad side as given', () => {
    expect(given('schema violation: qty as a string, side HOLD').then()).toMatchObject({ qty: 1100, side: 'HOLD', status: 'REJECTED' });
  });

  it('terminal states are final', () => {
    expect(given('settled is final').then()).toMatchObject({ status: 'SETTLED', lastEventType: 'OrderCancelled' });
  });

  it('an order routed without a risk check, stuck at its acknowledgement', () => {
    expect(given('route without risk check, stuck').then()).toMatchObject({ status: 'ACKNOWLEDGED', venue: 'XNAS', leavesQty: 100 });
  });

  it('takes events before the OrderPlaced, ignores unknown types', () => {
    const row = given('events before the OrderPlaced and unknown types').then();
    expect(row).toMatchObject({ status: 'RISK_APPROVED', symbol: 'MSFT', events: 2, lastEventType: 'OrderPlaced' });
    expect(given('events before the OrderPlaced and unknown types').then(1)).toMatchObject({ orderId: 'o-13', accountId: null, qty: null, leavesQty: null, status: 'RISK_APPROVED' });
  });
});

describe('orders fold: the pieces', () => {
  it('evolve is pure: it never changes the state it is given', () => {
    const s0 = initialState();
    const frozen: OrderState = Object.freeze({ ...s0 });
    const s1 = evolve(frozen, e('OrderPlaced', { orderId: 'x', qty: 5 }));
    expect(s1).not.toBe(frozen);
    expect(frozen).toEqual(s0);
    expect(toRow('order-x', s1)).toMatchObject({ orderId: 'x', qty: 5, status: 'NEW', leavesQty: 5 });
  });
  it('ignores a redelivery, counts a conflict', () => {
    const s = evolve(initialState(), e('OrderPlaced', { orderId: 'x' }, { dup_kind: 'redelivery' }));
    expect(s).toEqual(initialState());
    expect(evolve(initialState(), e('OrderAcknowledged', {}, { dup_kind: 'conflict' })).conflicts).toBe(1);
  });
  it('a time cut takes events with ts ≤ the cut, never those without a time', () => {
    const events = [e('OrderPlaced', { orderId: 'x' }), e('RiskCheckPassed', {}, { seq: 2, ts: '2025-08-26T10:00:00.000000001Z' }), e('OrderRouted', {}, { seq: 3, ts: null })];
    expect(replayOrders(events, { ts: '2025-08-26T10:00:00.000000000Z' })[0]!.status).toBe('NEW');
    expect(replayOrders(events, { ts: '2025-08-26T10:00:00.000000001Z' })[0]!.status).toBe('RISK_APPROVED');
    expect(replayOrders(events, { seq: 3 })[0]!.status).toBe('ROUTED');
    expect(replayOrders(events, { ts: '2025-08-26T09:00:00.000000000Z' })).toEqual([]);
  });
});
