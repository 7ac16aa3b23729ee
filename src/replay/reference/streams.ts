/**
 * The `streams` projection as a plain JavaScript fold, the spec ../projections/streams.ts is
 * tested against: per stream, count, last rev / type / time, conflicts, and the RFC 7386 JSON
 * merge-patch fold of the data.
 */
import { inCut, type Cut } from './orders.js';

export interface StreamEvent {
  seq: number;
  stream: string | null;
  rev: number | null;
  type: string;
  ts: string | null;
  data: unknown;
  dup_kind?: 'redelivery' | 'conflict' | null;
}

export interface StreamRow {
  stream: string;
  events: number;
  lastRev: number | null;
  lastType: string;
  lastEventAt: string | null;
  conflicts: number;
  state: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: apply `patch` to `target`. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

export function initialState(stream: string): StreamRow {
  return { stream, events: 0, lastRev: null, lastType: '', lastEventAt: null, conflicts: 0, state: {} };
}

export function evolve(s: StreamRow, e: StreamEvent): StreamRow {
  if (e.dup_kind === 'redelivery') return s;
  return {
    stream: s.stream,
    events: s.events + 1,
    lastRev: e.rev,
    lastType: e.type,
    lastEventAt: e.ts,
    conflicts: s.conflicts + (e.dup_kind === 'conflict' ? 1 : 0),
    // An event without data (SQL NULL) changes nothing; JSON null data is a patch like any other.
    state: e.data === undefined ? s.state : mergePatch(s.state, e.data),
  };
}

export function replayStreams(events: Iterable<StreamEvent>, cut: Cut): StreamRow[] {
  const states = new Map<string, StreamRow>();
  for (const e of events) {
    if (e.stream === null || e.dup_kind === 'redelivery' || !inCut(e, cut)) continue;
    states.set(e.stream, evolve(states.get(e.stream) ?? initialState(e.stream), e));
  }
  return [...states.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}
