import { Option, type Command } from 'commander';
import type { TraceOptions } from '../../trace/trace.js';
import type { IdKind } from '../../trace/resolve.js';
import { collect, dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';
import { UserError } from '../../core/errors.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type TraceFlags = Pick<TraceOptions, 'db' | 'saga' | 'index' | 'tenant'> & OutputFlags & {
  dot?: boolean;
  mermaid?: boolean;
  svg?: boolean;
  /** Write the picture (--svg, --dot, --mermaid) to this file instead of stdout. */
  out?: string;
  stats?: boolean;
  as?: string;
  key?: string[];
  skewTolerance?: string;
  stuckAfter?: string;
  maxEvents: string;
  /** --no-audit leaves out the audit's findings. */
  audit?: boolean;
};

/** The flags that cannot go together, and --as, refused before any value is read. */
function checkCombinations(flags: TraceFlags, idKinds: readonly string[]): void {
  const formats = [flags.json && '--json', flags.dot && '--dot', flags.mermaid && '--mermaid', flags.svg && '--svg'].filter(Boolean);
  if (formats.length > 1) throw new UserError(`${formats.join(' and ')} cannot be combined`, 'pick one output format');
  if (flags.stats && (flags.dot || flags.mermaid || flags.svg)) throw new UserError('--stats prints a table (or --json), not a graph', 'drop --dot / --mermaid / --svg');
  if (flags.out !== undefined && !(flags.dot || flags.mermaid || flags.svg)) {
    throw new UserError('--out writes a picture of the trace', 'add --svg (a waterfall), --dot or --mermaid, e.g. evtrail trace ord-00000042 --svg --out trace.svg');
  }
  if (flags.as !== undefined && !idKinds.includes(flags.as)) throw new UserError(`--as ${flags.as}: not a kind of id`, `use one of ${idKinds.join(', ')}`);
}


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
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, durationFlag, wholeNumberFlag }, { runTrace }, { renderTrace }, { ID_KINDS }, { DEFAULT_KEY_PATHS, parseKeyPath }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../trace/trace.js'), import('../../trace/render.js'), import('../../trace/resolve.js'), import('../../trace/trace-index.js'),
    ]);
    const mode = outputMode(flags);
    checkCombinations(flags, ID_KINDS);
    const values = parseFlags(z.object({
      skewTolerance: durationFlag('--skew-tolerance', 'e.g. --skew-tolerance 500ms, 1s or 0').optional(),
      stuckAfter: durationFlag('--stuck-after', 'e.g. --stuck-after 60s or 5m').optional(),
      maxEvents: wholeNumberFlag('--max-events', { min: 1, hint: 'e.g. --max-events 50000' }),
    }), flags);
    const keyPaths = flags.key && flags.key.length > 0 ? flags.key : DEFAULT_KEY_PATHS;
    const keys = keyPaths.map(parseKeyPath);
    if (flags.stats && id !== undefined) throw new UserError('--stats covers the whole log: leave out the id', 'evtrail trace --stats, or evtrail trace <id>');
    if (!flags.stats && id === undefined) {
      throw new UserError('trace needs an id (or --stats)', 'e.g. evtrail trace ord-00000042: an event id, stream, order id or correlation id');
    }
    const settings = {
      ...(flags.as ? { as: flags.as as IdKind } : {}),
      keys,
      ...(values.skewTolerance !== undefined ? { skewToleranceNs: values.skewTolerance } : {}),
      ...(values.stuckAfter !== undefined ? { stuckAfterNs: values.stuckAfter } : {}),
      maxEvents: values.maxEvents,
      audit: flags.audit !== false,
    };
    const picture = flags.dot ? 'dot' : flags.mermaid ? 'mermaid' : flags.svg ? 'svg' : undefined;
    await runTrace({ db: flags.db, id, stats: flags.stats === true, settings, saga: flags.saga, index: flags.index, tenant: flags.tenant },
      (result) => renderTrace(mode, result, { picture, out: flags.out }));
  });
}
