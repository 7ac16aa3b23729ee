/**
 * The saga view (pure): an order's expected steps (docs/architecture.md §4: OrderPlaced → risk check →
 * routing → acknowledgement → fills → settlement, compensation when a step fails) against
 * what happened — each step done, failed, missing (a later step happened without it) or not
 * reached, the compensation done or missing, and the terminal state or "stuck since …".
 *
 * The definition is data: TRADING_SAGA is the trading pack's; another domain (or a system
 * that spells the types differently) brings its own SagaDefinition.
 */
import { pushTo, type TraceNode } from './graph.js';
import { formatDuration } from '../core/time.js';

export interface SagaStepDefinition {
  name: string;
  /** Event types that complete the step. */
  done: readonly string[];
  /** Event types that complete it partially (fills before the last one). */
  partial?: readonly string[];
  /** Event types that fail it. */
  failed?: readonly string[];
}

export interface CompensationDefinition {
  /** A step whose effect must be undone ... */
  after: string;
  /** ... when one of these failures follows it ... */
  failures: readonly string[];
  /** ... by this event. */
  by: string;
}

export interface SagaDefinition {
  name: string;
  /** The business key that groups a saga's events (a path under data). */
  keyField: string;
  steps: readonly SagaStepDefinition[];
  /** Terminal event types and the state each ends in. */
  terminal: Readonly<Record<string, string>>;
  /** For an event type, the types of which at least one must come before it. */
  requires: Readonly<Record<string, readonly string[]>>;
  compensations: readonly CompensationDefinition[];
  /** Types that are failures, and types that are compensations (for marks in the tree). */
  failureTypes: readonly string[];
  compensationTypes: readonly string[];
}

export const TRADING_SAGA: SagaDefinition = {
  name: 'trading order',
  keyField: 'orderId',
  steps: [
    { name: 'placed', done: ['OrderPlaced'] },
    { name: 'risk check', done: ['RiskCheckPassed'], failed: ['RiskCheckRejected'] },
    { name: 'routing', done: ['OrderRouted'], failed: ['RoutingFailed'] },
    { name: 'acknowledged', done: ['OrderAcknowledged'] },
    { name: 'filled', done: ['OrderFilled'], partial: ['OrderPartiallyFilled'] },
    { name: 'settled', done: ['SettlementCompleted'] },
  ],
  terminal: { SettlementCompleted: 'settled', OrderCancelled: 'cancelled', OrderRejected: 'rejected' },
  requires: {
    RiskCheckPassed: ['OrderPlaced'],
    RiskCheckRejected: ['OrderPlaced'],
    OrderRouted: ['RiskCheckPassed'],
    RoutingFailed: ['RiskCheckPassed'],
    OrderAcknowledged: ['OrderRouted'],
    OrderPartiallyFilled: ['OrderAcknowledged'],
    OrderFilled: ['OrderAcknowledged'],
    SettlementCompleted: ['OrderFilled'],
    OrderCancelRequested: ['OrderPlaced'],
    OrderCancelled: ['OrderCancelRequested'],
    RiskReservationReleased: ['RoutingFailed'],
    OrderRejected: ['RiskCheckRejected', 'RoutingFailed'],
  },
  compensations: [{ after: 'RiskCheckPassed', failures: ['RoutingFailed'], by: 'RiskReservationReleased' }],
  failureTypes: ['RiskCheckRejected', 'RoutingFailed', 'OrderRejected'],
  compensationTypes: ['RiskReservationReleased'],
};

export type StepStatus = 'done' | 'partial' | 'failed' | 'missing' | 'pending' | 'not reached';

export interface SagaStepView {
  name: string;
  status: StepStatus;
  /** The event that completed, failed or partly did the step (the last one for fills). */
  eventId?: string;
  type?: string;
  ts?: string | null;
  /** Events for the step (fills). */
  count: number;
}

export interface SagaProblem {
  kind: 'missing-step' | 'missing-compensation' | 'after-terminal' | 'stuck-saga';
  eventId: string;
  message: string;
}

export interface SagaView {
  saga: string;
  key: string;
  /** settled | cancelled | rejected (the terminal's), stuck, or in flight. */
  state: string;
  terminalEventId?: string;
  /** The last event, for a saga with no terminal event. */
  lastEventId: string;
  lastType: string;
  since: string | null;
  /** How long before the log's end the last event was (stuck sagas). */
  idleNs: bigint | null;
  steps: SagaStepView[];
  compensation: { needed: boolean; done: boolean; failureEventId?: string; eventId?: string } | null;
  problems: SagaProblem[];
  summary: string;
}

export interface SagaOptions {
  /** The log's last event time: a saga idle longer than stuckAfterNs before it is stuck. */
  logEndNs: bigint | null;
  stuckAfterNs: bigint;
}

/** Every event type a saga definition names. */
export function sagaTypes(def: SagaDefinition): Set<string> {
  return new Set([...def.steps.flatMap((s) => [...s.done, ...(s.partial ?? []), ...(s.failed ?? [])]), ...Object.keys(def.terminal), ...Object.keys(def.requires)]);
}

/** Saga views for every saga key found among the nodes (orders), the keys in `first` first. */
export function sagaViews(nodes: readonly TraceNode[], def: SagaDefinition, options: SagaOptions, first: readonly string[] = []): SagaView[] {
  const types = sagaTypes(def);
  const groups = new Map<string, TraceNode[]>();
  for (const n of nodes) {
    if (!types.has(n.type)) continue;
    const key = n.data?.[def.keyField];
    if (typeof key !== 'string' && typeof key !== 'number') continue;
    pushTo(groups, String(key), n);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const fa = first.indexOf(a);
    const fb = first.indexOf(b);
    if (fa !== fb) return (fa === -1 ? Infinity : fa) - (fb === -1 ? Infinity : fb);
    return groups.get(a)![0]!.seq - groups.get(b)![0]!.seq;
  });
  return keys.map((k) => sagaView(k, groups.get(k)!, def, options));
}

export function sagaView(key: string, nodesIn: readonly TraceNode[], def: SagaDefinition, options: SagaOptions): SagaView {
  const nodes = [...nodesIn].sort((a, b) => a.seq - b.seq);
  const problems: SagaProblem[] = [];

  // Prerequisites: each event needs one of its required types before it.
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const need = def.requires[n.type];
    if (!need) continue;
    if (!nodes.slice(0, i).some((p) => need.includes(p.type))) {
      problems.push({ kind: 'missing-step', eventId: n.id, message: `${n.type} with no ${need.join(' or ')} before it` });
    }
  }

  const terminal = nodes.find((n) => n.type in def.terminal);
  if (terminal) {
    for (const n of nodes) {
      if (n.seq > terminal.seq) problems.push({ kind: 'after-terminal', eventId: n.id, message: `${n.type} after the terminal ${terminal.type}` });
    }
  }

  // Compensation: a failure after a step that holds something must be followed by its undo.
  let compensation: SagaView['compensation'] = null;
  for (const c of def.compensations) {
    const held = nodes.find((n) => n.type === c.after);
    const failure = held && nodes.find((n) => n.seq > held.seq && c.failures.includes(n.type));
    if (!failure) continue;
    const undo = nodes.find((n) => n.seq > failure.seq && n.type === c.by);
    compensation = { needed: true, done: undo !== undefined, failureEventId: failure.id, ...(undo ? { eventId: undo.id } : {}) };
    if (!undo) problems.push({ kind: 'missing-compensation', eventId: failure.id, message: `${failure.type} after ${c.after}, but no ${c.by}` });
  }

  // Steps: done / partial / failed from the events; missing when a later step happened anyway.
  const steps: SagaStepView[] = def.steps.map((s) => {
    const done = nodes.filter((n) => s.done.includes(n.type));
    const partial = nodes.filter((n) => s.partial?.includes(n.type));
    const failed = nodes.filter((n) => s.failed?.includes(n.type));
    const pick = (list: TraceNode[], status: StepStatus): SagaStepView => {
      const e = list[list.length - 1]!;
      return { name: s.name, status, eventId: e.id, type: e.type, ts: e.ts, count: done.length + partial.length + failed.length };
    };
    if (failed.length) return pick(failed, 'failed');
    if (done.length) return pick(done, 'done');
    if (partial.length) return pick(partial, 'partial');
    return { name: s.name, status: 'pending', count: 0 };
  });
  let stopped = false; // after a failure or the terminal, the remaining steps are not reached
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.status === 'pending') {
      const later = steps.slice(i + 1).some((s) => s.status !== 'pending');
      if (later) step.status = 'missing';
      else if (stopped || terminal) step.status = 'not reached';
    }
    if (step.status === 'failed') stopped = true;
  }

  const last = nodes[nodes.length - 1]!;
  const idleNs = options.logEndNs !== null && last.tsNs !== null ? options.logEndNs - last.tsNs : null;
  let state: string;
  if (terminal) state = def.terminal[terminal.type]!;
  else if (idleNs !== null && idleNs > options.stuckAfterNs) {
    state = 'stuck';
    problems.push({ kind: 'stuck-saga', eventId: last.id, message: `no terminal event: stuck after ${last.type} for ${formatDuration(idleNs)} before the log ends` });
  } else state = 'in flight';

  const view: SagaView = {
    saga: def.name,
    key,
    state,
    ...(terminal ? { terminalEventId: terminal.id } : {}),
    lastEventId: last.id,
    lastType: last.type,
    since: last.ts,
    idleNs,
    steps,
    compensation,
    problems,
    summary: '',
  };
  view.summary = sagaSummary(view, nodes);
  return view;
}

function sagaSummary(view: SagaView, nodes: readonly TraceNode[]): string {
  const parts: string[] = [];
  const failed = view.steps.find((s) => s.status === 'failed');
  const fills = view.steps.find((s) => s.name === 'filled');
  if (view.state === 'stuck') {
    parts.push(`stuck since ${view.since ?? '?'} after ${view.lastType}${view.idleNs !== null ? ` (${formatDuration(view.idleNs)} before the log ends)` : ''}`);
  } else if (view.state === 'in flight') {
    parts.push(`in flight: last ${view.lastType} at ${view.since ?? '?'}`);
  } else {
    parts.push(view.state);
    if (failed) {
      const reason = nodes.find((n) => n.id === failed.eventId)?.data;
      const why = reason?.['reason'] ?? reason?.['error'];
      parts.push(`${failed.name} failed (${failed.type}${typeof why === 'string' ? `: ${why}` : ''})`);
    }
  }
  if (fills && fills.count > 0) parts.push(`${fills.count} fill${fills.count === 1 ? '' : 's'}`);
  if (view.compensation) parts.push(view.compensation.done ? 'compensation done' : 'compensation MISSING');
  const missing = view.steps.filter((s) => s.status === 'missing').map((s) => s.name);
  if (missing.length) parts.push(`missing step: ${missing.join(', ')}`);
  const first = nodes[0];
  const end = nodes.find((n) => n.id === view.terminalEventId);
  if (first && end && first.tsNs !== null && end.tsNs !== null) parts.push(`${formatDuration(end.tsNs - first.tsNs)} from ${first.type} to ${end.type}`);
  return parts.join(' · ');
}
