/**
 * Market data in a trace (pure). A LOBSTER message file is what a venue published for a time
 * window and the top N price levels: its messages carry no causation (an order's messages are
 * linked by its order id), and an order may be cancelled, deleted or executed without being
 * submitted in the file at all — it was entered before the window, or rested outside the
 * levels. Such an order is named as such, not taken for a graph with "several roots".
 */
import { LOBSTER_TYPES } from '../ingest/presets/lobster.js';
import type { TraceAnomaly, TraceNode } from './graph.js';

export const MARKET_TYPES: ReadonlySet<string> = new Set(Object.values(LOBSTER_TYPES));
export const SUBMISSION_TYPE = LOBSTER_TYPES['1']!;
/** Messages that act on a resting order: a partial cancel, a deletion, a visible execution (types 2-4). */
export const ACTS_ON_ORDER: readonly string[] = [LOBSTER_TYPES['2']!, LOBSTER_TYPES['3']!, LOBSTER_TYPES['4']!];

/** Whether every event of the trace is a market-data message. */
export function isMarketData(nodes: readonly TraceNode[]): boolean {
  return nodes.length > 0 && nodes.every((n) => MARKET_TYPES.has(n.type));
}

/** One anomaly per order whose messages act on it without its submission in the file. */
export function ordersNotSubmitted(nodes: readonly TraceNode[]): TraceAnomaly[] {
  const byOrder = new Map<string, TraceNode[]>();
  for (const n of nodes) {
    const id = n.data?.orderId;
    if (id === undefined || id === null || String(id) === '0') continue;
    const key = String(id);
    byOrder.set(key, [...(byOrder.get(key) ?? []), n]);
  }
  const out: TraceAnomaly[] = [];
  for (const [orderId, list] of byOrder) {
    if (list.some((n) => n.type === SUBMISSION_TYPE)) continue;
    const acting = list.filter((n) => ACTS_ON_ORDER.includes(n.type)).sort((a, b) => a.seq - b.seq);
    if (acting.length === 0) continue;
    const types = [...new Set(acting.map((n) => n.type))].join(', ');
    out.push({
      kind: 'not-submitted-in-file',
      eventId: acting[0]!.id,
      seq: acting[0]!.seq,
      ...(acting[0]!.stream ? { stream: acting[0]!.stream } : {}),
      eventIds: acting.map((n) => n.id),
      message: `order ${orderId} was never submitted in this file (entered before its time window, or outside its price levels): ${acting.length} message${acting.length === 1 ? '' : 's'} (${types}) act on an order the file never showed`,
    });
  }
  return out;
}
