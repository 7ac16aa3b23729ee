/**
 * How `evtrail trace` is shown, and only that, from the data ./trace.ts returns: a picture (--svg
 * waterfall, --dot, --mermaid) on stdout or to --out's file, --json, --csv (the trace's events,
 * one per row), the causation tree drawn with ink in a terminal (./tree-view.tsx, loaded only
 * then; a fitted table when the terminal is narrower than the tree), plain text in a pipe; for
 * --stats the hops as a table or --json.
 */
import fs from 'node:fs';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { fitLines, fitTable, fitWidth, printTables, toCsv, type Cell, type TableData } from '../output/table.js';
import { terminalSafe } from '../output/terminal.js';
import { UserError } from '../core/errors.js';
import { formatDuration } from '../core/time.js';
import type { HopStats } from './stats.js';
import type { TraceResult } from './trace.js';
import { plainTrace, traceJson, traceTree, treeColumns, type TraceReport, type TraceTree } from './view.js';
import { toDot, toMermaid } from './render-graph.js';
import { traceSvg } from './waterfall.js';

/** A picture of the trace instead of its tree (--svg, --dot, --mermaid), written to `out` when given. */
export interface TracePicture {
  picture?: 'svg' | 'dot' | 'mermaid';
  out?: string;
}

export async function renderTrace(mode: OutputMode, result: TraceResult, view: TracePicture = {}): Promise<void> {
  if (result.kind === 'stats') return renderStats(mode, result.stats);
  const { report } = result;
  const picture = view.picture === 'dot' ? toDot(report) : view.picture === 'mermaid' ? toMermaid(report) : view.picture === 'svg' ? traceSvg(report) : null;
  if (picture !== null && view.out !== undefined) writePicture(view.out, picture);
  else if (picture !== null) process.stdout.write(terminalSafe(picture));
  else if (mode === 'json') printJson(traceJson(report));
  // --csv: the trace's events, one per row, as --json's nodes (the graph is in --json / --dot).
  else if (mode === 'csv') {
    const nodes = (traceJson(report) as { nodes: Record<string, unknown>[] }).nodes;
    const columns = [...new Set(nodes.flatMap((n) => Object.keys(n)))];
    process.stdout.write(toCsv(columns, nodes.map((n) => columns.map((c) => n[c] as Cell))));
  }
  // ink needs a width: a terminal that reports none (`script` without a size) gets the text.
  else if (mode === 'tty' && process.stdout.columns) await renderTree(report);
  else process.stdout.write(terminalSafe(plainTrace(traceTree(report))));
}

async function renderTree(report: TraceReport): Promise<void> {
  const tree = traceTree(report);
  const width = fitWidth();
  // Wider than the terminal: a table fitted to it, each event's notes on a line under it.
  if (width !== undefined && fitTable(treeColumns(tree).header, treeColumns(tree).cells).widths.reduce((a, w) => a + w + 2, -2) > width) {
    // Coloured as the tree is (the colours put on the fitted cells, so shortening keeps them).
    const { treeColors } = await import('./tree-view.js');
    await printTables('tty', [{ ...fittedTrace(tree), colors: treeColors(tree) }]);
    return;
  }
  const { renderTraceTree } = await import('./tree-view.js');
  await renderTraceTree(tree);
}

/** Writes a picture to a file; a path that cannot be written is the user's to fix. */
function writePicture(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`--out ${file}: cannot write it (${code})`, 'name a file in a directory that exists and that you can write to');
  }
  process.stderr.write(`evtrail: wrote ${file}\n`);
}

/** The trace as a table for a narrow terminal: the header lines above, the footer below, notes under their rows. */
function fittedTrace(tree: TraceTree): TableData {
  const { header, cells } = treeColumns(tree);
  return {
    title: [tree.header, ...tree.sagaLines.flatMap((line, i) => [line, `  ${tree.stepLines[i] ?? ''}`])].join('\n'),
    columns: header,
    rows: cells,
    belowColumn: 'notes',
    // Event types (after the tree's prefix) are read from the start: `OrderPartiallyFi…`.
    keepStart: ['event'],
    note: fitLines(['', ...tree.footer].join('\n')),
  };
}

async function renderStats(mode: OutputMode, stats: HopStats): Promise<void> {
  if (mode === 'json') {
    printJson(stats);
    return;
  }
  const d = (ns: number | null) => (ns === null ? '' : formatDuration(BigInt(ns)));
  await printTables(mode, [
    {
      title: 'hops: cause type → effect type, latency over every trace',
      columns: ['cause', 'effect', 'count', 'p50', 'p90', 'p99', 'max'],
      rows: stats.hops.map((h) => [h.cause, h.effect, h.count, d(h.p50Ns), d(h.p90Ns), d(h.p99Ns), d(h.maxNs)]),
      note: `${stats.hops.length} kind${stats.hops.length === 1 ? '' : 's'} of hop, ${stats.hops.reduce((a, h) => a + h.count, 0).toLocaleString('en-US')} hops`,
    },
  ]);
}
