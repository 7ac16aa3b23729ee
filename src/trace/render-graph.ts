/**
 * The trace as Graphviz DOT and as a Mermaid flowchart (pure text). Nodes carry the type, the
 * producing service, the time and the id; edges go cause → effect with the hop's latency.
 * The audit's findings on an event are lines of its label. Failures, compensations and
 * anomalies (findings too) are styled; the critical path is drawn bold; a cause
 * that is not in the log appears as a dashed "missing" node.
 */
import type { TraceNode } from './graph.js';
import { formatDuration } from '../core/time.js';
import type { TraceReport } from './view.js';

interface Styled {
  node: TraceNode;
  anomaly: boolean;
  /** The audit's findings on the event, as "rule (severity): message" lines for its label. */
  findings: string[];
  failure: boolean;
  compensation: boolean;
}

function styled(report: TraceReport): Styled[] {
  const flagged = new Set([...report.graph.anomalies.map((a) => a.eventId), ...report.sagas.flatMap((s) => s.problems.map((p) => p.eventId))]);
  const findings = new Map<string, string[]>();
  for (const f of report.audit?.findings ?? []) findings.set(f.eventId, [...(findings.get(f.eventId) ?? []), `✖ ${f.rule} (${f.severity}): ${f.message}`]);
  const def = report.saga;
  return report.graph.nodes.map((node) => ({
    node,
    anomaly: flagged.has(node.id) || findings.has(node.id),
    findings: findings.get(node.id) ?? [],
    failure: def?.failureTypes.includes(node.type) ?? false,
    compensation: def?.compensationTypes.includes(node.type) ?? false,
  }));
}

/** Missing causes: (missing id, effect id) for every orphan causation. */
function missingCauses(report: TraceReport): [string, string][] {
  return report.graph.anomalies.filter((a) => a.kind === 'orphan-causation' && a.causationId).map((a) => [a.causationId!, a.eventId]);
}

function criticalEdges(report: TraceReport): Set<string> {
  return new Set((report.graph.criticalPath?.hops ?? []).map((h) => `${h.from}\u0000${h.to}`));
}

const timeText = (node: TraceNode) => (node.ts === null ? 'no time' : node.ts.slice(11, -1));
const latencyText = (ns: bigint | null) => (ns === null ? '' : `${ns >= 0n ? '+' : ''}${formatDuration(ns)}`);

// ---------------------------------------------------------------------------------------------
// DOT

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

export function toDot(report: TraceReport): string {
  const lines = [
    'digraph trace {',
    '  rankdir=TB;',
    '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const s of styled(report)) {
    const { node } = s;
    const label = [`${node.type}`, `${node.source ?? '?'} · ${timeText(node)}`, node.id, ...s.findings].join('\n');
    const attrs = [`label=${dotString(label)}`];
    if (s.failure) attrs.push('fillcolor="#fde2e1"');
    else if (s.compensation) attrs.push('fillcolor="#e3f1fd"');
    // Graphviz takes #rrggbb only: "#d33" is "not a known color" and draws black.
    if (s.anomaly) attrs.push('color="#dd3333"', 'penwidth=2');
    lines.push(`  ${dotString(node.id)} [${attrs.join(', ')}];`);
  }
  const critical = criticalEdges(report);
  for (const e of report.graph.edges) {
    const attrs = [`label=${dotString(latencyText(e.latencyNs))}`];
    if (critical.has(`${e.from}\u0000${e.to}`)) attrs.push('penwidth=2');
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [${attrs.join(', ')}];`);
  }
  for (const [missing, effect] of missingCauses(report)) {
    lines.push(`  ${dotString(missing)} [label=${dotString(`missing\n${missing}`)}, style="dashed", color="#dd3333"];`);
    lines.push(`  ${dotString(missing)} -> ${dotString(effect)} [style="dashed", color="#dd3333"];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** Mermaid label text: quotes and angle brackets as entities, lines joined with <br/>. */
export function mermaidText(text: string): string {
  return text
    .replaceAll('&', '#amp;')
    .replaceAll('"', '#quot;')
    .replaceAll('<', '#lt;')
    .replaceAll('>', '#gt;')
    .split('\n')
    .join('<br/>');
}

export function toMermaid(report: TraceReport): string {
  // Event ids can hold anything; Mermaid node ids are n0, n1, … in node order.
  const ids = new Map<string, string>();
  const lines = ['flowchart TD'];
  const flagged = { anomaly: [] as string[], failure: [] as string[], compensation: [] as string[], missing: [] as string[] };
  for (const s of styled(report)) {
    const key = `n${ids.size}`;
    ids.set(s.node.id, key);
    lines.push(`  ${key}["${mermaidText([s.node.type, `${s.node.source ?? '?'} · ${timeText(s.node)}`, s.node.id, ...s.findings].join('\n'))}"]`);
    if (s.anomaly) flagged.anomaly.push(key);
    if (s.failure) flagged.failure.push(key);
    else if (s.compensation) flagged.compensation.push(key);
  }
  const missing = missingCauses(report);
  for (const [m] of missing) {
    if (ids.has(m)) continue;
    const key = `m${flagged.missing.length}`;
    ids.set(m, key);
    flagged.missing.push(key);
    lines.push(`  ${key}["${mermaidText(`missing\n${m}`)}"]`);
  }
  const critical = criticalEdges(report);
  for (const e of report.graph.edges) {
    const arrow = critical.has(`${e.from}\u0000${e.to}`) ? '==>' : '-->';
    const label = latencyText(e.latencyNs);
    lines.push(`  ${ids.get(e.from)} ${arrow}${label ? `|"${mermaidText(label)}"|` : ''} ${ids.get(e.to)}`);
  }
  for (const [m, effect] of missing) lines.push(`  ${ids.get(m)} -.-> ${ids.get(effect)}`);
  lines.push(
    '  classDef anomaly stroke:#d33,stroke-width:2px',
    '  classDef failure fill:#fde2e1',
    '  classDef compensation fill:#e3f1fd',
    '  classDef missing stroke:#d33,stroke-dasharray:4 3',
  );
  for (const [cls, keys] of Object.entries(flagged)) if (keys.length) lines.push(`  class ${keys.join(',')} ${cls}`);
  return lines.join('\n') + '\n';
}
