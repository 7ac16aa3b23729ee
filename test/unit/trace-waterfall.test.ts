/**
 * The waterfall (src/trace/waterfall.ts): the time axis with its breaks, and the SVG read back
 * with a strict XML reader: one row per event in time order, the critical path marked, the
 * findings written, hostile ids escaped.
 */
import { describe, expect, it } from 'vitest';
import { isoToNs } from '../../src/core/time.js';
import { buildGraph, type TraceEvent } from '../../src/trace/graph.js';
import type { TraceReport } from '../../src/trace/view.js';
import { middleEllipsis, timeSegments, traceSvg, traceWaterfall, waterfallSvg } from '../../src/trace/waterfall.js';
import { all, parseXml, type El } from '../xml.js';

/** Events: [id, type, cause, ISO time without Z]; seq in the order given. */
function report(rows: [string, string, string | null, string][], input = 'ord-9'): TraceReport {
  const events: TraceEvent[] = rows.map(([id, type, cause, t], i) => ({
    seq: i + 1, id, type, stream: 'order-ord-9', rev: i + 1, ts: `${t}Z`, tsNs: isoToNs(`${t}Z`), source: 'svc',
    correlationId: 'corr-9', causationId: cause, dupKind: null, dupOf: null, data: { orderId: 'ord-9' },
  }));
  return {
    resolution: { input, kind: 'key', keyPath: 'data.orderId', alsoMatches: [] },
    correlations: ['corr-9'], graph: buildGraph(events), sagas: [], truncated: false, saga: null, audit: null, skewToleranceNs: 0n,
  };
}

const D = '2025-08-26T';
/** A saga with hops of nanoseconds, a branch, a clock skew, and pauses of hours; seq order is not time order. */
const SAGA: [string, string, string | null, string][] = [
  ['p', 'OrderPlaced', null, `${D}09:30:00.000000000`],
  ['r', 'RiskCheckPassed', 'p', `${D}09:30:00.000000040`],
  ['o', 'OrderRouted', 'r', `${D}09:30:00.000000900`],
  ['s', 'SettlementCompleted', 'f', '2025-08-27T08:00:00.000000000'],
  ['a', 'OrderAcknowledged', 'o', `${D}09:30:00.000350000`],
  ['k', 'VenueNote', 'a', `${D}09:30:00.000300000`],
  ['f', 'OrderFilled', 'a', `${D}11:42:10.000000000`],
];

/** The rows of a waterfall SVG: its <g class="event"> elements. */
const rowsOf = (svg: El) => all(svg, 'g').filter((g) => /^event\b/.test(g.attrs.class ?? ''));
const textOf = (el: El): string => el.text + el.children.map(textOf).join('');

describe('the time axis', () => {
  it('keeps one linear stretch when pauses grow steadily', () => {
    expect(timeSegments([0, 1_192_000, 2_363_000, 26_000_000, 100_000_000, 2_087_000_000, 3_666_000_000])).toHaveLength(1);
    expect(timeSegments([0, 1_000_000, 21_000_000, 421_000_000, 2_421_000_000])).toHaveLength(1);
    expect(timeSegments([5, 5, 5])).toEqual([{ start: 5, end: 5, instants: 1 }]);
    expect(timeSegments([])).toEqual([]);
  });

  it('cuts out pauses that would squeeze the rest into a sliver, both of two similar ones', () => {
    const h = 3_600_000_000_000;
    const segs = timeSegments([0, 40, 900, 350_000, 2 * h, 22 * h, 22 * h + 20_000_000]);
    expect(segs).toEqual([
      { start: 0, end: 350_000, instants: 4 },
      { start: 2 * h, end: 2 * h, instants: 1 },
      { start: 22 * h, end: 22 * h + 20_000_000, instants: 2 },
    ]);
    // Two instants: the one pause is never cut, however long.
    expect(timeSegments([0, 5 * h])).toHaveLength(1);
  });
});

describe('the waterfall SVG', () => {
  it('is well-formed XML with one row per event, in time order', () => {
    const svg = parseXml(traceSvg(report(SAGA)));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const rows = rowsOf(svg);
    expect(rows.map((g) => g.attrs['data-id'])).toEqual(['p', 'r', 'o', 'k', 'a', 'f', 's']);
    const ns = rows.map((g) => Number(g.attrs['data-ns']));
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
    // Every event has its bar (a root's is a tick at its time).
    for (const g of rows) expect(all(g, 'rect').filter((r) => /\bbar\b/.test(r.attrs.class ?? ''))).toHaveLength(1);
  });

  it('marks the critical path, and draws bars from the cause to the event', () => {
    const r = report(SAGA);
    const svg = parseXml(traceSvg(r));
    const critical = rowsOf(svg).filter((g) => g.attrs['data-critical'] === 'true').map((g) => g.attrs['data-id']);
    expect(critical.sort()).toEqual([...r.graph.criticalPath!.eventIds].sort());
    expect(critical.sort()).toEqual(['a', 'f', 'o', 'p', 'r', 's']);
    expect(traceSvg(r)).toContain('critical path: OrderPlaced → SettlementCompleted, 5 hops, 22h 30m');
    const bar = (id: string) => all(rowsOf(svg).find((g) => g.attrs['data-id'] === id)!, 'rect').find((x) => /\bbar\b/.test(x.attrs.class ?? ''))!;
    expect(bar('f').attrs.fill).toBe('#2f5bd3');
    expect(bar('k').attrs.class).toContain('skew');
    // f's bar starts where a's event is drawn and ends at f's own dot.
    const dot = (id: string) => Number(all(rowsOf(svg).find((g) => g.attrs['data-id'] === id)!, 'circle')[0]!.attrs.cx);
    expect(Number(bar('f').attrs.x)).toBeCloseTo(dot('a'), 1);
    expect(Number(bar('f').attrs.x) + Number(bar('f').attrs.width)).toBeCloseTo(dot('f'), 1);
    // Nanosecond hops are told apart on the same axis as the hours: the pauses are cut out.
    expect(dot('o') - dot('p')).toBeGreaterThan(0.5);
    expect(all(svg, 'rect').filter((x) => x.attrs.class === 'break')).toHaveLength(2);
    expect(textOf(svg)).toContain('≈ 2h 12m');
  });

  it('writes the findings beside the bar and in its tooltip', () => {
    const svg = parseXml(traceSvg(report(SAGA)));
    const k = rowsOf(svg).find((g) => g.attrs['data-id'] === 'k')!;
    expect(textOf(k)).toContain('⚠ clock skew: 50 µs before its cause');
    expect(all(k, 'title')[0]!.text).toContain('cause OrderAcknowledged a, -50 µs after it');
    expect(k.attrs.class).toContain('anomaly');
  });

  it('escapes what an id holds, control characters included', () => {
    const hostile = 'x<y>&"\'\u0001z';
    const svg = traceSvg(report([['p', 'OrderPlaced', null, `${D}09:30:00`], [hostile, '<script>', 'p', `${D}09:30:01`]], '"><svg onload=x>'));
    const doc = parseXml(svg);
    expect(rowsOf(doc).map((g) => g.attrs['data-id'])).toEqual(['p', 'x<y>&"\'\ufffdz']);
    expect(svg).not.toContain('<script>');
  });

  it('for a page: no xmlns, no prolog, scales to the width', () => {
    const svg = waterfallSvg(traceWaterfall(report(SAGA)));
    expect(svg.startsWith('<svg class="waterfall"')).toBe(true);
    expect(svg).not.toMatch(/http:|<\?xml/);
    expect(parseXml(svg).attrs.width).toBe('100%');
  });

  it('draws at most maxRows rows and says how many it left out', () => {
    const rows = Array.from({ length: 30 }, (_, i): [string, string, string | null, string] => [`e${i}`, 'Tick', i ? `e${i - 1}` : null, `${D}09:30:${String(i).padStart(2, '0')}`]);
    const svg = waterfallSvg(traceWaterfall(report(rows), 10), { standalone: true });
    expect(rowsOf(parseXml(svg))).toHaveLength(10);
    expect(svg).toContain('the first 10 of 30 events by time');
  });

  it('shortens names in the middle, keeping the end that tells them apart', () => {
    expect(middleEllipsis('order-ord-00000042', 12)).toBe('order-…00042');
    expect(middleEllipsis('short', 12)).toBe('short');
  });
});
