/**
 * The causality graph behind a trace (pure: no DuckDB, no terminal). Events in, a graph out:
 * one node per event id, an edge cause → effect for every causation link whose cause is in the
 * graph, with the latency of the hop, the anomalies the graph shows and its critical path.
 *
 * The loader (load.ts) hands in every event of the trace, every delivery of each id, so an
 * id missing here is missing from the log: a causation that names it is an orphan.
 */
import { formatDuration } from '../core/time.js';

export interface TraceEvent {
  /** The store's seq: replay order, unique per delivery. */
  seq: number;
  id: string;
  type: string;
  stream: string | null;
  rev: number | null;
  /** ISO 8601 UTC with nine fractional digits, as the store prints it. */
  ts: string | null;
  tsNs: bigint | null;
  source: string | null;
  correlationId: string | null;
  causationId: string | null;
  /** Set on a later delivery of an id: same content (redelivery) or not (conflict). */
  dupKind: 'redelivery' | 'conflict' | null;
  dupOf: number | null;
  data?: Record<string, unknown> | null;
}

/** One revision of a traced stream (all of the stream, not only what the trace holds). */
export interface StreamRevision {
  stream: string;
  rev: number;
  id: string;
  seq: number;
}

export interface TraceNode {
  id: string;
  type: string;
  ts: string | null;
  tsNs: bigint | null;
  stream: string | null;
  rev: number | null;
  source: string | null;
  seq: number;
  correlationId: string | null;
  /** The first delivery's causation id (a conflicting delivery may name another: see parents). */
  causationId: string | null;
  /** How often the id was delivered (1 normally). */
  deliveries: number;
  /** A later delivery had different content. */
  conflict: boolean;
  data: Record<string, unknown> | null;
}

/**
 * A delivery of an id that is not its node: a later copy (same content: a redelivery; other
 * content: a conflict), or another event that carries the same id (shared-id). The pictures
 * draw a conflict's copy beside its first, so the two versions can be told apart.
 */
export interface TraceCopy extends Pick<TraceNode, 'id' | 'seq' | 'type' | 'ts' | 'tsNs' | 'stream' | 'rev' | 'source' | 'causationId'> {
  kind: 'redelivery' | 'conflict' | 'shared-id';
  /** seq of the node's delivery this is a copy of. */
  firstSeq: number;
}

export interface TraceEdge {
  from: string;
  to: string;
  /** effect ts − cause ts; null when either has no time. */
  latencyNs: bigint | null;
}

export const GRAPH_ANOMALY_KINDS = [
  'orphan-causation',
  'clock-skew',
  'cycle',
  'several-roots',
  'redelivery',
  'conflict',
  'revision-gap',
  'shared-id',
] as const;
export type GraphAnomalyKind = (typeof GRAPH_ANOMALY_KINDS)[number];

export interface TraceAnomaly {
  kind: GraphAnomalyKind | (string & {});
  /** The event that shows the anomaly. */
  eventId: string;
  message: string;
  seq?: number;
  stream?: string;
  causationId?: string;
  /** The events involved, for anomalies about several (a cycle, the roots). */
  eventIds?: string[];
  skewNs?: bigint;
}

export interface CriticalPath {
  eventIds: string[];
  /** Sum of the hop latencies (= last ts − first ts when every hop has times). */
  totalNs: bigint;
  hops: TraceEdge[];
  slowestHop: TraceEdge | null;
}

export interface CausalityGraph {
  /** By seq of the first delivery. */
  nodes: TraceNode[];
  /** By the effect's seq, then the cause's. */
  edges: TraceEdge[];
  /** Events with no causation at all, by seq. */
  roots: string[];
  /** Where a tree view starts: roots, events whose cause is missing, one event per unrooted cycle. */
  entries: string[];
  children: ReadonlyMap<string, readonly string[]>;
  parents: ReadonlyMap<string, readonly string[]>;
  anomalies: TraceAnomaly[];
  criticalPath: CriticalPath | null;
  /** Later deliveries and same-id events, by seq (the nodes hold the first of each id). */
  copies: TraceCopy[];
  /**
   * Stream revisions claimed by more than one event id (the stream forked), with every claimant
   * in seq order; claimants outside the trace are named too (from the stream's revisions).
   */
  revisionClaims: { stream: string; rev: number; claimants: { id: string; seq: number }[] }[];
}

export interface GraphOptions {
  /** An effect earlier than its cause by more than this is a clock skew (default 0). */
  skewToleranceNs?: bigint;
  /** Every revision of the traced streams; without it, revision gaps are looked for among the events given. */
  streamRevisions?: readonly StreamRevision[];
}

/** Appends `value` to the list under `key`, starting the list on first use (a group-by in insertion order). */
export function pushTo<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const list = groups.get(key);
  if (list) list.push(value);
  else groups.set(key, [value]);
}

export function buildGraph(events: readonly TraceEvent[], options: GraphOptions = {}): CausalityGraph {
  const tolerance = options.skewToleranceNs ?? 0n;
  const sorted = [...events].sort((a, b) => a.seq - b.seq);

  // --- nodes: one per id, from its first delivery
  const deliveries = new Map<string, TraceEvent[]>();
  for (const e of sorted) pushTo(deliveries, e.id, e);
  const nodes: TraceNode[] = [];
  const byId = new Map<string, TraceNode>();
  // An id can also name distinct events: CloudEvents are identified by source + id, and two
  // producers may number theirs alike (neither is a delivery of the other: dup_of is unset).
  // The trace follows ids, so the node is the first of them; the others are reported.
  const sharedIds: TraceAnomaly[] = [];
  const copies: TraceCopy[] = [];
  for (const [id, list] of deliveries) {
    const first = list.find((e) => e.dupKind === null) ?? list[0]!;
    for (const other of list) {
      if (other === first) continue;
      copies.push({
        kind: other.dupKind ?? 'shared-id', id, seq: other.seq, firstSeq: other.dupKind === null ? first.seq : (other.dupOf ?? first.seq),
        type: other.type, ts: other.ts, tsNs: other.tsNs, stream: other.stream, rev: other.rev, source: other.source, causationId: other.causationId,
      });
      if (other.dupKind !== null) continue;
      sharedIds.push({
        kind: 'shared-id', eventId: id, seq: other.seq,
        message: `${other.type} ${id} from ${other.source ?? '?'} (seq ${other.seq}) is another event with the id of ${first.type} from ${first.source ?? '?'} (seq ${first.seq}); the trace follows the first`,
      });
    }
    // Its deliveries: the first and the later ones marked as of it (dup_of; unknown: of it).
    const own = list.filter((e) => e === first || (e.dupKind !== null && (e.dupOf ?? first.seq) === first.seq));
    const node: TraceNode = {
      id,
      type: first.type,
      ts: first.ts,
      tsNs: first.tsNs,
      stream: first.stream,
      rev: first.rev,
      source: first.source,
      seq: first.seq,
      correlationId: first.correlationId,
      causationId: first.causationId,
      deliveries: own.length,
      conflict: own.some((e) => e.dupKind === 'conflict'),
      data: first.data ?? null,
    };
    nodes.push(node);
    byId.set(id, node);
  }
  nodes.sort((a, b) => a.seq - b.seq);

  // --- edges: every distinct causation named by any delivery
  const anomalies: TraceAnomaly[] = [];
  const edges: TraceEdge[] = [];
  const children = new Map<string, string[]>();
  const parents = new Map<string, string[]>();
  for (const n of nodes) {
    children.set(n.id, []);
    parents.set(n.id, []);
  }
  const roots: string[] = [];
  const orphans = new Set<string>();
  for (const node of nodes) {
    const causes = [...new Set(deliveries.get(node.id)!.map((e) => e.causationId).filter((c): c is string => c !== null))];
    if (causes.length === 0) roots.push(node.id);
    let found = 0;
    for (const cause of causes) {
      const from = byId.get(cause);
      if (!from) {
        anomalies.push({
          kind: 'orphan-causation',
          eventId: node.id,
          seq: node.seq,
          causationId: cause,
          message: `${node.type} names cause ${cause}, which is no event in the log`,
        });
        continue;
      }
      found++;
      const latencyNs = node.tsNs !== null && from.tsNs !== null ? node.tsNs - from.tsNs : null;
      edges.push({ from: cause, to: node.id, latencyNs });
      children.get(cause)!.push(node.id);
      parents.get(node.id)!.push(cause);
      if (latencyNs !== null && latencyNs < -tolerance) {
        anomalies.push({
          kind: 'clock-skew',
          eventId: node.id,
          seq: node.seq,
          causationId: cause,
          skewNs: -latencyNs,
          message: `${node.type} is ${formatDuration(-latencyNs)} earlier than its cause ${from.type}`,
        });
      }
    }
    if (causes.length > 0 && found === 0) orphans.add(node.id);
  }
  const seqOf = (id: string) => byId.get(id)!.seq;
  // Edges were made in effect order; a stable sort on the cause's seq within each effect is
  // all that is left (decorated, so the comparator does no lookups).
  const decorated = edges.map((e, i) => ({ e, to: seqOf(e.to), from: seqOf(e.from), i }));
  decorated.sort((a, b) => a.to - b.to || a.from - b.from || a.i - b.i);
  decorated.forEach((d, i) => (edges[i] = d.e));
  for (const list of children.values()) if (list.length > 1) list.sort((a, b) => seqOf(a) - seqOf(b));
  for (const list of parents.values()) if (list.length > 1) list.sort((a, b) => seqOf(a) - seqOf(b));

  // --- several roots
  if (roots.length > 1) {
    anomalies.push({
      kind: 'several-roots',
      eventId: roots[1]!,
      seq: seqOf(roots[1]!),
      eventIds: [...roots],
      message: `${roots.length} events have no cause: ${roots.slice(0, 5).join(', ')}${roots.length > 5 ? ', …' : ''}`,
    });
  }

  // --- cycles: strongly connected components with more than one node, or a self-loop
  const components = stronglyConnected(nodes.map((n) => n.id), children);
  const inCycle = new Set<string>();
  for (const component of components) {
    const selfLoop = component.length === 1 && children.get(component[0]!)!.includes(component[0]!);
    if (component.length < 2 && !selfLoop) continue;
    const members = [...component].sort((a, b) => seqOf(a) - seqOf(b));
    for (const m of members) inCycle.add(m);
    anomalies.push({
      kind: 'cycle',
      eventId: members[0]!,
      seq: seqOf(members[0]!),
      eventIds: members,
      message: `causation cycle through ${members.length} event${members.length === 1 ? '' : 's'}: ${cycleText(members, children)}`,
    });
  }

  anomalies.push(...sharedIds);

  // --- redeliveries and conflicts
  for (const list of deliveries.values()) {
    for (const e of list) {
      if (e.dupKind === null) continue;
      anomalies.push({
        kind: e.dupKind,
        eventId: e.id,
        seq: e.seq,
        message:
          e.dupKind === 'redelivery'
            ? `${e.type} ${e.id} delivered again (seq ${e.seq}, first seq ${e.dupOf ?? '?'}) with the same content`
            : `${e.type} ${e.id} delivered again (seq ${e.seq}, first seq ${e.dupOf ?? '?'}) with different content`,
      });
    }
  }

  // --- revision gaps in the traced streams
  const revisions =
    options.streamRevisions ??
    sorted.filter((e) => e.stream !== null && e.rev !== null).map((e) => ({ stream: e.stream!, rev: e.rev!, id: e.id, seq: e.seq }));
  anomalies.push(...revisionGaps(revisions));
  const claims = new Map<string, { stream: string; rev: number; claimants: { id: string; seq: number }[] }>();
  for (const r of revisions) {
    const key = `${r.stream}\u0000${r.rev}`;
    const claim = claims.get(key) ?? { stream: r.stream, rev: r.rev, claimants: [] };
    claims.set(key, claim);
    if (!claim.claimants.some((c) => c.id === r.id)) claim.claimants.push({ id: r.id, seq: r.seq });
  }
  const revisionClaims = [...claims.values()].filter((c) => c.claimants.length > 1);
  for (const c of revisionClaims) c.claimants.sort((a, b) => a.seq - b.seq);

  // --- entries for a tree view
  const entries: string[] = [];
  const reached = new Set<string>();
  const reach = (start: string) => {
    const stack = [start];
    while (stack.length) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      for (const c of children.get(id)!) stack.push(c);
    }
  };
  for (const n of nodes) {
    if (roots.includes(n.id) || orphans.has(n.id)) {
      entries.push(n.id);
      reach(n.id);
    }
  }
  for (const n of nodes) {
    if (reached.has(n.id)) continue;
    entries.push(n.id);
    reach(n.id);
  }

  anomalies.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.kind.localeCompare(b.kind));
  return {
    nodes,
    edges,
    roots,
    entries,
    children,
    parents,
    anomalies,
    criticalPath: criticalPath(nodes, edges, inCycle),
    copies: copies.sort((a, b) => a.seq - b.seq),
    revisionClaims,
  };
}

/** Revision gaps: per stream, a rev number skipped between two revs that are there. */
export function revisionGaps(revisions: readonly StreamRevision[]): TraceAnomaly[] {
  const byStream = new Map<string, StreamRevision[]>();
  for (const r of revisions) pushTo(byStream, r.stream, r);
  const out: TraceAnomaly[] = [];
  for (const [stream, list] of byStream) {
    list.sort((a, b) => a.rev - b.rev || a.seq - b.seq);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.rev <= prev.rev + 1) continue;
      const missing = cur.rev - prev.rev - 1;
      const which = missing === 1 ? `rev ${prev.rev + 1} is` : `revs ${prev.rev + 1}–${cur.rev - 1} are`;
      out.push({
        kind: 'revision-gap',
        eventId: cur.id,
        seq: cur.seq,
        stream,
        message: `${stream}: ${which} missing (rev ${prev.rev} is followed by rev ${cur.rev})`,
      });
    }
  }
  return out;
}

/** Tarjan's algorithm, iterative (a long causation chain must not overflow the stack). */
function stronglyConnected(ids: readonly string[], children: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of ids) {
    if (index.has(start)) continue;
    const work: { id: string; i: number }[] = [{ id: start, i: 0 }];
    index.set(start, next);
    low.set(start, next);
    next++;
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const kids = children.get(frame.id) ?? [];
      if (frame.i < kids.length) {
        const child = kids[frame.i++]!;
        if (!index.has(child)) {
          index.set(child, next);
          low.set(child, next);
          next++;
          stack.push(child);
          onStack.add(child);
          work.push({ id: child, i: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        for (;;) {
          const id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
          if (id === frame.id) break;
        }
        out.push(component);
      }
    }
  }
  return out;
}

/** "a → b → c → a" for a cycle's members (following edges inside the cycle from the first). */
function cycleText(members: readonly string[], children: ReadonlyMap<string, readonly string[]>): string {
  const inside = new Set(members);
  const path = [members[0]!];
  const seen = new Set(path);
  for (;;) {
    const last = path[path.length - 1]!;
    const nextId = (children.get(last) ?? []).find((c) => inside.has(c) && (!seen.has(c) || c === members[0]));
    if (nextId === undefined) break;
    path.push(nextId);
    if (nextId === members[0] || path.length > members.length + 1) break;
    seen.add(nextId);
  }
  return path.join(' → ');
}

/**
 * The slowest chain from a start (an event with no cause in the graph) to an end (an event with
 * no effect): a longest path over the hop latencies, edges inside cycles left out. A hop
 * without times counts 0. Ties go to the chain with more hops, then to the later end.
 */
function criticalPath(nodes: readonly TraceNode[], edges: readonly TraceEdge[], inCycle: ReadonlySet<string>): CriticalPath | null {
  if (nodes.length === 0) return null;
  const usable = edges.filter((e) => !(inCycle.has(e.from) && inCycle.has(e.to)));
  const out = new Map<string, TraceEdge[]>();
  const indegree = new Map<string, number>();
  for (const n of nodes) {
    out.set(n.id, []);
    indegree.set(n.id, 0);
  }
  for (const e of usable) {
    out.get(e.from)!.push(e);
    indegree.set(e.to, indegree.get(e.to)! + 1);
  }
  const best = new Map<string, { total: bigint; hops: number; via: TraceEdge | null }>();
  const queue: string[] = [];
  for (const n of nodes) {
    if (indegree.get(n.id) === 0) {
      queue.push(n.id);
      best.set(n.id, { total: 0n, hops: 0, via: null });
    }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    const here = best.get(id);
    for (const e of out.get(id)!) {
      if (here) {
        const total = here.total + (e.latencyNs ?? 0n);
        const hops = here.hops + 1;
        const cur = best.get(e.to);
        if (!cur || total > cur.total || (total === cur.total && hops > cur.hops)) best.set(e.to, { total, hops, via: e });
      }
      const d = indegree.get(e.to)! - 1;
      indegree.set(e.to, d);
      if (d === 0) queue.push(e.to);
    }
  }
  let end: TraceNode | undefined;
  for (const n of nodes) {
    if (out.get(n.id)!.length > 0) continue;
    const b = best.get(n.id);
    if (!b) continue;
    const e = end ? best.get(end.id)! : undefined;
    if (!e || b.total > e.total || (b.total === e.total && (b.hops > e.hops || (b.hops === e.hops && n.seq > end!.seq)))) end = n;
  }
  if (!end) return null;
  const hops: TraceEdge[] = [];
  let at = best.get(end.id)!;
  const ids = [end.id];
  while (at.via) {
    hops.push(at.via);
    ids.push(at.via.from);
    at = best.get(at.via.from)!;
  }
  hops.reverse();
  ids.reverse();
  let slowestHop: TraceEdge | null = null;
  for (const h of hops) if (!slowestHop || (h.latencyNs ?? 0n) > (slowestHop.latencyNs ?? 0n)) slowestHop = h;
  return { eventIds: ids, totalNs: best.get(end.id)!.total, hops, slowestHop };
}
