import { describe, expect, it } from 'vitest';
import type { TraceNode } from '../../src/trace/graph.js';
import { TRADING_SAGA, sagaView, sagaViews } from '../../src/trace/saga.js';

const S = 1_000_000_000n;
const BASE = 1_756_200_600n * S; // 2025-08-26T09:30:00Z

/** One order's saga from a list of types, one second apart, in seq order. */
function saga(types: string[], orderId = 'ord-1', startSeq = 1): TraceNode[] {
  return types.map((type, i) => ({
    id: `${orderId}-e${i}`,
    type,
    ts: `t${i}`,
    tsNs: BASE + BigInt(i) * S,
    stream: `order-${orderId}`,
    rev: i + 1,
    source: 'svc',
    seq: startSeq + i,
    correlationId: `corr-${orderId}`,
    causationId: i === 0 ? null : `${orderId}-e${i - 1}`,
    deliveries: 1,
    conflict: false,
    data: { orderId, ...(type === 'RiskCheckRejected' || type === 'OrderRejected' ? { reason: 'EXPOSURE_LIMIT' } : {}) },
  }));
}

const view = (types: string[], logEndAfterS = 1n) => {
  const nodes = saga(types);
  return sagaView('ord-1', nodes, TRADING_SAGA, { logEndNs: nodes[nodes.length - 1]!.tsNs! + logEndAfterS * S, stuckAfterNs: 60n * S });
};
const statuses = (v: ReturnType<typeof view>) => Object.fromEntries(v.steps.map((s) => [s.name, s.status]));
const problems = (v: ReturnType<typeof view>) => v.problems.map((p) => `${p.kind}:${p.eventId}`);

const HAPPY = ['OrderPlaced', 'RiskCheckPassed', 'OrderRouted', 'OrderAcknowledged'];

describe('saga view (trading order)', () => {
  it('settled: every step done, nothing missing', () => {
    const v = view([...HAPPY, 'OrderPartiallyFilled', 'OrderPartiallyFilled', 'OrderFilled', 'SettlementCompleted']);
    expect(v.state).toBe('settled');
    expect(v.terminalEventId).toBe('ord-1-e7');
    expect(statuses(v)).toEqual({ placed: 'done', 'risk check': 'done', routing: 'done', acknowledged: 'done', filled: 'done', settled: 'done' });
    expect(v.steps.find((s) => s.name === 'filled')!.count).toBe(3);
    expect(v.compensation).toBeNull();
    expect(v.problems).toEqual([]);
    expect(v.summary).toBe('settled · 3 fills · 7 s from OrderPlaced to SettlementCompleted');
  });

  it('cancelled after partial fills: settlement not reached', () => {
    const v = view([...HAPPY, 'OrderPartiallyFilled', 'OrderCancelRequested', 'OrderCancelled']);
    expect(v.state).toBe('cancelled');
    expect(statuses(v)).toMatchObject({ filled: 'partial', settled: 'not reached' });
    expect(v.problems).toEqual([]);
  });

  it('rejected by risk: the risk step failed, the rest not reached, no compensation needed', () => {
    const v = view(['OrderPlaced', 'RiskCheckRejected', 'OrderRejected']);
    expect(v.state).toBe('rejected');
    expect(statuses(v)).toEqual({ placed: 'done', 'risk check': 'failed', routing: 'not reached', acknowledged: 'not reached', filled: 'not reached', settled: 'not reached' });
    expect(v.compensation).toBeNull();
    expect(v.problems).toEqual([]);
    expect(v.summary).toContain('risk check failed (RiskCheckRejected: EXPOSURE_LIMIT)');
  });

  it('routing failed and compensated: the reservation was released', () => {
    const v = view(['OrderPlaced', 'RiskCheckPassed', 'RoutingFailed', 'RiskReservationReleased', 'OrderRejected']);
    expect(v.state).toBe('rejected');
    expect(statuses(v)).toMatchObject({ routing: 'failed', acknowledged: 'not reached' });
    expect(v.compensation).toEqual({ needed: true, done: true, failureEventId: 'ord-1-e2', eventId: 'ord-1-e3' });
    expect(v.problems).toEqual([]);
    expect(v.summary).toContain('compensation done');
  });

  it('routing failed without compensation: names the failure', () => {
    const v = view(['OrderPlaced', 'RiskCheckPassed', 'RoutingFailed', 'OrderRejected']);
    expect(v.compensation).toEqual({ needed: true, done: false, failureEventId: 'ord-1-e2' });
    expect(problems(v)).toEqual(['missing-compensation:ord-1-e2']);
    expect(v.summary).toContain('compensation MISSING');
  });

  it('stuck: no terminal event long before the log ends; in flight when recent', () => {
    const types = [...HAPPY, 'OrderPartiallyFilled'];
    const stuck = view(types, 300n);
    expect(stuck.state).toBe('stuck');
    expect(stuck.since).toBe('t4');
    expect(stuck.idleNs).toBe(300n * S);
    expect(problems(stuck)).toEqual(['stuck-saga:ord-1-e4']);
    expect(stuck.summary).toMatch(/^stuck since t4 after OrderPartiallyFilled \(5m 00s before the log ends\)/);
    expect(statuses(stuck)).toMatchObject({ filled: 'partial', settled: 'pending' });
    const recent = view(types, 30n);
    expect(recent.state).toBe('in flight');
    expect(recent.problems).toEqual([]);
  });

  it('a missing step: routed with no risk check', () => {
    const v = view(['OrderPlaced', 'OrderRouted', 'OrderAcknowledged', 'OrderFilled', 'SettlementCompleted']);
    expect(v.state).toBe('settled');
    expect(statuses(v)['risk check']).toBe('missing');
    expect(problems(v)).toEqual(['missing-step:ord-1-e1']);
    expect(v.summary).toContain('missing step: risk check');
  });

  it('an event after the terminal one (a fill after the cancel)', () => {
    const v = view([...HAPPY, 'OrderPartiallyFilled', 'OrderCancelRequested', 'OrderCancelled', 'OrderPartiallyFilled']);
    expect(v.state).toBe('cancelled');
    expect(problems(v)).toEqual(['after-terminal:ord-1-e7']);
  });

  it('one view per order in the trace, the asked one first', () => {
    const nodes = [...saga(['OrderPlaced', 'RiskCheckRejected', 'OrderRejected'], 'ord-1', 1), ...saga(['OrderPlaced'], 'ord-2', 10)];
    const opts = { logEndNs: BASE + 10n * S, stuckAfterNs: 60n * S };
    expect(sagaViews(nodes, TRADING_SAGA, opts).map((v) => v.key)).toEqual(['ord-1', 'ord-2']);
    expect(sagaViews(nodes, TRADING_SAGA, opts, ['ord-2']).map((v) => v.key)).toEqual(['ord-2', 'ord-1']);
    // Events outside the vocabulary or without the key are not a saga.
    const other = [{ ...nodes[0]!, id: 'x', type: 'MarketOpened', data: {} }];
    expect(sagaViews(other, TRADING_SAGA, opts)).toEqual([]);
  });
});
