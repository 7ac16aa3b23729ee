import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  ANOMALY_KINDS,
  TERMINAL_EVENT_TYPES,
  TRADING_DAY,
  TRADING_EVENT_TYPES,
  generateTradingLog,
  parseTradingTs,
  serializeTradingEvent,
  toAliasSpelling,
  type AnomalyKind,
  type AnomalyRecord,
  type CanonicalTradingEvent,
  type TradingLogOptions,
} from '../../src/fixtures/trading-generator.js';

// ---------------------------------------------------------------------------------------------
// Helpers: run a log, and an independent oracle that finds anomalies from the events alone.

interface Run {
  events: CanonicalTradingEvent[];
  truth: AnomalyRecord[];
}

function run(opts: TradingLogOptions & { spelling?: 'canonical' }): Run {
  const log = generateTradingLog(opts);
  const events = [...log];
  return { events, truth: [...log.truth] };
}

const S = 1_000_000_000;
const cents = (x: unknown): number => Math.round(Number(x) * 100);
const isFill = (e: CanonicalTradingEvent): boolean =>
  e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled';
const num = (x: unknown): number => {
  if (typeof x !== 'number') throw new Error(`expected a number, got ${JSON.stringify(x)}`);
  return x;
};

function groupByStream(events: CanonicalTradingEvent[]): Map<string, CanonicalTradingEvent[]> {
  const streams = new Map<string, CanonicalTradingEvent[]>();
  for (const e of events) {
    const list = streams.get(e.stream);
    if (list) list.push(e);
    else streams.set(e.stream, [e]);
  }
  return streams;
}

function placedSchemaOk(e: CanonicalTradingEvent): boolean {
  const d = e.data;
  const ok =
    typeof d['orderId'] === 'string' &&
    typeof d['accountId'] === 'string' &&
    typeof d['symbol'] === 'string' &&
    (d['side'] === 'BUY' || d['side'] === 'SELL') &&
    Number.isInteger(d['qty']) &&
    (d['qty'] as number) > 0 &&
    typeof d['limitPrice'] === 'number' &&
    d['limitPrice'] > 0 &&
    typeof d['orderType'] === 'string';
  if (!ok) return false;
  if (e.schema_version === 1) return !('timeInForce' in d);
  if (e.schema_version === 2) return d['timeInForce'] === undefined || ['GTC', 'IOC', 'DAY'].includes(d['timeInForce'] as string);
  return false;
}

/** For each stream: each anomaly kind found, with the ids of the events that show it. */
function detectAnomalies(events: CanonicalTradingEvent[]): Map<string, Map<AnomalyKind, Set<string>>> {
  const found = new Map<string, Map<AnomalyKind, Set<string>>>();
  const flag = (stream: string, kind: AnomalyKind, eventId: string): void => {
    let kinds = found.get(stream);
    if (!kinds) found.set(stream, (kinds = new Map()));
    let ids = kinds.get(kind);
    if (!ids) kinds.set(kind, (ids = new Set()));
    ids.add(eventId);
  };

  const firstText = new Map<string, string>();
  const firstEvent = new Map<string, CanonicalTradingEvent>();
  let logEnd = 0;
  for (const e of events) {
    logEnd = Math.max(logEnd, parseTradingTs(e.ts));
    const text = JSON.stringify(e);
    const seen = firstText.get(e.id);
    if (seen === undefined) {
      firstText.set(e.id, text);
      firstEvent.set(e.id, e);
    } else {
      flag(e.stream, seen === text ? 'duplicate' : 'conflict', e.id);
    }
  }

  for (const [stream, all] of groupByStream(events)) {
    const ids = new Set<string>();
    const list = all.filter((e) => !ids.has(e.id) && ids.add(e.id));
    list.forEach((e, k) => {
      const expectedRev = k === 0 ? 1 : (list[k - 1] as CanonicalTradingEvent).rev + 1;
      if (e.rev !== expectedRev) flag(stream, 'revision-gap', e.id);
      if (e.causation_id !== null) {
        const cause = firstEvent.get(e.causation_id);
        if (!cause) flag(stream, 'orphan-causation', e.id);
        else if (parseTradingTs(e.ts) < parseTradingTs(cause.ts) - S) flag(stream, 'clock-skew', e.id);
      }
    });

    const placed = list.find((e) => e.type === 'OrderPlaced');
    if (!placed) throw new Error(`${stream} has no OrderPlaced`);
    if (!placedSchemaOk(placed)) flag(stream, 'schema-violation', placed.id);
    const qty = Number(placed.data['qty']);
    const limit = cents(placed.data['limitPrice']);
    const side = placed.data['side'];

    const indexOf = (type: string): number => list.findIndex((e) => e.type === type);
    const cancelledAt = indexOf('OrderCancelled');
    let notional = 0;
    list.forEach((e, k) => {
      if (!isFill(e)) return;
      const price = cents(e.data['fillPrice']);
      notional += price * num(e.data['fillQty']);
      if (num(e.data['cumQty']) > qty) flag(stream, 'overfill', e.id);
      if (cancelledAt >= 0 && k > cancelledAt) flag(stream, 'fill-after-cancel', e.id);
      if ((side === 'BUY' && price > limit) || (side === 'SELL' && price < limit)) {
        flag(stream, 'fill-price-through-limit', e.id);
      }
    });

    list.forEach((e, k) => {
      const before = list.slice(0, k);
      const after = list.slice(k + 1);
      if (e.type === 'OrderRouted' && !before.some((b) => b.type === 'RiskCheckPassed' || b.type === 'RiskCheckRejected')) {
        flag(stream, 'route-without-risk-check', e.id);
      }
      if (
        e.type === 'RoutingFailed' &&
        before.some((b) => b.type === 'RiskCheckPassed') &&
        !after.some((a) => a.type === 'RiskReservationReleased')
      ) {
        flag(stream, 'missing-compensation', e.id);
      }
      if (e.type === 'SettlementCompleted' && Math.abs(cents(e.data['amount']) - notional) > 1) {
        flag(stream, 'settlement-mismatch', e.id);
      }
    });

    const last = list[list.length - 1] as CanonicalTradingEvent;
    const lastTs = Math.max(...list.map((e) => parseTradingTs(e.ts)));
    if (!list.some((e) => TERMINAL_EVENT_TYPES.includes(e.type)) && lastTs < logEnd - 60 * S) {
      flag(stream, 'stuck-saga', last.id);
    }
  }
  return found;
}

// Clean sagas, one letter per type:
const LETTER: Record<string, string> = {
  OrderPlaced: 'P', RiskCheckPassed: 'A', RiskCheckRejected: 'J', OrderRouted: 'R', RoutingFailed: 'F',
  RiskReservationReleased: 'L', OrderAcknowledged: 'K', OrderPartiallyFilled: 'p', OrderFilled: 'f',
  OrderCancelRequested: 'Q', OrderCancelled: 'C', OrderRejected: 'X', SettlementCompleted: 'S',
};
const CLEAN_SAGA = /^P(?:JX|AFLX|ARKp*fS|ARKp*Qp*C)$/;
const SOURCE: Record<string, string> = {
  OrderPlaced: 'oms', RiskCheckPassed: 'risk', RiskCheckRejected: 'risk', OrderRouted: 'router',
  RoutingFailed: 'router', RiskReservationReleased: 'risk', OrderAcknowledged: 'venue-gw',
  OrderPartiallyFilled: 'venue-gw', OrderFilled: 'venue-gw', OrderCancelRequested: 'oms',
  OrderCancelled: 'venue-gw', OrderRejected: 'oms', SettlementCompleted: 'settlement',
};
const is2dp = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && Math.round(x * 100) / 100 === x;

/** Problems with a stream against the vocabulary; a clean saga must have none. */
function vocabularyProblems(list: CanonicalTradingEvent[], clean: boolean): string[] {
  const problems: string[] = [];
  const p = (msg: string): number => problems.push(msg);
  const first = list[0] as CanonicalTradingEvent;
  const orderId = first.data['orderId'];
  for (const e of list) {
    if (!(TRADING_EVENT_TYPES as readonly string[]).includes(e.type)) p(`unknown type ${e.type}`);
    if (e.data['orderId'] !== orderId) p(`${e.id}: orderId ${String(e.data['orderId'])}`);
    if (e.stream !== `order-${String(orderId)}`) p(`${e.id}: stream ${e.stream}`);
    if (e.correlation_id !== `corr-${String(orderId).slice(4)}`) p(`${e.id}: correlation ${e.correlation_id}`);
    if (e.source !== SOURCE[e.type]) p(`${e.id}: source ${e.source} for ${e.type}`);
    if (!/^evt-[0-9a-f]{12}$/.test(e.id)) p(`${e.id}: id format`);
    if (e.type !== 'OrderPlaced' && e.schema_version !== 1) p(`${e.id}: schema_version ${e.schema_version}`);
    if (typeof e.meta.user !== 'string' || typeof e.meta.host !== 'string') p(`${e.id}: meta`);
    const d = e.data;
    switch (e.type) {
      case 'RiskCheckPassed':
        if (!is2dp(d['exposureAfter'])) p(`${e.id}: exposureAfter`);
        break;
      case 'RiskCheckRejected':
      case 'OrderRejected':
        if (typeof d['reason'] !== 'string') p(`${e.id}: reason`);
        break;
      case 'OrderRouted':
        if (typeof d['venue'] !== 'string') p(`${e.id}: venue`);
        break;
      case 'RoutingFailed':
        if (typeof d['error'] !== 'string') p(`${e.id}: error`);
        break;
      case 'OrderAcknowledged':
        if (typeof d['venueOrderId'] !== 'string') p(`${e.id}: venueOrderId`);
        break;
      case 'OrderPartiallyFilled':
      case 'OrderFilled':
        for (const f of ['fillQty', 'cumQty', 'leavesQty']) if (!Number.isInteger(d[f])) p(`${e.id}: ${f}`);
        if (!is2dp(d['fillPrice'])) p(`${e.id}: fillPrice`);
        if (typeof d['tradeId'] !== 'string') p(`${e.id}: tradeId`);
        break;
      case 'OrderCancelled':
        if (!Number.isInteger(d['leavesQty'])) p(`${e.id}: leavesQty`);
        break;
      case 'SettlementCompleted':
        if (!is2dp(d['amount']) || d['currency'] !== 'USD') p(`${e.id}: amount/currency`);
        break;
    }
  }
  if (!clean) return problems;

  // Clean sagas: the exact grammar, a linear causation chain, and consistent quantities.
  const shape = list.map((e) => LETTER[e.type] ?? '?').join('');
  if (!CLEAN_SAGA.test(shape)) p(`saga shape ${shape}`);
  list.forEach((e, k) => {
    if (e.rev !== k + 1) p(`${e.id}: rev ${e.rev}, expected ${k + 1}`);
    const cause = k === 0 ? null : (list[k - 1] as CanonicalTradingEvent).id;
    if (e.causation_id !== cause) p(`${e.id}: causation ${String(e.causation_id)}, expected ${String(cause)}`);
  });
  if (!placedSchemaOk(first)) p('OrderPlaced breaks its schema');
  const qty = num(first.data['qty']);
  let cum = 0;
  for (const e of list) {
    if (isFill(e)) {
      cum += num(e.data['fillQty']);
      if (num(e.data['fillQty']) < 1) p(`${e.id}: fillQty < 1`);
      if (e.data['cumQty'] !== cum) p(`${e.id}: cumQty ${String(e.data['cumQty'])}, expected ${cum}`);
      if (e.data['leavesQty'] !== qty - cum) p(`${e.id}: leavesQty`);
      if (e.type === 'OrderFilled' && cum !== qty) p(`${e.id}: OrderFilled with cumQty ${cum} of ${qty}`);
    }
    if (e.type === 'OrderCancelled' && e.data['leavesQty'] !== qty - cum) p(`${e.id}: cancelled leavesQty`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('generateTradingLog: determinism', () => {
  it('gives identical output for the same seed, and different output for another seed', () => {
    const a = run({ orders: 300, anomalyRate: 0.1, seed: 7 });
    const b = run({ orders: 300, anomalyRate: 0.1, seed: 7 });
    const c = run({ orders: 300, anomalyRate: 0.1, seed: 8 });
    const text = (r: Run): string => r.events.map((e) => JSON.stringify(e)).join('\n');
    expect(text(b)).toBe(text(a));
    expect(JSON.stringify(b.truth)).toBe(JSON.stringify(a.truth));
    expect(text(c)).not.toBe(text(a));
    const idsA = new Set(a.events.map((e) => e.id));
    expect(c.events.filter((e) => idsA.has(e.id)).length).toBe(0);
    expect(JSON.stringify(c.truth)).not.toBe(JSON.stringify(a.truth));
  });

  it('treats a numeric seed and its string form alike, and restarts on a second iteration', () => {
    const log = generateTradingLog({ orders: 50, anomalyRate: 0.2, seed: 42 });
    const first = [...log].map((e) => JSON.stringify(e));
    const truth1 = JSON.stringify(log.truth);
    const second = [...log].map((e) => JSON.stringify(e));
    expect(second).toEqual(first);
    expect(JSON.stringify(log.truth)).toBe(truth1);
    expect(log.truth.length).toBe(10);
    expect([...generateTradingLog({ orders: 50, anomalyRate: 0.2, seed: '42' })].map((e) => JSON.stringify(e))).toEqual(first);
  });

  it('serializes each event exactly like JSON.stringify, in both spellings', () => {
    for (const spelling of ['canonical', 'aliases'] as const) {
      for (const e of generateTradingLog({ orders: 200, anomalyRate: 0.3, seed: 3, spelling })) {
        expect(serializeTradingEvent(e)).toBe(JSON.stringify(e));
      }
    }
  });
});

describe('generateTradingLog: spellings', () => {
  it('aliases carry the same ids, timestamps and links as the canonical spelling', () => {
    const canonical = run({ orders: 200, anomalyRate: 0.2, seed: 11 });
    const log = generateTradingLog({ orders: 200, anomalyRate: 0.2, seed: 11, spelling: 'aliases' });
    const aliases = [...log];
    expect(aliases.length).toBe(canonical.events.length);
    expect(JSON.stringify(log.truth)).toBe(JSON.stringify(canonical.truth));
    aliases.forEach((a, k) => {
      const c = canonical.events[k] as CanonicalTradingEvent;
      expect(a).toEqual(toAliasSpelling(c));
      expect(Object.keys(a)).toEqual(['eventId', 'aggregateId', 'version', 'eventType', 'occurredAt', 'recordedAt', 'source', 'payload', 'metadata']);
      expect(a.eventId).toBe(c.id);
      expect(a.aggregateId).toBe(c.stream);
      expect(a.version).toBe(c.rev);
      expect(a.eventType).toBe(c.type);
      expect(a.occurredAt).toBe(c.ts);
      expect(a.metadata.correlationId).toBe(c.correlation_id);
      expect(a.metadata.causationId).toBe(c.causation_id);
      expect(a.metadata.schemaVersion).toBe(c.schema_version);
      expect(a.payload).toEqual(c.data);
    });
  });
});

describe('generateTradingLog: time', () => {
  const { events, truth } = run({ orders: 2000, anomalyRate: 0.1, seed: 5 });
  const skewed = new Set(truth.filter((t) => t.kind === 'clock-skew').map((t) => t.eventId));
  // the second copy of a conflicting event was recorded later than the first
  const conflicting = new Set(truth.filter((t) => t.kind === 'conflict').map((t) => t.eventId));

  it('writes nanosecond UTC timestamps on one trading day from 09:30', () => {
    const format = new RegExp(`^${TRADING_DAY}T\\d{2}:\\d{2}:\\d{2}\\.\\d{9}Z$`);
    for (const e of events) {
      expect(e.ts).toMatch(format);
      expect(e.recorded_ts).toMatch(format);
      expect(parseTradingTs(e.ts)).toBeGreaterThanOrEqual((9 * 3600 + 30 * 60) * S);
      const lag = parseTradingTs(e.recorded_ts) - parseTradingTs(e.ts);
      if (skewed.has(e.id)) expect(lag).toBeGreaterThan(S);
      else if (!conflicting.has(e.id)) {
        expect(lag).toBeGreaterThanOrEqual(2_000);
        expect(lag).toBeLessThanOrEqual(3_000_000);
      }
    }
  });

  it('orders the file by ts, except where a clock skew puts an effect before its cause', () => {
    expect(skewed.size).toBeGreaterThan(0);
    let prev = 0;
    const backwards: string[] = [];
    for (const e of events) {
      const ts = parseTradingTs(e.ts);
      if (ts < prev) backwards.push(e.id);
      else prev = ts;
    }
    expect(backwards.length).toBeGreaterThan(0);
    for (const id of backwards) expect(skewed.has(id)).toBe(true);
  });

  it('interleaves orders: many orders are in flight at once', () => {
    const lastLine = new Map<string, number>();
    let interleaved = 0;
    events.forEach((e, line) => {
      const prev = lastLine.get(e.stream);
      if (prev !== undefined && prev !== line - 1) interleaved++;
      lastLine.set(e.stream, line);
    });
    expect(interleaved / events.length).toBeGreaterThan(0.2);
  });
});

describe('generateTradingLog: vocabulary', () => {
  const { events, truth } = run({ orders: 2000, anomalyRate: 0.1, seed: 9 });
  const streams = groupByStream(events);
  const anomalous = new Set(truth.map((t) => t.stream));

  it('has about 10 events per order and one stream per order', () => {
    expect(streams.size).toBe(2000);
    expect(events.length / 2000).toBeGreaterThan(8.5);
    expect(events.length / 2000).toBeLessThan(11.5);
  });

  it('every saga uses the vocabulary; every clean saga follows it exactly', () => {
    for (const [stream, list] of streams) {
      expect(vocabularyProblems(list, !anomalous.has(stream)), stream).toEqual([]);
    }
  });

  it('has a realistic mix of outcomes among clean orders', () => {
    const outcome = { settled: 0, cancelled: 0, riskRejected: 0, routingFailed: 0 };
    for (const [stream, list] of streams) {
      if (anomalous.has(stream)) continue;
      const types = list.map((e) => e.type);
      if (types.includes('SettlementCompleted')) outcome.settled++;
      else if (types.includes('OrderCancelled')) outcome.cancelled++;
      else if (types.includes('RiskCheckRejected')) outcome.riskRejected++;
      else if (types.includes('RoutingFailed')) outcome.routingFailed++;
    }
    const clean = 2000 - anomalous.size;
    expect(outcome.settled + outcome.cancelled + outcome.riskRejected + outcome.routingFailed).toBe(clean);
    expect(outcome.settled / clean).toBeGreaterThan(0.6);
    expect(outcome.cancelled).toBeGreaterThan(clean * 0.03);
    expect(outcome.riskRejected).toBeGreaterThan(clean * 0.02);
    expect(outcome.routingFailed).toBeGreaterThan(clean * 0.01);
    // partial fills, and a fill racing a cancel request, both occur in clean orders
    const shapes = [...streams].filter(([s]) => !anomalous.has(s)).map(([, l]) => l.map((e) => LETTER[e.type]).join(''));
    expect(shapes.some((s) => /ppp/.test(s))).toBe(true);
    expect(shapes.some((s) => /Qp+C/.test(s))).toBe(true);
  });

  it('uses OrderPlaced schema_version 1 for the earlier half and 2 (optional timeInForce) for the later half', () => {
    const ids = new Set<string>();
    const placed = events
      .filter((e) => e.type === 'OrderPlaced' && !ids.has(e.id) && ids.add(e.id)) // without redeliveries
      .sort((a, b) => a.stream.localeCompare(b.stream));
    placed.forEach((e, k) => expect(e.schema_version).toBe(k < 1000 ? 1 : 2));
    const v2 = placed.slice(1000);
    expect(v2.some((e) => e.data['timeInForce'] === undefined)).toBe(true);
    expect(v2.some((e) => ['GTC', 'IOC', 'DAY'].includes(e.data['timeInForce'] as string))).toBe(true);
    expect(placed.slice(0, 1000).every((e) => !('timeInForce' in e.data))).toBe(true);
  });
});

describe('generateTradingLog: anomalies', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every truth record is in the events, and clean orders have no anomaly`, () => {
      const orders = 2600;
      const { events, truth } = run({ orders, anomalyRate: 0.1, seed });
      expect(truth.length).toBe(260);
      expect(new Set(truth.map((t) => t.orderId)).size).toBe(truth.length);
      expect(new Set(truth.map((t) => t.kind))).toEqual(new Set(ANOMALY_KINDS));

      const found = detectAnomalies(events);
      const byId = new Map(events.map((e) => [e.id, e]));
      const truthStreams = new Set<string>();
      for (const t of truth) {
        truthStreams.add(t.stream);
        expect(t.stream).toBe(`order-${t.orderId}`);
        expect(byId.get(t.eventId)?.stream, `${t.kind} ${t.eventId}`).toBe(t.stream);
        expect(t.detail.length).toBeGreaterThan(0);
        const kinds = found.get(t.stream);
        // exactly the injected kind, and shown by the event the truth names
        expect([...(kinds?.keys() ?? [])], `${t.kind} in ${t.stream}`).toEqual([t.kind]);
        expect(kinds?.get(t.kind)?.has(t.eventId), `${t.kind} at ${t.eventId}`).toBe(true);
      }
      for (const [stream, kinds] of found) {
        expect(truthStreams.has(stream), `${stream} has ${[...kinds.keys()].join(', ')}`).toBe(true);
      }
    });
  }

  it('injects exactly round(orders × rate) anomalies, and none at rate 0', () => {
    const none = run({ orders: 500, anomalyRate: 0, seed: 4 });
    expect(none.truth).toEqual([]);
    expect(detectAnomalies(none.events).size).toBe(0);
    expect(run({ orders: 1000, seed: 4 }).truth.length).toBe(10); // default rate 0.01
    expect(run({ orders: 333, anomalyRate: 0.05, seed: 4 }).truth.length).toBe(17);
  });

  it('gives every order an anomaly at rate 1, still one per order', () => {
    const { events, truth } = run({ orders: 130, anomalyRate: 1, seed: 6 });
    expect(truth.length).toBe(130);
    const found = detectAnomalies(events);
    for (const t of truth) expect([...(found.get(t.stream)?.keys() ?? [])]).toEqual([t.kind]);
  });

  it('restricts kinds on request', () => {
    const { events, truth } = run({ orders: 400, anomalyRate: 0.1, seed: 2, kinds: ['stuck-saga', 'duplicate'] });
    expect(truth.length).toBe(40);
    expect(new Set(truth.map((t) => t.kind))).toEqual(new Set(['stuck-saga', 'duplicate']));
    const found = detectAnomalies(events);
    for (const t of truth) expect([...(found.get(t.stream)?.keys() ?? [])]).toEqual([t.kind]);
  });

  it('rejects bad options', () => {
    expect(() => generateTradingLog({ orders: -1 })).toThrow(RangeError);
    expect(() => generateTradingLog({ orders: 1.5 })).toThrow(RangeError);
    expect(() => generateTradingLog({ orders: 10, anomalyRate: 2 })).toThrow(RangeError);
    expect(() => generateTradingLog({ orders: 10, kinds: ['nope' as AnomalyKind] })).toThrow(RangeError);
  });
});

describe('committed sample', () => {
  const read = (name: string): string => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8');

  it('is exactly what the generator gives for its documented command, with every kind once', () => {
    const log = generateTradingLog({ orders: 40, anomalyRate: 0.325, seed: 194 });
    const lines = [...log].map((e) => JSON.stringify(e));
    expect(read('trading-sample.ndjson')).toBe(lines.join('\n') + '\n');
    expect(read('trading-sample.truth.ndjson')).toBe(log.truth.map((t) => JSON.stringify(t)).join('\n') + '\n');
    expect(log.truth.map((t) => t.kind).sort()).toEqual([...ANOMALY_KINDS].sort());
  });
});
