/**
 * Every built-in rule on small crafted logs: a clean trading log on which no rule finds
 * anything, and for each rule that log with one mutation, on which exactly that rule finds
 * exactly the mutated event. The expected findings come from the mutation, not from a run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { auditBench, builtInRuleFiles, byId, cleanLog, edit, fill, findings, iso, placed, remove, saga, type Ev } from '../audit-fixtures.js';

const bench = auditBench();
const audit = bench.audit;
afterAll(() => bench.cleanup());

describe('the built-in rules on crafted logs', () => {
  it('find nothing in a clean log, and every rule runs on it', async () => {
    const result = await audit(cleanLog());
    expect(result.rules.filter((r) => r.status !== 'ran').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(result.rules.map((r) => r.id).sort()).toEqual(bench.catalog().rules.map((r) => r.id).sort());
    expect(result.rules).toHaveLength(builtInRuleFiles());
    expect(builtInRuleFiles()).toBeGreaterThanOrEqual(16);
    expect(findings(result)).toEqual({});
    expect(result.failed).toBe(false);
  });

  const cases: [rule: string, mutate: (log: Ev[]) => (Ev | string)[], expected: string[]][] = [
    // A redelivery: the same line again.
    ['duplicate-event-id', (log) => [...log, byId(log, 'A-e3')], ['A-e3']],
    // The same id with other data.
    ['conflicting-event-id', (log) => [...log, { ...byId(log, 'A-e4'), data: { orderId: 'A', venueOrderId: 'XNAS-2' } }], ['A-e4']],
    // Rev 3 of A missing: every later rev one up.
    ['stream-revision-gap', (log) => log.map((e) => (e.stream === 'order-A' && e.rev >= 3 ? { ...e, rev: e.rev + 1 } : e)), ['A-e3']],
    // A second, different event at A's rev 4.
    ['stream-revision-conflict', (log) => [...log, { ...byId(log, 'A-e4'), id: 'A-x', ts: byId(log, 'A-e4').ts }], ['A-x']],
    // A's ack (3 s) moved 1 ms before the route that caused it (2 s): a regression in the stream,
    // within causation's tolerance on a trading log (1 ms, MiFID II RTS 25).
    ['timestamp-regression', (log) => edit(log, 'A-e4', (e) => ({ ...e, ts: iso(1999) })), ['A-e4']],
    ['causation-orphan', (log) => edit(log, 'A-e3', (e) => ({ ...e, causation_id: 'nobody' })), ['A-e3']],
    // A's settlement (at 6 s) caused by D's last event (at 34 s): 28 s before its cause, in order within its stream.
    ['causation-time-inversion', (log) => edit(log, 'A-e7', (e) => ({ ...e, causation_id: 'D-e5' })), ['A-e7']],
    ['schema-violation', (log) => edit(log, 'A-e1', (e) => ({ ...e, data: { ...e.data, qty: '100' } })), ['A-e1']],
    ['unknown-event-type', (log) => [...log, { ...byId(log, 'A-e7'), id: 'A-e8', rev: 8, type: 'OrderAmended', causation_id: 'A-e7', data: { orderId: 'A' } }], ['A-e8']],
    // A's last fill takes it to 110 of 100 (and the settlement follows the fills).
    ['order-overfill', (log) => edit(edit(log, 'A-e6', (e) => ({ ...e, data: { ...e.data, ...fill(70, 10, 110, 0, 2) } })), 'A-e7', (e) => ({ ...e, data: { ...e.data, amount: 1099.6 } })), ['A-e6']],
    // A fill after B's OrderCancelled.
    ['fill-after-terminal', (log) => [...log, { ...byId(log, 'B-e8'), id: 'B-e9', rev: 9, type: 'OrderPartiallyFilled', ts: iso(18_000), causation_id: 'B-e8', data: { orderId: 'B', ...fill(2, 20, 13, 37, 5) } }], ['B-e9']],
    ['route-without-risk-check', (log) => remove(log, 'A-e2'), ['A-e3']],
    ['compensation-missing', (log) => remove(log, 'D-e4'), ['D-e3']],
    // A stops after its last fill; another order runs 3 minutes later, so A's last event is 200 s before the end.
    ['saga-incomplete', (log) => [...remove(log, 'A-e7'), ...saga('E', 200, [['OrderPlaced', placed(1, 'BUY', 1)], ['RiskCheckRejected', { reason: 'X' }], ['OrderRejected', { reason: 'X' }]])], ['A-e6']],
    // A BUY filled at 10.01 over its 10.00 limit (settlement amount follows).
    ['fill-price-outside-limit', (log) => edit(edit(log, 'A-e5', (e) => ({ ...e, data: { ...e.data, fillPrice: 10.01 } })), 'A-e7', (e) => ({ ...e, data: { ...e.data, amount: 1000.4 } })), ['A-e5']],
    ['settlement-mismatch', (log) => edit(log, 'A-e7', (e) => ({ ...e, data: { ...e.data, amount: 999.7 } })), ['A-e7']],
  ];

  it('cover every rule of the catalog', () => {
    expect(cases.map((c) => c[0]).sort()).toEqual(bench.catalog().rules.map((r) => r.id).sort());
  });

  for (const [rule, mutate, expected] of cases) {
    it(`${rule}: finds exactly the mutated event, and no other rule fires`, async () => {
      const result = await audit(mutate(cleanLog()));
      expect(findings(result)).toEqual({ [rule]: expected });
      const r = result.rules.find((x) => x.id === rule)!;
      expect(r.violations).toBe(expected.length);
      expect(result.failed).toBe(r.severity === 'error');
      for (const v of result.violations) {
        expect(v.message.length).toBeGreaterThan(10);
        // Ids are <order>-…, streams order-<order>.
        expect(v.stream).toBe(`order-${v.eventId!.split('-')[0]}`);
      }
    });
  }
});
