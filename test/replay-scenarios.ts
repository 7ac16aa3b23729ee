/**
 * Order sagas written by hand, for the given/when/then tests of the orders fold and, ingested
 * into a real store, of the SQL projection. Each scenario is one order's events in log order.
 */
import type { OrderEvent } from '../src/replay/reference/orders.js';

export interface Step {
  type: string;
  data?: Record<string, unknown>;
  dup?: 'redelivery' | 'conflict';
}

export interface Scenario {
  name: string;
  orderId: string;
  steps: Step[];
}

const placed = (orderId: string, extra: Record<string, unknown> = {}): Step => ({
  type: 'OrderPlaced',
  data: { orderId, accountId: 'acc-1', symbol: 'IBM', side: 'BUY', qty: 100, limitPrice: 10.5, orderType: 'LIMIT', ...extra },
});
const fill = (orderId: string, fillQty: number, fillPrice: number, final = false): Step => ({
  type: final ? 'OrderFilled' : 'OrderPartiallyFilled',
  data: { orderId, fillQty, fillPrice },
});
const step = (type: string, orderId: string, data: Record<string, unknown> = {}, dup?: Step['dup']): Step => ({
  type, data: { orderId, ...data }, ...(dup ? { dup } : {}),
});

/** The sagas, clean and broken. `id` is `o-<n>`. */
export function scenarios(): Scenario[] {
  const s = (name: string, n: number, build: (id: string) => Step[]): Scenario => {
    const orderId = `o-${n}`;
    return { name, orderId, steps: build(orderId) };
  };
  return [
    s('settled', 1, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id),
      fill(id, 30, 10.4), fill(id, 70, 10.5, true), step('SettlementCompleted', id, { amount: 1047, currency: 'USD' }),
    ]),
    s('risk rejected', 2, (id) => [placed(id), step('RiskCheckRejected', id, { reason: 'LIMIT' }), step('OrderRejected', id)]),
    s('routing failed, compensated', 3, (id) => [
      placed(id), step('RiskCheckPassed', id), step('RoutingFailed', id, { error: 'NO_ROUTE' }),
      step('RiskReservationReleased', id), step('OrderRejected', id),
    ]),
    s('cancelled after partial fills, a fill racing the cancel', 4, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'BATS' }), step('OrderAcknowledged', id),
      fill(id, 10, 10.2), fill(id, 20, 10.3), step('OrderCancelRequested', id), fill(id, 1, 10.1), step('OrderCancelled', id, { leavesQty: 69 }),
    ]),
    s('cancel requested after the last fill', 5, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'ARCX' }), step('OrderAcknowledged', id),
      fill(id, 100, 10, true), step('OrderCancelRequested', id),
    ]),
    s('fill after cancel', 6, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'ARCX' }), step('OrderAcknowledged', id),
      step('OrderCancelRequested', id), step('OrderCancelled', id), fill(id, 5, 10.25),
    ]),
    s('conflicting route after the acknowledgement', 7, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id),
      step('OrderRouted', id, { venue: 'IEXG' }, 'conflict'),
    ]),
    s('redelivered fill', 8, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id),
      fill(id, 40, 10), { ...fill(id, 40, 10), dup: 'redelivery' },
    ]),
    s('overfill, then settled', 9, (id) => [
      placed(id, { qty: 10 }), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id),
      fill(id, 4, 10), fill(id, 8, 10.5, true), step('SettlementCompleted', id),
    ]),
    s('schema violation: qty as a string, side HOLD', 10, (id) => [placed(id, { qty: '1100', side: 'HOLD' }), step('RiskCheckRejected', id), step('OrderRejected', id)]),
    s('settled is final', 11, (id) => [
      placed(id), step('RiskCheckPassed', id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id),
      fill(id, 100, 10, true), step('SettlementCompleted', id), step('OrderCancelled', id),
    ]),
    s('route without risk check, stuck', 12, (id) => [placed(id), step('OrderRouted', id, { venue: 'XNAS' }), step('OrderAcknowledged', id)]),
    s('events before the OrderPlaced and unknown types', 13, (id) => [
      step('RiskCheckPassed', id), { type: 'Heartbeat', data: { orderId: id } }, placed(id, { symbol: 'MSFT' }),
    ]),
  ];
}

/**
 * The scenarios as one log: streams `order-<orderId>`, seq in order, one millisecond apart.
 * Ids repeat for redeliveries and conflicts (same id as the step before of that type), so an
 * ingest marks them the same way.
 */
export function scenarioLog(list = scenarios()): { events: (OrderEvent & { id: string })[]; lines: string[] } {
  const events: (OrderEvent & { id: string })[] = [];
  const lines: string[] = [];
  let seq = 0;
  const base = Date.parse('2025-08-26T10:00:00Z');
  for (const sc of list) {
    // A repeated step reuses the id, rev and time of the step it repeats, as a redelivery does.
    const byType = new Map<string, { id: string; rev: number; ts: string }>();
    let rev = 0;
    for (const st of sc.steps) {
      seq++;
      const first = st.dup ? byType.get(st.type) : undefined;
      if (st.dup && !first) throw new Error(`${sc.name}: nothing to repeat for ${st.type}`);
      const at = first ?? { id: `${sc.orderId}-e${rev + 1}`, rev: ++rev, ts: new Date(base + seq).toISOString().replace('Z', '000000Z') };
      byType.set(st.type, at);
      const stream = `order-${sc.orderId}`;
      events.push({ id: at.id, seq, stream, type: st.type, ts: at.ts, data: st.data ?? null, dup_kind: st.dup ?? null });
      lines.push(JSON.stringify({ id: at.id, stream, rev: at.rev, type: st.type, ts: at.ts, data: st.data ?? null }));
    }
  }
  return { events, lines };
}
