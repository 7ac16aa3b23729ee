/**
 * What `evtrail trace` shows (pure): the report (graph, sagas, what the id was), its JSON
 * document (docs/architecture.md §3), and the tree rows that the plain-text and ink renderers draw —
 * indented by causation where it branches, with time, Δt per hop, the producing service, and
 * failures, compensations and anomalies marked on the event they concern.
 */
import { pushTo, type CausalityGraph, type TraceAnomaly, type TraceNode } from './graph.js';
import type { TraceAudit } from './findings.js';
import type { Resolution } from './resolve.js';
import { kindLabel } from './resolve.js';
import type { SagaDefinition, SagaView } from './saga.js';
import { formatDuration } from '../core/time.js';
import { formatLocalNs } from '../core/time-zone.js';

export interface TraceReport {
  resolution: Pick<Resolution, 'input' | 'kind' | 'keyPath' | 'alsoMatches'>;
  correlations: string[];
  graph: CausalityGraph;
  sagas: SagaView[];
  /** The closure stopped at --max-events. */
  truncated: boolean;
  /** Types marked as failures / compensations in the tree. */
  saga: SagaDefinition | null;
  /** The store's exchange time zone (LOBSTER): the tree shows times on its clock. */
  timeZone?: string;
  /** The audit's findings about the trace's events (null: --no-audit). */
  audit: TraceAudit | null;
  /** The clock-skew tolerance the graph used (the audit's causation-time-inversion.tolerance unless given). */
  skewToleranceNs: bigint;
  /** Every event is a market-data message (LOBSTER): no causation, messages linked by order id. */
  marketData?: boolean;
}

// ---------------------------------------------------------------------------------------------
// JSON

const n = (x: bigint | null | undefined): number | null => (x === null || x === undefined ? null : Number(x));

/**
 * The --json document: { query, nodes, edges, anomalies, findings, audit, roots, criticalPath,
 * sagas }. `anomalies` are what the graph and the saga view show (trace's own); `findings` are
 * the audit rules' findings about the trace's events, as `evtrail audit` reports them.
 */
export function traceJson(report: TraceReport): Record<string, unknown> {
  const { graph } = report;
  return {
    query: {
      input: report.resolution.input,
      as: report.resolution.kind,
      ...(report.resolution.keyPath ? { keyPath: report.resolution.keyPath } : {}),
      alsoMatches: report.resolution.alsoMatches,
      correlations: report.correlations,
      truncated: report.truncated,
    },
    nodes: graph.nodes.map((node) => ({
      id: node.id,
      type: node.type,
      ts: node.ts,
      stream: node.stream,
      rev: node.rev,
      source: node.source,
      seq: node.seq,
      correlationId: node.correlationId,
      causationId: node.causationId,
      deliveries: node.deliveries,
      conflict: node.conflict,
    })),
    edges: graph.edges.map((e) => ({ from: e.from, to: e.to, latencyNs: n(e.latencyNs) })),
    anomalies: [
      ...graph.anomalies.map(anomalyJson),
      ...report.sagas.flatMap((s) => s.problems.map((p) => ({ kind: p.kind, eventId: p.eventId, message: p.message, saga: s.key }))),
    ],
    findings: report.audit ? report.audit.findings : null,
    audit: report.audit
      ? {
          rulesRan: report.audit.ran,
          skipped: report.audit.skipped,
          packs: report.audit.packs,
          partial: report.audit.partial,
          scopeEvents: report.audit.scopeEvents,
        }
      : null,
    skewToleranceNs: Number(report.skewToleranceNs),
    marketData: report.marketData === true,
    roots: graph.roots,
    criticalPath: graph.criticalPath
      ? {
          eventIds: graph.criticalPath.eventIds,
          totalNs: n(graph.criticalPath.totalNs),
          slowestHop: graph.criticalPath.slowestHop
            ? { from: graph.criticalPath.slowestHop.from, to: graph.criticalPath.slowestHop.to, latencyNs: n(graph.criticalPath.slowestHop.latencyNs) }
            : null,
        }
      : null,
    sagas: report.sagas.map((s) => ({
      saga: s.saga,
      key: s.key,
      state: s.state,
      summary: s.summary,
      terminalEventId: s.terminalEventId ?? null,
      lastEventId: s.lastEventId,
      since: s.since,
      idleNs: n(s.idleNs),
      steps: s.steps.map((st) => ({ name: st.name, status: st.status, eventId: st.eventId ?? null, count: st.count })),
      compensation: s.compensation,
      problems: s.problems,
    })),
  };
}

function anomalyJson(a: TraceAnomaly): Record<string, unknown> {
  const { skewNs, ...rest } = a;
  return { ...rest, ...(skewNs !== undefined ? { skewNs: Number(skewNs) } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The tree

export type MarkKind = 'anomaly' | 'finding' | 'failure' | 'compensation' | 'terminal' | 'slowest';

export interface Mark {
  kind: MarkKind;
  text: string;
}

export interface TreeRow {
  id: string;
  /** Tree drawing before the type: '├─ ', '│  └─ ', … */
  prefix: string;
  type: string;
  time: string;
  /** Δt from the cause ('' for a tree's first event). */
  delta: string;
  /** The hop's latency in ns (for colouring). */
  deltaNs: bigint | null;
  source: string;
  stream: string;
  rev: string;
  critical: boolean;
  marks: Mark[];
}

export interface TraceTree {
  /** One line: what the id is and what the trace holds. */
  header: string;
  /** One line per saga. */
  sagaLines: string[];
  /** The step line under each saga: placed ✓ · risk check ✓ · … */
  stepLines: string[];
  rows: TreeRow[];
  /** Whether rows differ in stream (else the header names it and the column is dropped). */
  showStream: boolean;
  /** Lines after the tree: the critical path, the anomalies. */
  footer: string[];
}

const STEP_SIGN: Record<string, string> = { done: '✓', partial: '~', failed: '✗', missing: '! missing', pending: '…', 'not reached': '–' };

export function traceTree(report: TraceReport): TraceTree {
  const { graph } = report;
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  // On a store in market time the times are the exchange's wall clock (with its offset).
  const zone = report.timeZone;
  const shown = (node: TraceNode) => (node.tsNs === null || !zone ? node.ts : formatLocalNs(node.tsNs, zone));
  const days = new Set(graph.nodes.map((node) => shown(node)?.slice(0, 10)).filter(Boolean));
  const oneDay = days.size <= 1;
  const timeOf = (node: TraceNode) => {
    const t = shown(node);
    return t === null ? '(no time)' : oneDay ? t.slice(11, zone ? -6 : -1) : t;
  };
  const streams = new Set(graph.nodes.map((node) => node.stream ?? ''));
  const critical = new Set(graph.criticalPath?.eventIds ?? []);
  const slowest = graph.criticalPath?.slowestHop ?? null;

  // Marks: anomalies on their event, saga problems, failure / compensation / terminal types.
  const marks = new Map<string, Mark[]>();
  const mark = (id: string, m: Mark) => pushTo(marks, id, m);
  for (const a of graph.anomalies) {
    const node = byId.get(a.eventId);
    if (!node) continue;
    mark(a.eventId, { kind: 'anomaly', text: shortAnomaly(a, node) });
  }
  for (const s of report.sagas) for (const p of s.problems) mark(p.eventId, { kind: 'anomaly', text: p.kind === 'missing-step' ? `missing step: ${p.message}` : p.message });
  for (const f of report.audit?.findings ?? []) if (byId.has(f.eventId)) mark(f.eventId, { kind: 'finding', text: `${f.rule} (${f.severity})` });
  const def = report.saga;
  for (const node of graph.nodes) {
    if (def?.failureTypes.includes(node.type)) mark(node.id, { kind: 'failure', text: 'failure' });
    if (def?.compensationTypes.includes(node.type)) mark(node.id, { kind: 'compensation', text: 'compensation' });
    if (def && node.type in def.terminal) mark(node.id, { kind: 'terminal', text: def.terminal[node.type]! });
  }
  if (slowest?.latencyNs) mark(slowest.to, { kind: 'slowest', text: 'slowest hop' });

  // Depth-first from each entry. A lone effect stays in its cause's column (a saga is a chain:
  // indenting every hop would march off the screen); several effects branch with ├─ / └─.
  const rows: TreeRow[] = [];
  const seen = new Set<string>();
  const visit = (id: string, own: string, cont: string, fromId: string | null) => {
    const node = byId.get(id)!;
    if (seen.has(id)) {
      rows.push({ ...rowOf(node, own, fromId), type: `${node.type} (again: see above)`, marks: [] });
      return;
    }
    seen.add(id);
    rows.push(rowOf(node, own, fromId));
    const kids = graph.children.get(id) ?? [];
    if (kids.length === 1) {
      visit(kids[0]!, cont, cont, id);
      return;
    }
    kids.forEach((kid, i) => {
      const lastKid = i === kids.length - 1;
      visit(kid, cont + (lastKid ? '└─ ' : '├─ '), cont + (lastKid ? '   ' : '│  '), id);
    });
  };
  const rowOf = (node: TraceNode, prefix: string, fromId: string | null): TreeRow => {
    const cause = fromId ? byId.get(fromId) : undefined;
    const deltaNs = cause && cause.tsNs !== null && node.tsNs !== null ? node.tsNs - cause.tsNs : null;
    return {
      id: node.id,
      prefix,
      type: node.type,
      time: timeOf(node),
      delta: deltaNs === null ? '' : `${deltaNs >= 0n ? '+' : ''}${formatDuration(deltaNs)}`,
      deltaNs,
      source: node.source ?? '',
      stream: node.stream ?? '',
      rev: node.rev === null ? '' : String(node.rev),
      critical: critical.has(node.id),
      marks: marks.get(node.id) ?? [],
    };
  };
  for (const entry of graph.entries) visit(entry, '', '', null);

  const r = report.resolution;
  const counts = `${graph.nodes.length} event${graph.nodes.length === 1 ? '' : 's'}, ${graph.edges.length} hop${graph.edges.length === 1 ? '' : 's'}`;
  const parts = [`${r.input}: ${kindLabel(r.kind, r.keyPath)}${r.alsoMatches.length ? ` (also ${r.alsoMatches.join(', ')})` : ''}`];
  if (report.correlations.length) parts.push(`correlation ${report.correlations.join(', ')}`);
  if (streams.size === 1 && [...streams][0]) parts.push(`stream ${[...streams][0]}`);
  parts.push(counts);
  if (oneDay && days.size === 1) parts.push(`${[...days][0]} ${zone ?? 'UTC'}`);
  if (report.truncated) parts.push('TRUNCATED at --max-events');

  const footer: string[] = [];
  const cp = graph.criticalPath;
  if (cp && cp.hops.length > 0) {
    const first = byId.get(cp.eventIds[0]!)!;
    const last = byId.get(cp.eventIds[cp.eventIds.length - 1]!)!;
    let line = `critical path: ${first.type} → ${last.type}, ${cp.hops.length} hop${cp.hops.length === 1 ? '' : 's'}, ${formatDuration(cp.totalNs)}`;
    if (slowest && slowest.latencyNs !== null) line += `; slowest hop ${byId.get(slowest.from)!.type} → ${byId.get(slowest.to)!.type} (${formatDuration(slowest.latencyNs)})`;
    footer.push(line);
  }
  const anomalies = [
    ...graph.anomalies.map((a) => ({ kind: a.kind, eventId: a.eventId, message: a.message })),
    ...report.sagas.flatMap((s) => s.problems.map((p) => ({ kind: p.kind, eventId: p.eventId, message: p.message }))),
  ];
  if (report.marketData) footer.push('market data: the messages carry no causation; an order\'s messages are linked by its order id');
  footer.push(anomalies.length === 0 ? 'no anomalies in the graph' : `anomalies (${anomalies.length}):`);
  for (const a of anomalies) footer.push(`  ${a.kind.padEnd(20)} ${a.eventId}  ${a.message}`);
  footer.push(...findingLines(report));

  return {
    header: parts.join(' · '),
    sagaLines: report.sagas.map((s) => `saga ${s.key}: ${s.summary}`),
    stepLines: report.sagas.map((s) => s.steps.map((st) => `${st.name} ${STEP_SIGN[st.status]}${st.count > 1 ? ` (${st.count})` : ''}`).join(' · ')),
    rows,
    showStream: streams.size > 1,
    footer,
  };
}

/** The footer's audit part: every rule finding about the trace's events, or why there is none. */
function findingLines(report: TraceReport): string[] {
  const audit = report.audit;
  if (!audit) return ['audit findings: not checked (--no-audit)'];
  const scope = audit.partial ? '; its streams were too long to read whole, so stream rules saw only these events' : '';
  if (audit.findings.length === 0) return [`audit findings: none on these events (${audit.ran.length} rules ran${scope})`];
  const out = [`audit findings (${audit.findings.length}; ${audit.ran.length} rules ran${scope}):`];
  for (const f of audit.findings) out.push(`  ${f.severity.padEnd(7)} ${f.rule.padEnd(24)} ${f.eventId}  ${f.message}`);
  return out;
}

/** An anomaly in a few words, for a row or a node of the picture that names its event. */
export function shortAnomaly(a: TraceAnomaly, node: TraceNode): string {
  switch (a.kind) {
    case 'orphan-causation':
      return `orphan: cause ${a.causationId} is not in the log`;
    case 'clock-skew':
      return `clock skew: ${formatDuration(a.skewNs ?? 0n)} before its cause`;
    case 'cycle':
      return 'causation cycle';
    case 'several-roots':
      return 'another root';
    case 'redelivery':
      return `redelivered (${node.deliveries} deliveries)`;
    case 'conflict':
      return 'conflicting delivery';
    case 'revision-gap':
      return a.message.replace(/^[^:]*: /, '');
    case 'not-submitted-in-file':
      return 'never submitted in the file';
    default:
      return a.message;
  }
}

/** The columns of the tree as text cells (plain text and ink share them). */
export function treeColumns(tree: TraceTree): { header: string[]; cells: string[][] } {
  const header = ['time', 'Δt', 'event', 'source', 'id', ...(tree.showStream ? ['stream'] : []), 'rev', 'notes'];
  const cells = tree.rows.map((r) => [
    r.time,
    r.delta,
    r.prefix + r.type,
    r.source,
    r.id,
    ...(tree.showStream ? [r.stream] : []),
    r.rev,
    r.marks.map((m) => (m.kind === 'anomaly' ? `⚠ ${m.text}` : m.kind === 'finding' ? `✖ ${m.text}` : m.kind === 'failure' ? '✗ failure' : m.kind === 'compensation' ? '↺ compensation' : m.kind === 'terminal' ? `■ ${m.text}` : `◆ ${m.text}`)).join('; '),
  ]);
  return { header, cells };
}

export function plainTrace(tree: TraceTree): string {
  const { header, cells } = treeColumns(tree);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [tree.header];
  tree.sagaLines.forEach((s, i) => out.push(s, `  ${tree.stepLines[i]}`));
  out.push('', line(header), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line), '', ...tree.footer);
  return out.join('\n') + '\n';
}
