import { describe, expect, it } from 'vitest';
import { buildGraph, revisionGaps, type TraceEvent } from '../../src/trace/graph.js';
import { formatDuration, isoToNs, nsToIso } from '../../src/core/time.js';

const MS = 1_000_000n;
const BASE = isoToNs('2025-08-26T09:30:00Z');
let nextSeq = 1;

/** A crafted event: id, its cause, ms after BASE; the rest defaults to one order's stream. */
function ev(id: string, cause: string | null, ms: number, extra: Partial<TraceEvent> = {}): TraceEvent {
  const tsNs = BASE + BigInt(Math.round(ms * 1e6));
  return {
    seq: nextSeq++,
    id,
    type: `T-${id}`,
    stream: 'order-1',
    rev: null,
    ts: nsToIso(tsNs),
    tsNs,
    source: 'svc',
    correlationId: 'corr-1',
    causationId: cause,
    dupKind: null,
    dupOf: null,
    ...extra,
  };
}

const kinds = (g: ReturnType<typeof buildGraph>) => g.anomalies.map((a) => `${a.kind}:${a.eventId}`);

describe('time helpers', () => {
  it('round-trips ISO nanoseconds exactly', () => {
    const iso = '2025-08-26T09:30:02.529212508Z';
    expect(nsToIso(isoToNs(iso))).toBe(iso);
    expect(isoToNs('2025-08-26T09:30:02.5Z') - isoToNs('2025-08-26T09:30:02Z')).toBe(500_000_000n);
    expect(nsToIso(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(() => isoToNs('2025-02-30T00:00:00Z')).toThrow(RangeError);
  });
  it('formats durations in a readable unit and keeps the sign', () => {
    expect(formatDuration(850n)).toBe('850 ns');
    expect(formatDuration(12_500n)).toBe('12.5 µs');
    expect(formatDuration(3_207_000n)).toBe('3.207 ms');
    expect(formatDuration(-2_328_426_712n)).toBe('-2.328 s');
    expect(formatDuration(245n * 1_000_000_000n)).toBe('4m 05s');
  });
});

describe('buildGraph', () => {
  it('links each effect to its cause with the latency of the hop', () => {
    const events = [ev('a', null, 0), ev('b', 'a', 1.5), ev('c', 'b', 4), ev('d', 'b', 10)];
    const g = buildGraph(events);
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(g.edges).toEqual([
      { from: 'a', to: 'b', latencyNs: 1_500_000n },
      { from: 'b', to: 'c', latencyNs: 2_500_000n },
      { from: 'b', to: 'd', latencyNs: 8_500_000n },
    ]);
    expect(g.roots).toEqual(['a']);
    expect(g.entries).toEqual(['a']);
    expect(g.children.get('b')).toEqual(['c', 'd']);
    expect(g.anomalies).toEqual([]);
  });

  it('orders nodes by seq whatever the input order', () => {
    const events = [ev('a', null, 0), ev('b', 'a', 1), ev('c', 'b', 2)];
    const g = buildGraph([...events].reverse());
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
  });

  it('reports a causation to an event that is not in the log (orphan), and starts a tree there', () => {
    const g = buildGraph([ev('a', null, 0), ev('b', 'a', 1), ev('c', 'ghost', 2), ev('d', 'c', 3)]);
    expect(kinds(g)).toEqual(['orphan-causation:c']);
    expect(g.anomalies[0]!.causationId).toBe('ghost');
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'c>d']);
    expect(g.entries).toEqual(['a', 'c']);
    expect(g.roots).toEqual(['a']);
  });

  it('reports an effect earlier than its cause beyond the tolerance (clock skew)', () => {
    const events = [ev('a', null, 1000), ev('b', 'a', 100), ev('c', 'b', 99.5)];
    const strict = buildGraph(events);
    expect(kinds(strict)).toEqual(['clock-skew:b', 'clock-skew:c']);
    expect(strict.anomalies[0]!.skewNs).toBe(900n * MS);
    // 0.5 ms back is within a 1 ms tolerance; 900 ms is not.
    expect(kinds(buildGraph(events, { skewToleranceNs: MS }))).toEqual(['clock-skew:b']);
    expect(kinds(buildGraph(events, { skewToleranceNs: 900n * MS }))).toEqual([]);
  });

  it('finds cycles, including a self-loop, and still gives every event an entry', () => {
    const g = buildGraph([ev('a', null, 0), ev('x', 'z', 1), ev('y', 'x', 2), ev('z', 'y', 3), ev('s', 's', 4)]);
    const cycles = g.anomalies.filter((a) => a.kind === 'cycle');
    expect(cycles.map((c) => c.eventIds)).toEqual([['x', 'y', 'z'], ['s']]);
    expect(cycles[0]!.message).toContain('x → y → z → x');
    expect(g.entries).toEqual(['a', 'x', 's']);
    expect(g.roots).toEqual(['a']);
  });

  it('reports several roots', () => {
    const g = buildGraph([ev('a', null, 0), ev('b', 'a', 1), ev('r2', null, 2), ev('r3', null, 3)]);
    const roots = g.anomalies.filter((a) => a.kind === 'several-roots');
    expect(roots).toHaveLength(1);
    expect(roots[0]!.eventId).toBe('r2');
    expect(roots[0]!.eventIds).toEqual(['a', 'r2', 'r3']);
    expect(buildGraph([ev('a', null, 0)]).anomalies).toEqual([]);
  });

  it('keeps one node per id and reports redeliveries and conflicts', () => {
    const a = ev('a', null, 0);
    const b = ev('b', 'a', 1);
    const bAgain = { ...b, seq: nextSeq++, dupKind: 'redelivery' as const, dupOf: b.seq };
    const c = ev('c', 'b', 2);
    const cOther = { ...c, seq: nextSeq++, dupKind: 'conflict' as const, dupOf: c.seq, data: { venue: 'X' } };
    const g = buildGraph([a, b, bAgain, c, cOther]);
    expect(g.nodes.map((n) => [n.id, n.deliveries, n.conflict])).toEqual([
      ['a', 1, false],
      ['b', 2, false],
      ['c', 2, true],
    ]);
    expect(g.edges).toHaveLength(2);
    expect(kinds(g)).toEqual(['redelivery:b', 'conflict:c']);
  });

  it('an id two sources gave distinct events (CloudEvents: source + id) is no delivery: the trace follows the first and says so', () => {
    const a = ev('1', null, 0, { source: '/a', type: 'Placed' });
    const b = ev('1', null, 1, { source: '/b', type: 'Shipped' });
    const aAgain = { ...a, seq: nextSeq++, dupKind: 'redelivery' as const, dupOf: a.seq };
    const bAgain = { ...b, seq: nextSeq++, dupKind: 'conflict' as const, dupOf: b.seq };
    const g = buildGraph([a, b, aAgain, bAgain]);
    expect(g.nodes.map((n) => [n.id, n.source, n.deliveries, n.conflict])).toEqual([['1', '/a', 2, false]]);
    const shared = g.anomalies.filter((x) => x.kind === 'shared-id');
    expect(shared.map((x) => [x.eventId, x.seq])).toEqual([['1', b.seq]]);
    expect(shared[0]!.message).toBe(`Shipped 1 from /b (seq ${b.seq}) is another event with the id of Placed from /a (seq ${a.seq}); the trace follows the first`);
  });

  it('takes the first delivery as the node even when a later one comes first in the input', () => {
    const b = ev('b', null, 1, { type: 'First' });
    const later = { ...b, seq: b.seq + 100, type: 'Second', dupKind: 'conflict' as const, dupOf: b.seq };
    expect(buildGraph([later, b]).nodes[0]!.type).toBe('First');
  });

  it('adds an edge for each distinct cause a conflicting delivery names', () => {
    const a = ev('a', null, 0);
    const b = ev('b', null, 1);
    const c = ev('c', 'a', 2);
    const c2 = { ...c, seq: nextSeq++, causationId: 'b', dupKind: 'conflict' as const, dupOf: c.seq };
    const g = buildGraph([a, b, c, c2]);
    expect(g.parents.get('c')).toEqual(['a', 'b']);
  });

  it('reports revision gaps, from the whole stream when given', () => {
    const events = [ev('a', null, 0, { rev: 1 }), ev('b', 'a', 1, { rev: 2 }), ev('c', 'b', 2, { rev: 4 }), ev('d', 'c', 3, { rev: 8 })];
    const g = buildGraph(events);
    expect(kinds(g)).toEqual(['revision-gap:c', 'revision-gap:d']);
    expect(g.anomalies[0]!.message).toContain('rev 3 is missing');
    expect(g.anomalies[1]!.message).toContain('revs 5–7 are missing');
    // The stream's other revisions fill the gap: nothing to report.
    const whole = [1, 2, 3, 4, 5, 6, 7, 8].map((rev) => ({ stream: 'order-1', rev, id: `r${rev}`, seq: 1000 + rev }));
    expect(buildGraph(events, { streamRevisions: whole }).anomalies).toEqual([]);
    // Redeliveries repeat a rev: not a gap.
    expect(revisionGaps([{ stream: 's', rev: 1, id: 'a', seq: 1 }, { stream: 's', rev: 1, id: 'a', seq: 2 }, { stream: 's', rev: 2, id: 'b', seq: 3 }])).toEqual([]);
  });

  it('finds the critical path: the slowest chain from a root to an end', () => {
    // a → b → c (fast, ends at 12 ms); a → d → e (slow, ends at 50 ms); a → f (ends at 40 ms)
    const g = buildGraph([ev('a', null, 0), ev('b', 'a', 1), ev('c', 'b', 12), ev('d', 'a', 30), ev('e', 'd', 50), ev('f', 'a', 40)]);
    expect(g.criticalPath!.eventIds).toEqual(['a', 'd', 'e']);
    expect(g.criticalPath!.totalNs).toBe(50n * MS);
    expect(g.criticalPath!.slowestHop).toEqual({ from: 'a', to: 'd', latencyNs: 30n * MS });
  });

  it('critical path matches a brute-force search on random trees', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const events: TraceEvent[] = [ev('n0', null, 0)];
      const at = new Map([['n0', 0]]);
      for (let i = 1; i < 12; i++) {
        const parent = `n${Math.floor(rand() * i)}`;
        const t = at.get(parent)! + Math.floor(rand() * 100);
        at.set(`n${i}`, t);
        events.push(ev(`n${i}`, parent, t));
      }
      const g = buildGraph(events);
      // Brute force: every leaf's chain total is its ts minus the root's ts.
      const leaves = events.filter((e) => !events.some((x) => x.causationId === e.id));
      const slowest = Math.max(...leaves.map((l) => at.get(l.id)!));
      expect(g.criticalPath!.totalNs).toBe(BigInt(slowest) * MS);
      const end = g.criticalPath!.eventIds.at(-1)!;
      expect(at.get(end)).toBe(slowest);
      // The path is a real chain of causes.
      const path = g.criticalPath!.eventIds;
      for (let i = 1; i < path.length; i++) expect(events.find((e) => e.id === path[i])!.causationId).toBe(path[i - 1]);
    }
  });

  it('handles an event without a time (no latency, no skew)', () => {
    const g = buildGraph([ev('a', null, 0), ev('b', 'a', 0, { ts: null, tsNs: null })]);
    expect(g.edges[0]!.latencyNs).toBeNull();
    expect(g.anomalies).toEqual([]);
  });

  it('survives a long chain (no recursion limits)', () => {
    const events = [ev('e0', null, 0)];
    for (let i = 1; i < 20000; i++) events.push(ev(`e${i}`, `e${i - 1}`, i));
    const g = buildGraph(events);
    expect(g.criticalPath!.eventIds).toHaveLength(20000);
    expect(g.anomalies).toEqual([]);
  });
});
