import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { buildGraph, type TraceEvent } from '../../src/trace/graph.js';
import { dotString, mermaidText, toDot, toMermaid } from '../../src/trace/render-graph.js';
import { TRADING_SAGA, sagaViews } from '../../src/trace/saga.js';
import { isoToNs } from '../../src/core/time.js';
import { plainTrace, traceJson, traceTree, type TraceReport } from '../../src/trace/view.js';
import { TraceTreeView } from '../../src/trace/tree-view.js';
import { ROOT } from '../helpers.js';

const GOLDEN = path.join(ROOT, 'test', 'golden');

/**
 * A crafted routing-failure saga with a branch, an orphan and an id that needs escaping:
 *   p  OrderPlaced
 *   r  RiskCheckPassed        (cause p)
 *   f  RoutingFailed          (cause r)
 *   x  RiskReservationReleased(cause f)
 *   j  OrderRejected          (cause f)     ← f has two effects: a branch
 *   q  "Audit" event          (cause ghost, not in the log), id with a quote
 */
function events(): TraceEvent[] {
  const rows: [string, string, string | null, string, string][] = [
    ['p', 'OrderPlaced', null, '09:30:00.000000000', 'oms'],
    ['r', 'RiskCheckPassed', 'p', '09:30:00.001500000', 'risk'],
    ['f', 'RoutingFailed', 'r', '09:30:00.020000000', 'router'],
    ['x', 'RiskReservationReleased', 'f', '09:30:00.021000000', 'risk'],
    ['j', 'OrderRejected', 'f', '09:30:00.025000000', 'oms'],
    ['q"1', 'AuditNoted', 'ghost', '09:30:00.030000000', 'audit <svc>'],
  ];
  return rows.map(([id, type, cause, time, source], i) => {
    const ts = `2025-08-26T${time}Z`;
    return {
      seq: i + 1, id, type, stream: 'order-ord-9', rev: i + 1, ts, tsNs: isoToNs(ts), source,
      correlationId: 'corr-9', causationId: cause, dupKind: null, dupOf: null, data: { orderId: 'ord-9' },
    };
  });
}

function report(): TraceReport {
  const graph = buildGraph(events());
  const sagas = sagaViews(graph.nodes, TRADING_SAGA, { logEndNs: isoToNs('2025-08-26T09:31:00Z'), stuckAfterNs: 60_000_000_000n }, ['ord-9']);
  return {
    resolution: { input: 'ord-9', kind: 'key', keyPath: 'data.orderId', alsoMatches: [] },
    correlations: ['corr-9'],
    graph,
    sagas,
    truncated: false,
    saga: TRADING_SAGA,
    // The audit's finding on the orphan, as runScopedAudit reports it.
    audit: {
      findings: [{ rule: 'causation-orphan', severity: 'warning', eventId: 'q"1', stream: 'order-ord-9', message: 'AuditNoted names causation ghost, which is no event in the log' }],
      ran: ['causation-orphan'],
      skipped: [],
      packs: ['core', 'trading'],
      partial: false,
      scopeEvents: 6,
      ms: 3,
      params: {},
    },
    skewToleranceNs: 1_000_000n,
  };
}

/**
 * Conflicts: p delivered twice with other content (seq 1 and 4); r and r2 both at rev 2 of the
 * stream; rev 3 is f's, and z9 (not in the trace) claims it too.
 */
function conflictReport(): TraceReport {
  const ev = (seq: number, id: string, type: string, cause: string | null, rev: number, time: string, dup: TraceEvent['dupKind'] = null): TraceEvent => {
    const ts = `2025-08-26T${time}Z`;
    return {
      seq, id, type, stream: 'order-ord-9', rev, ts, tsNs: isoToNs(ts), source: 'oms',
      correlationId: 'corr-9', causationId: cause, dupKind: dup, dupOf: dup ? 1 : null, data: { orderId: 'ord-9' },
    };
  };
  const evs = [
    ev(1, 'p', 'OrderPlaced', null, 1, '09:30:00.000000000'),
    ev(2, 'r', 'RiskCheckPassed', 'p', 2, '09:30:00.001000000'),
    ev(3, 'r2', 'RiskCheckPassed', 'p', 2, '09:30:00.002000000'),
    ev(4, 'p', 'OrderPlaced', null, 1, '09:30:00.000000000', 'conflict'),
    ev(5, 'f', 'OrderRouted', 'r', 3, '09:30:00.004000000'),
  ];
  const revisions = [...evs.filter((e) => e.dupKind === null), { ...evs[0]!, seq: 9, id: 'z9', rev: 3 }].map((e) => ({ stream: e.stream!, rev: e.rev!, id: e.id, seq: e.seq }));
  const graph = buildGraph(evs, { streamRevisions: revisions });
  return { ...report(), graph, sagas: [], audit: null };
}

/** The label lines the graph's anomaly and the audit's finding add to their event's node. */
const ANOMALY_LINE = '⚠ orphan: cause ghost is not in the log';
const FINDING_LINE = '✖ causation-orphan (warning): AuditNoted names causation ghost, which is no event in the log';

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, actual);
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Parsers for the subset of DOT and Mermaid the renderers write (independent of them).

interface Parsed {
  nodes: Map<string, Record<string, string>>;
  edges: { from: string; to: string; attrs: Record<string, string> }[];
}

function parseDot(text: string): Parsed {
  const tokens: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|(->|[[\]{};=,])|([A-Za-z0-9_.#]+))/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length && (m = re.exec(text))) {
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push('"' + m[1].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    else tokens.push(m[2] ?? m[3]!);
  }
  expect(text.slice(pos).trim()).toBe('');
  const value = (t: string) => (t.startsWith('"') ? t.slice(1) : t);
  let i = 0;
  const next = () => tokens[i++]!;
  expect([next(), next(), next()]).toEqual(['digraph', 'trace', '{']);
  const out: Parsed = { nodes: new Map(), edges: [] };
  const attrs = (): Record<string, string> => {
    const a: Record<string, string> = {};
    if (tokens[i] !== '[') return a;
    i++;
    while (tokens[i] !== ']') {
      const k = value(next());
      expect(next()).toBe('=');
      a[k] = value(next());
      if (tokens[i] === ',') i++;
    }
    i++;
    return a;
  };
  while (tokens[i] !== '}') {
    const first = next();
    if (first === 'rankdir') (next(), next());
    else if (first === 'node' || first === 'edge') attrs();
    else if (tokens[i] === '->') {
      i++;
      const to = value(next());
      out.edges.push({ from: value(first), to, attrs: attrs() });
    } else out.nodes.set(value(first), attrs());
    expect(next()).toBe(';');
  }
  return out;
}

function parseMermaid(text: string): Parsed & { classes: Map<string, string[]> } {
  const decode = (s: string) => s.replaceAll('<br/>', '\n').replaceAll('#quot;', '"').replaceAll('#lt;', '<').replaceAll('#gt;', '>').replaceAll('#amp;', '&');
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart TD');
  const out = { nodes: new Map<string, Record<string, string>>(), edges: [] as Parsed['edges'], classes: new Map<string, string[]>() };
  for (const line of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^ {2}([a-z]\d+)\["([^"]*)"\]$/.exec(line))) out.nodes.set(m[1]!, { label: decode(m[2]!) });
    else if ((m = /^ {2}([a-z]\d+) (-->|==>|-\.->)(?:\|"([^"]*)"\|)? ([a-z]\d+)$/.exec(line))) {
      out.edges.push({ from: m[1]!, to: m[4]!, attrs: { arrow: m[2]!, label: decode(m[3] ?? '') } });
    } else if ((m = /^ {2}class ([a-z0-9,]+) (\w+)$/.exec(line))) out.classes.set(m[2]!, m[1]!.split(','));
    else expect(line).toMatch(/^ {2}classDef \w+ /);
  }
  return out;
}

describe('DOT output', () => {
  it('matches the golden file', () => golden('trace.dot', toDot(report())));

  it('parses back to the same graph', () => {
    const r = report();
    const parsed = parseDot(toDot(r));
    const real = r.graph.nodes.map((n) => n.id);
    expect([...parsed.nodes.keys()].sort()).toEqual([...real, 'ghost'].sort());
    for (const n of r.graph.nodes) {
      expect(parsed.nodes.get(n.id)!.label!.split('\n')).toEqual([n.type, `${n.source} · ${n.ts!.slice(11, -1)}`, n.id, ...(n.id === 'q"1' ? [ANOMALY_LINE, FINDING_LINE] : [])]);
    }
    expect(parsed.nodes.get('ghost')!.style).toBe('dashed');
    const edges = parsed.edges.map((e) => `${e.from}>${e.to}`);
    expect(edges).toEqual([...r.graph.edges.map((e) => `${e.from}>${e.to}`), 'ghost>q"1']);
    // Latency labels: 1.5 ms from p to r, 18.5 ms from r to f.
    expect(parsed.edges.slice(0, 2).map((e) => e.attrs.label)).toEqual(['+1.5 ms', '+18.5 ms']);
    // Styles: the failure filled, the orphan outlined, the critical path (p → r → f → j) bold.
    expect(parsed.nodes.get('f')!.fillcolor).toBe('#fde2e1');
    expect(parsed.nodes.get('x')!.fillcolor).toBe('#e3f1fd');
    expect(parsed.nodes.get('q"1')!.color).toBe('#dd3333');
    // The anomaly's whole message is the node's tooltip.
    expect(parsed.nodes.get('q"1')!.tooltip).toContain('AuditNoted names cause ghost, which is no event in the log');
    expect(parsed.edges.filter((e) => e.attrs.penwidth === '2').map((e) => `${e.from}>${e.to}`)).toEqual(['p>r', 'r>f', 'f>j']);
  });

  it('escapes quotes, backslashes and line breaks', () => {
    expect(dotString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
  });

  it('draws a conflict\'s other version as a node of its own: the copy with other content, the other claimant of a revision', () => {
    const parsed = parseDot(toDot(conflictReport()));
    // p's copy at seq 4 (other content), beside p, joined by a dashed edge.
    const copy = parsed.nodes.get('p (seq 4)')!;
    expect(copy.label!.split('\n')).toEqual(['OrderPlaced', 'oms · 09:30:00.000000000', 'p', '⚠ conflicting copy (seq 4, first seq 1)']);
    expect(copy.color).toBe('#dd3333');
    expect(parsed.edges.find((e) => e.from === 'p' && e.to === 'p (seq 4)')!.attrs).toMatchObject({ style: 'dashed', dir: 'none' });
    // p's own label names its anomaly.
    expect(parsed.nodes.get('p')!.label).toContain('⚠ conflicting delivery');
    // r and r2 both claim rev 2 of the stream: both drawn, joined by "both rev 2".
    expect(parsed.nodes.has('r2')).toBe(true);
    expect(parsed.edges.find((e) => e.from === 'r' && e.to === 'r2')!.attrs.label).toBe('both rev 2');
    // A claimant outside the trace (rev 3 also taken by z9, another order's event) is named.
    expect(parsed.nodes.get('z9')!.label).toBe('other event at order-ord-9 rev 3\nz9 (seq 9)');
    expect(parsed.edges.find((e) => e.from === 'f' && e.to === 'z9')!.attrs.label).toBe('both rev 3');
  });

  it.skipIf(spawnSync('dot', ['-V']).status !== 0 && process.env.CI !== 'true')('is accepted by Graphviz, with every colour known to it', () => {
    for (const r of [report(), conflictReport()]) {
      const run = spawnSync('dot', ['-Tsvg'], { input: toDot(r), encoding: 'utf8' });
      expect(run.status, String(run.error ?? run.stderr)).toBe(0);
      expect(run.stdout).toContain('<svg');
      // An unknown colour is only a warning, and the node is drawn black.
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('stroke="#dd3333"');
      // Every node is drawn (Graphviz writes one <g class="node"> each), the copies too.
      expect(run.stdout.match(/<g id="node\d+" class="node">/g)!.length).toBe(parseDot(toDot(r)).nodes.size);
    }
    // The findings are in the picture, and the anomaly's message is the node's tooltip.
    const svg = spawnSync('dot', ['-Tsvg'], { input: toDot(conflictReport()), encoding: 'utf8' }).stdout;
    expect(svg).toContain('conflicting copy (seq 4, first seq 1)');
    expect(svg).toContain('both rev 2');
    expect(svg).toMatch(/xlink:title="[^"]*delivered again \(seq 4, first seq 1\) with different content/);
  });
});

describe('Mermaid output', () => {
  it('matches the golden file', () => golden('trace.mmd', toMermaid(report())));

  it('parses back to the same graph', () => {
    const r = report();
    const parsed = parseMermaid(toMermaid(r));
    // Node keys are positional; map them back through the labels' third line (the event id; a
    // missing cause's label is "missing", then its id).
    const idOf = new Map([...parsed.nodes].map(([k, v]) => [k, v.label!.split('\n')[k.startsWith('m') ? 1 : 2]!]));
    expect([...idOf.values()].sort()).toEqual([...r.graph.nodes.map((n) => n.id), 'ghost'].sort());
    const edges = parsed.edges.map((e) => `${idOf.get(e.from)}>${idOf.get(e.to)}`);
    expect(edges).toEqual([...r.graph.edges.map((e) => `${e.from}>${e.to}`), 'ghost>q"1']);
    expect(parsed.edges.filter((e) => e.attrs.arrow === '==>').map((e) => `${idOf.get(e.from)}>${idOf.get(e.to)}`)).toEqual(['p>r', 'r>f', 'f>j']);
    const q = [...idOf].find(([, id]) => id === 'q"1')![0];
    expect(parsed.nodes.get(q)!.label).toBe(`AuditNoted\naudit <svc> · 09:30:00.030000000\nq"1\n${ANOMALY_LINE}\n${FINDING_LINE}`);
    expect(parsed.classes.get('anomaly')).toEqual([q]);
  });

  it('escapes what would end a label', () => {
    expect(mermaidText('a "b" <c>\nd')).toBe('a #quot;b#quot; #lt;c#gt;<br/>d');
  });
});

describe('tree view', () => {
  it('indents by causation where it branches and marks what happened', () => {
    const tree = traceTree(report());
    expect(tree.rows.map((r) => r.prefix + r.type)).toEqual([
      'OrderPlaced',
      'RiskCheckPassed',
      'RoutingFailed',
      '├─ RiskReservationReleased',
      '└─ OrderRejected',
      'AuditNoted',
    ]);
    expect(tree.rows.map((r) => r.delta)).toEqual(['', '+1.5 ms', '+18.5 ms', '+1 ms', '+5 ms', '']);
    const marks = Object.fromEntries(tree.rows.map((r) => [r.id, r.marks.map((m) => m.kind)]));
    expect(marks).toEqual({
      p: [],
      r: [],
      f: ['failure', 'slowest'],
      x: ['compensation'],
      j: ['failure', 'terminal'],
      'q"1': ['anomaly', 'finding'],
    });
    expect(tree.header).toBe('ord-9: business key data.orderId · correlation corr-9 · stream order-ord-9 · 6 events, 4 hops · 2025-08-26 UTC');
    expect(tree.sagaLines).toEqual(['saga ord-9: rejected · routing failed (RoutingFailed) · compensation done · 25 ms from OrderPlaced to OrderRejected']);
  });

  it('plain text matches the golden file', () => golden('trace.txt', plainTrace(traceTree(report()))));

  it('ink draws the same rows, anomalies included', () => {
    const tree = traceTree(report());
    const { lastFrame, unmount } = render(<TraceTreeView tree={tree} />);
    // ANSI codes stripped; the test terminal is 100 columns wide, so long lines wrap at spaces.
    const frame = (lastFrame() ?? '').replace(/\u001b\[[0-9;]*m/g, '');
    const text = frame.replace(/\s+/g, ' ');
    unmount();
    for (const row of tree.rows) expect(frame).toContain(` ${row.id} `);
    expect(frame).toContain('├─ RiskReservationReleased');
    expect(frame).toContain('└─ OrderRejected');
    expect(text).toContain('⚠ orphan: cause ghost is not in the log');
    expect(text).toContain('✖ causation-orphan (warning)');
    expect(text).toContain('audit findings (1; 1 rules ran):');
    expect(text).toContain('saga ord-9: rejected · routing failed');
  });

  it('JSON has the contract fields (docs/architecture.md §3)', () => {
    const json = traceJson(report()) as { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[]; anomalies: Record<string, unknown>[] };
    for (const n of json.nodes) expect(Object.keys(n)).toEqual(expect.arrayContaining(['id', 'type', 'ts', 'stream']));
    expect(json.edges[0]).toEqual({ from: 'p', to: 'r', latencyNs: 1_500_000 });
    expect(json.anomalies).toEqual([{ kind: 'orphan-causation', eventId: 'q"1', seq: 6, causationId: 'ghost', message: 'AuditNoted names cause ghost, which is no event in the log' }]);
    expect((json as unknown as { findings: unknown }).findings).toEqual([
      { rule: 'causation-orphan', severity: 'warning', eventId: 'q"1', stream: 'order-ord-9', message: 'AuditNoted names causation ghost, which is no event in the log' },
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
