import { Option, type Command } from 'commander';
import type { TraceFlags } from '../../trace/trace-command.js';
import { collect, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';


export function registerTrace(program: Command): void {
  const command = program
    .command('trace')
    .description('the causality graph behind an event id, stream, order id or correlation id; --stats for hop latencies')
    .argument('[id]', 'an event id, a stream, a business key (data.orderId by default) or a correlation id')
    .option('--json', 'print one JSON document: { nodes, edges, anomalies, criticalPath, sagas, ... }')
    .option('--csv', 'print the trace\'s events as CSV, one per row (with --stats: the hops)')
    .option('--dot', 'print the graph as Graphviz DOT (… | dot -Tsvg > trace.svg)')
    .option('--mermaid', 'print the graph as a Mermaid flowchart')
    .option('--svg', 'print a waterfall of the trace as SVG: time across, one bar per event from its cause, the critical path in blue')
    .option('--out <file>', 'write the picture (--svg, --dot, --mermaid) to this file instead of stdout')
    .option('--stats', 'for every (cause type → effect type) hop in the log: count and latency p50 / p90 / p99 / max')
    .addOption(new Option('--as <kind>', 'say what the id is').choices(['event', 'stream', 'key', 'correlation']))
    .option('--key <path>', 'business-key path, repeatable (default data.orderId)', collect)
    .option('--skew-tolerance <duration>', "an effect this much earlier than its cause is a clock skew (default: the audit's causation-time-inversion.tolerance: 1ms on a trading log, after MiFID II RTS 25; else 100ms)")
    .option('--stuck-after <duration>', "a saga idle this long before the log ends is stuck (default: the audit's saga-incomplete.timeout, 60s)")
    .option('--max-events <n>', 'stop growing the graph past this many events', '20000')
    .option('--no-saga', 'leave out the saga view for orders')
    .option('--no-audit', "leave out the audit's findings on the trace's events (saves the rules' run)")
    .option('--tenant <id>', "only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    .option('--no-index', 'do not build or update the trace index (read-only; slower on large stores)');
  dbOption(command).action(async (id: string | undefined, flags: TraceFlags) => {
    const { runTraceCommand } = await import('../../trace/trace-command.js');
    await runTraceCommand(id, flags, outputMode(flags));
  });
}
