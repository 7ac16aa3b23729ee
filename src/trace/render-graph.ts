/**
 * The trace as Graphviz DOT and as a Mermaid flowchart (pure text). Nodes carry the type, the
 * producing service, the time and the id; edges go cause → effect with the hop's latency.
 * Each node names what is wrong with its event: the graph's anomalies and the saga's problems
 * ("⚠ …", in a few words; the whole message in the DOT tooltip) and the audit's findings
 * ("✖ rule (severity): message"). Failures, compensations and anomalies are styled; the
 * critical path is drawn bold; a cause that is not in the log appears as a dashed "missing"
 * node. In DOT, a conflict's other version is a node of its own: the later delivery of an id
 * with other content (or another event with the same id), joined to the first by a dashed
 * edge, and every event that claims a stream revision another event claims too.
 */
import type { TraceNode } from './graph.js';
import { formatDuration } from '../core/time.js';
import { shortAnomaly, type TraceReport } from './view.js';

export interface Styled {
  node: TraceNode;
  anomaly: boolean;
  /** What is wrong with the event, for its label: "⚠ anomaly" and "✖ rule (severity): message" lines. */
  findings: string[];
  /** The anomalies' whole messages (a tooltip). */
  details: string[];
  failure: boolean;
  compensation: boolean;
}

/** Each node with what the pictures say about it (DOT, Mermaid and the waterfall share it). */
export function styled(report: TraceReport): Styled[] {
  const byId = new Map(report.graph.nodes.map((n) => [n.id, n]));
  const lines = new Map<string, string[]>();
  const details = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, id: string, line: string) => {
    const list = map.get(id) ?? [];
    if (!list.includes(line)) list.push(line);
    map.set(id, list);
  };
  for (const a of report.graph.anomalies) {
    const node = byId.get(a.eventId);
    if (!node) continue;
    add(lines, a.eventId, `⚠ ${shortAnomaly(a, node)}`);
    add(details, a.eventId, a.message);
  }
  for (const s of report.sagas) {
    for (const p of s.problems) {
      add(lines, p.eventId, `⚠ ${p.kind === 'missing-step' ? `missing step: ${p.message}` : p.message}`);
      add(details, p.eventId, p.message);
    }
  }
  for (const f of report.audit?.findings ?? []) {
    add(lines, f.eventId, `✖ ${f.rule} (${f.severity}): ${f.message}`);
    add(details, f.eventId, `${f.rule} (${f.severity}): ${f.message}`);
  }
  const def = report.saga;
  return report.graph.nodes.map((node) => ({
    node,
    anomaly: lines.has(node.id),
    findings: lines.get(node.id) ?? [],
    details: details.get(node.id) ?? [],
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
    if (s.details.length) attrs.push(`tooltip=${dotString(s.details.join('\n'))}`);
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
  lines.push(...conflictLines(report));
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * The other side of each conflict, as nodes of their own. A redelivery (same content) is not
 * drawn again: its node's label says how often it came.
 */
function conflictLines(report: TraceReport): string[] {
  const { graph } = report;
  const taken = new Set<string>([...graph.nodes.map((n) => n.id), ...missingCauses(report).map(([m]) => m)]);
  // A node name no event id has: the copy's id and seq, made longer until it is free.
  const freeName = (base: string) => {
    let name = base;
    while (taken.has(name)) name += "'";
    taken.add(name);
    return name;
  };
  const out: string[] = [];
  for (const c of graph.copies) {
    if (c.kind === 'redelivery') continue;
    const name = freeName(`${c.id} (seq ${c.seq})`);
    const what = c.kind === 'conflict' ? `conflicting copy (seq ${c.seq}, first seq ${c.firstSeq})` : `another event with this id (seq ${c.seq})`;
    const time = c.ts === null ? 'no time' : c.ts.slice(11, -1);
    const label = [c.type, `${c.source ?? '?'} · ${time}`, c.id, `⚠ ${what}`].join('\n');
    out.push(`  ${dotString(name)} [label=${dotString(label)}, tooltip=${dotString(what)}, style="rounded,filled,dashed", fillcolor="#fdecea", color="#dd3333", penwidth=2];`);
    out.push(`  ${dotString(c.id)} -> ${dotString(name)} [label=${dotString(c.kind === 'conflict' ? 'same id, other content' : 'same id')}, style="dashed", color="#dd3333", dir="none"];`);
  }
  const inGraph = new Set(graph.nodes.map((n) => n.id));
  for (const claim of graph.revisionClaims) {
    const names = claim.claimants.map((c) => {
      if (inGraph.has(c.id)) return c.id;
      const name = freeName(c.id);
      out.push(`  ${dotString(name)} [label=${dotString(`other event at ${claim.stream} rev ${claim.rev}\n${c.id} (seq ${c.seq})`)}, style="rounded,dashed", color="#dd3333"];`);
      return name;
    });
    for (let i = 1; i < names.length; i++) {
      out.push(`  ${dotString(names[0]!)} -> ${dotString(names[i]!)} [label=${dotString(`both rev ${claim.rev}`)}, style="dashed", color="#dd3333", dir="none", constraint=false];`);
    }
  }
  return out;
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
