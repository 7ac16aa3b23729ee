/** The rules' parameters, messages and evidence, pack detection and skipping, and the --since/--until window, on crafted logs. */
import { afterAll, describe, expect, it } from 'vitest';
import { auditBench, byId, cleanLog, edit, findings, iso, placed, remove, saga } from '../audit-fixtures.js';

const bench = auditBench();
const audit = bench.audit;
afterAll(() => bench.cleanup());

describe('rule details', () => {
  it('conflicting-event-id names what differs', async () => {
    const log = cleanLog();
    const result = await audit([...log, { ...byId(log, 'A-e4'), data: { orderId: 'A', venueOrderId: 'XNAS-2' } }]);
    expect(result.violations[0]!.evidence.differs).toBe('data.venueOrderId');
  });

  it('settlement-mismatch: a difference of exactly the tolerance is a match, and --param moves it', async () => {
    const off = (amount: number) => edit(cleanLog(), 'A-e7', (e) => ({ ...e, data: { ...e.data, amount } }));
    const only = ['settlement-mismatch'];
    expect(findings(await audit(off(999.61), { only }))).toEqual({});
    expect(findings(await audit(off(999.62), { only }))).toEqual({ 'settlement-mismatch': ['A-e7'] });
    expect(findings(await audit(off(999.7), { only, params: ['settlement-mismatch.tolerance=0.5'] }))).toEqual({});
  });

  it('saga-incomplete: the timeout decides, and a timeout longer than the gap finds nothing', async () => {
    const log = [...remove(cleanLog(), 'A-e7'), ...saga('E', 200, [['OrderPlaced', placed(1, 'BUY', 1)], ['RiskCheckRejected', { reason: 'X' }], ['OrderRejected', { reason: 'X' }]])];
    // A's last event is at 5 s, the log ends at 202 s: 197 s.
    const only = ['saga-incomplete'];
    expect(findings(await audit(log, { only, params: ['saga-incomplete.timeout=196s'] }))).toEqual({ 'saga-incomplete': ['A-e6'] });
    expect(findings(await audit(log, { only, params: ['saga-incomplete.timeout=198s'] }))).toEqual({});
  });

  it('timestamp-regression and causation-time-inversion: tolerances', async () => {
    // A's ack 3 s before the route that caused it: both rules, same event.
    const log = edit(cleanLog(), 'A-e4', (e) => ({ ...e, ts: iso(-1000) }));
    expect(findings(await audit(log))).toEqual({ 'causation-time-inversion': ['A-e4'], 'timestamp-regression': ['A-e4'] });
    expect(findings(await audit(log, { only: ['causation-time-inversion', 'timestamp-regression'], params: ['causation-time-inversion.tolerance=3s', 'timestamp-regression.tolerance=3001ms'] }))).toEqual({});
  });

  it('a redelivery causes no finding in any other rule, even at a rev or time that would', async () => {
    // Redelivered out of place (at the end of the file): the copy is left out of every stream rule.
    const result = await audit([...cleanLog(), byId(cleanLog(), 'B-e5'), byId(cleanLog(), 'A-e1')]);
    expect(findings(result)).toEqual({ 'duplicate-event-id': ['A-e1', 'B-e5'] });
  });

  it('schema-violation: types, enums, bounds, required fields, unknown versions', async () => {
    const log = cleanLog();
    const result = await audit([
      ...edit(
        edit(
          edit(
            edit(log, 'A-e1', (e) => ({ ...e, data: { ...e.data, side: 'HOLD', qty: 0 } })),
            'B-e5', (e) => ({ ...e, data: { orderId: 'B', fillQty: 10, fillPrice: 20.05, cumQty: 10, leavesQty: 40 } })),
          'C-e1', (e) => ({ ...e, schema_version: 3 })),
        'A-e7', (e) => ({ ...e, data: { ...e.data, currency: 'usd' } })),
    ]);
    const messages = Object.fromEntries(result.violations.filter((v) => v.rule === 'schema-violation').map((v) => [v.eventId, v.message]));
    expect(Object.keys(messages).sort()).toEqual(['A-e1', 'A-e7', 'B-e5', 'C-e1']);
    expect(messages['A-e1']).toBe('OrderPlaced v1: side is the string "HOLD", expected one of BUY, SELL; qty is 0, expected more than 0');
    expect(messages['B-e5']).toBe('OrderPartiallyFilled v1: missing required field tradeId');
    expect(messages['C-e1']).toBe('OrderPlaced v3: no schema is registered for this version (registered: v1, v2)');
    expect(messages['A-e7']).toBe('SettlementCompleted v1: currency is the string "usd", expected to match ^[A-Z]{3}$');
  });
});

describe('packs, prerequisites and the window', () => {
  it('skips the pack rules on a log that does not speak the vocabulary, with the reason; --pack forces them', async () => {
    const other = [0, 1, 2].map((i) => ({ id: `p${i}`, stream: 'pay-1', rev: i + 1, type: 'PaymentCaptured', schema_version: 1, ts: iso(i * 1000), data: { amount: 1 } }));
    const result = await audit([...other, ...saga('A', 5, [['OrderPlaced', placed(1, 'BUY', 1)]])]);
    const skipped = Object.fromEntries(result.rules.filter((r) => r.status === 'skipped').map((r) => [r.id, r.reason]));
    expect(skipped['order-overfill']).toMatch(/does not speak the trading vocabulary \(25% of its events use it\); --pack trading/);
    expect(skipped['unknown-event-type']).toMatch(/no pack's vocabulary is in force/);
    expect(skipped['causation-orphan']).toMatch(/no event names a cause/);
    expect(Object.keys(skipped)).toHaveLength(7 + 3);
    // The one OrderPlaced is still checked against its schema (schemas are not tied to the pack being in force).
    expect(result.rules.find((r) => r.id === 'schema-violation')!.status).toBe('ran');

    const forced = await audit([...other, ...saga('A', 5, [['OrderPlaced', placed(1, 'BUY', 1)]])], { packs: ['trading'] });
    expect(forced.rules.filter((r) => r.status === 'skipped').map((r) => r.id).sort()).toEqual(['causation-orphan', 'causation-time-inversion']);
    expect(findings(forced)).toEqual({ 'unknown-event-type': ['p0', 'p1', 'p2'] });
  });

  it('--since/--until: whole streams are audited, violations are kept when their event is in the window', async () => {
    // A's fill through the limit at 4 s; an overfill in B at 16 s (B runs 10–17 s).
    const log = edit(
      edit(edit(cleanLog(), 'A-e5', (e) => ({ ...e, data: { ...e.data, fillPrice: 10.01 } })), 'A-e7', (e) => ({ ...e, data: { ...e.data, amount: 1000.4 } })),
      'B-e7', (e) => ({ ...e, data: { ...e.data, fillQty: 45, cumQty: 55 } }),
    );
    expect(findings(await audit(log))).toEqual({ 'fill-price-outside-limit': ['A-e5'], 'order-overfill': ['B-e7'] });
    // From 09:30:12: B's events before 12 s count for B's totals, only B's overfill is reported.
    const late = await audit(log, { since: '09:30:12', only: ['fill-price-outside-limit', 'order-overfill'] });
    expect(findings(late)).toEqual({ 'order-overfill': ['B-e7'] });
    expect(late.window.since).toBe('2025-08-26T09:30:12.000000000Z');
    // Up to 09:30:05: A only.
    expect(findings(await audit(log, { until: '2025-08-26T09:30:05Z', only: ['fill-price-outside-limit', 'order-overfill'] }))).toEqual({ 'fill-price-outside-limit': ['A-e5'] });
  });
});
