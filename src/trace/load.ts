/**
 * Loading a trace from the store: the events the id names, every event of their correlations
 * (unless the id is an event id), then the causation closure — ancestors by following
 * causation ids up, descendants by following "caused by" down, across correlations — one
 * set-based round trip per level (source.step), until nothing new turns up.
 */
import type { StreamRevision, TraceEvent } from './graph.js';
import type { Resolution } from './resolve.js';
import type { EventSource } from './source.js';

export interface LoadOptions {
  /** Stop growing the trace past this many events (a hub event can cause millions). */
  maxEvents?: number;
}

export interface LoadedTrace {
  /** Every delivery of every event in the trace, by seq. */
  events: TraceEvent[];
  /** Every revision of the streams the trace touches (undefined when they are too long to read). */
  streamRevisions: StreamRevision[] | undefined;
  /** Correlation ids the trace took in whole. */
  correlations: string[];
  /** The closure stopped at maxEvents. */
  truncated: boolean;
  /** Round trips to DuckDB, for the curious (and the benchmark). */
  queries: number;
}

export const DEFAULT_MAX_EVENTS = 20_000;

export async function loadTrace(source: EventSource, resolution: Resolution, options: LoadOptions = {}): Promise<LoadedTrace> {
  const max = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const bySeq = new Map<number, TraceEvent>();
  const ids = new Set<string>();
  const queries0 = source.queries;
  let truncated = false;
  const add = (list: readonly TraceEvent[]): TraceEvent[] => {
    const fresh: TraceEvent[] = [];
    for (const e of list) {
      if (bySeq.has(e.seq)) continue;
      if (bySeq.size >= max) {
        truncated = true;
        break;
      }
      bySeq.set(e.seq, e);
      ids.add(e.id);
      fresh.push(e);
    }
    return fresh;
  };

  add(resolution.seeds);
  // The revisions of the seeds' streams are read at the end (streamRevisions); their index
  // lookup rides along with the next statement (the correlation's, or the first step's).
  const streamsOf = (list: readonly TraceEvent[]) => list.map((e) => e.stream).filter((s): s is string => s !== null);
  source.prefetchStreams(streamsOf(resolution.seeds));
  let correlations: string[] = [];
  if (resolution.kind !== 'event') {
    correlations = [...new Set(resolution.seeds.map((e) => e.correlationId).filter((c): c is string => c !== null))].sort();
    if (correlations.length > 0) {
      add(await source.events('correlation', correlations));
    }
  }

  // Causation closure. Ancestors only go up and descendants only go down, so siblings of an
  // ancestor (another order caused by the same market event) stay out.
  const askedUp = new Set<string>();
  const askedDown = new Set<string>();
  const base = [...bySeq.values()];
  // Effects of an event whose correlation was read whole are read already, unless they lie in
  // another correlation: those come from the small cross-correlation table.
  const whole = new Set(correlations);
  let up = base.map((e) => e.causationId).filter((c): c is string => c !== null && !ids.has(c));
  let down = base.filter((e) => e.correlationId === null || !whole.has(e.correlationId)).map((e) => e.id);
  let crossDown = base.filter((e) => e.correlationId !== null && whole.has(e.correlationId)).map((e) => e.id);
  while ((up.length > 0 || down.length > 0 || crossDown.length > 0) && !truncated) {
    source.prefetchStreams(streamsOf([...bySeq.values()]));
    up.forEach((id) => askedUp.add(id));
    down.forEach((id) => askedDown.add(id));
    crossDown.forEach((id) => askedDown.add(id));
    const step = await source.step(up, down, crossDown);
    crossDown = [];
    const newUp = add(step.up);
    const newDown = add(step.down);
    up = [...new Set(newUp.map((e) => e.causationId).filter((c): c is string => c !== null && !ids.has(c) && !askedUp.has(c)))];
    down = [...new Set(newDown.map((e) => e.id).filter((id) => !askedDown.has(id)))];
  }

  const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const streams = [...new Set(events.map((e) => e.stream).filter((s): s is string => s !== null))];
  const streamRevisions = streams.length > 0 ? await source.streamRevisions(streams, max) : [];
  return { events, streamRevisions: streamRevisions ?? undefined, correlations, truncated, queries: source.queries - queries0 };
}
