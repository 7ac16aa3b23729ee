/**
 * `evtrail trace <id>` and `evtrail trace --stats`: validate the flags, open the store (keeping
 * the trace index up to date when it can), resolve the id, load the graph, build the saga view
 * and print it in the mode asked.
 */
import fs from 'node:fs';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { fitLines, fitTable, fitWidth, printTables, toCsv, type Cell, type TableData } from '../output/table.js';
import { terminalSafe } from '../output/terminal.js';
import { UserError } from '../core/errors.js';
import { duration, wholeNumber } from '../core/flags.js';
import { Store } from '../store/store.js';
import { applyLens } from '../store/lens.js';
import { storeTimeZones } from '../store/time-zones.js';
import type { Catalog } from '../audit/catalog.js';
import { auditTrace, builtinCatalog, durationNs, paramDefault } from './findings.js';
import { buildGraph } from './graph.js';
import { isMarketData, ordersNotSubmitted } from './market.js';
import { loadTrace } from './load.js';
import { ID_KINDS, resolveId, type IdKind } from './resolve.js';
import { TRADING_SAGA, sagaTypes, sagaViews } from './saga.js';
import { EventSource } from './source.js';
import { hopStats } from './stats.js';
import { formatDuration } from '../core/time.js';
import { DEFAULT_KEY_PATHS, parseKeyPath, refreshTraceIndex, type KeyPath } from './trace-index.js';
import { plainTrace, traceJson, traceTree, treeColumns, type TraceReport, type TraceTree } from './view.js';
import { toDot, toMermaid } from './render-graph.js';
import { traceSvg } from './waterfall.js';

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

export interface TraceFlags {
  db: string;
  json?: boolean;
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
  /** --no-saga turns the saga view off. */
  saga: boolean;
  /** --no-audit leaves out the audit's findings. */
  audit?: boolean;
  /** --no-index reads the store as it is, without building or updating the trace index. */
  index: boolean;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

/** Events past the index's watermark that trace reads by scanning before it updates the index. */
const TAIL_BEFORE_REFRESH = 100_000;

export interface Settings {
  as?: IdKind;
  keys: KeyPath[];
  /** Given by --skew-tolerance; else the audit's causation-time-inversion.tolerance. */
  skewToleranceNs?: bigint;
  /** Given by --stuck-after; else the audit's saga-incomplete.timeout. */
  stuckAfterNs?: bigint;
  maxEvents: number;
  /** Run the catalog's rules over the trace's events (default true). */
  audit?: boolean;
  /** --param values (rule.key=value) for those rules, e.g. a report's. */
  auditParams?: string[];
}

function settings(flags: TraceFlags): Settings {
  const formats = [flags.json && '--json', flags.dot && '--dot', flags.mermaid && '--mermaid', flags.svg && '--svg'].filter(Boolean);
  if (formats.length > 1) throw new UserError(`${formats.join(' and ')} cannot be combined`, 'pick one output format');
  if (flags.stats && (flags.dot || flags.mermaid || flags.svg)) throw new UserError('--stats prints a table (or --json), not a graph', 'drop --dot / --mermaid / --svg');
  if (flags.out !== undefined && !(flags.dot || flags.mermaid || flags.svg)) {
    throw new UserError('--out writes a picture of the trace', 'add --svg (a waterfall), --dot or --mermaid, e.g. evtrail trace ord-00000042 --svg --out trace.svg');
  }
  if (flags.as !== undefined && !(ID_KINDS as readonly string[]).includes(flags.as)) {
    throw new UserError(`--as ${flags.as}: not a kind of id`, `use one of ${ID_KINDS.join(', ')}`);
  }
  const skew = flags.skewTolerance === undefined ? undefined : duration('--skew-tolerance', flags.skewTolerance, 'e.g. --skew-tolerance 500ms, 1s or 0');
  const stuck = flags.stuckAfter === undefined ? undefined : duration('--stuck-after', flags.stuckAfter, 'e.g. --stuck-after 60s or 5m');
  const max = wholeNumber('--max-events', flags.maxEvents, { min: 1, hint: 'e.g. --max-events 50000' });
  const keyPaths = flags.key && flags.key.length > 0 ? flags.key : DEFAULT_KEY_PATHS;
  return {
    ...(flags.as ? { as: flags.as as IdKind } : {}),
    keys: keyPaths.map(parseKeyPath),
    ...(skew !== undefined ? { skewToleranceNs: skew } : {}),
    ...(stuck !== undefined ? { stuckAfterNs: stuck } : {}),
    maxEvents: max,
    audit: flags.audit !== false,
  };
}

export async function runTraceCommand(id: string | undefined, flags: TraceFlags, mode: OutputMode): Promise<void> {
  const s = settings(flags);
  if (flags.stats && id !== undefined) throw new UserError('--stats covers the whole log: leave out the id', 'evtrail trace --stats, or evtrail trace <id>');
  if (!flags.stats && id === undefined) {
    throw new UserError('trace needs an id (or --stats)', 'e.g. evtrail trace ord-00000042: an event id, stream, order id or correlation id');
  }
  const { store, source } = await openSource(flags.db, s.keys.map((k) => k.path), { complete: flags.stats === true, useIndex: flags.index, tenant: flags.tenant });
  try {
    if (flags.stats) {
      await printStats(source, mode);
      return;
    }
    const report = await traceReport(source, id!, s, flags.saga);
    const picture = flags.dot ? toDot(report) : flags.mermaid ? toMermaid(report) : flags.svg ? traceSvg(report) : null;
    if (picture !== null && flags.out !== undefined) writePicture(flags.out, picture);
    else if (picture !== null) process.stdout.write(terminalSafe(picture));
    else if (mode === 'json') printJson(traceJson(report));
    // --csv: the trace's events, one per row, as --json's nodes (the graph is in --json / --dot).
    else if (mode === 'csv') {
      const nodes = (traceJson(report) as { nodes: Record<string, unknown>[] }).nodes;
      const columns = [...new Set(nodes.flatMap((n) => Object.keys(n)))];
      process.stdout.write(toCsv(columns, nodes.map((n) => columns.map((c) => n[c] as Cell))));
    }
    // ink needs a width: a terminal that reports none (`script` without a size) gets the text.
    else if (mode === 'tty' && process.stdout.columns) {
      const tree = traceTree(report);
      const width = fitWidth();
      // Wider than the terminal: a table fitted to it, each event's notes on a line under it.
      if (width !== undefined && fitTable(treeColumns(tree).header, treeColumns(tree).cells).widths.reduce((a, w) => a + w + 2, -2) > width) {
        // Coloured as the tree is (the colours put on the fitted cells, so shortening keeps them).
        const { treeColors } = await import('../ui/trace-tree.js');
        await printTables('tty', [{ ...fittedTrace(tree), colors: treeColors(tree) }]);
        return;
      }
      const { renderTraceTree } = await import('../ui/trace-tree.js');
      await renderTraceTree(tree);
    } else process.stdout.write(terminalSafe(plainTrace(traceTree(report))));
  } finally {
    store.close();
  }
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

/** Everything trace shows for one id (exported for tests and the benchmark). */
export async function traceReport(source: EventSource, id: string, s: Settings, withSaga = true, catalog: Catalog = builtinCatalog()): Promise<TraceReport> {
  const resolution = await resolveId(source, id, { keys: s.keys, ...(s.as ? { as: s.as } : {}) });
  const loaded = await loadTrace(source, resolution, { maxEvents: s.maxEvents });
  const tradingTypes = sagaTypes(TRADING_SAGA);
  const trading = loaded.events.some((e) => tradingTypes.has(e.type));
  // The trace's own tolerances, when given, are the audit's too: one verdict per event.
  const params: string[] = [...(s.auditParams ?? [])];
  if (s.skewToleranceNs !== undefined) params.push(`causation-time-inversion.tolerance=${s.skewToleranceNs}ns`);
  if (s.stuckAfterNs !== undefined) params.push(`saga-incomplete.timeout=${s.stuckAfterNs}ns`);
  const audit = s.audit === false ? null : await auditTrace(source, loaded.events, params, catalog);
  const param = (key: string) => durationNs(audit ? audit.params[key] : paramDefault(catalog, key, trading ? ['core', 'trading'] : ['core']));
  const skewToleranceNs = s.skewToleranceNs ?? param('causation-time-inversion.tolerance') ?? 0n;
  const stuckAfterNs = s.stuckAfterNs ?? param('saga-incomplete.timeout') ?? 60_000_000_000n;
  const graph = buildGraph(loaded.events, { skewToleranceNs, ...(loaded.streamRevisions ? { streamRevisions: loaded.streamRevisions } : {}) });
  const marketData = isMarketData(graph.nodes);
  if (marketData) {
    // Market messages carry no causation: several roots is their nature, not an anomaly; an
    // order acted on without its submission in the file is named for what it is.
    graph.anomalies = [...graph.anomalies.filter((a) => a.kind !== 'several-roots'), ...ordersNotSubmitted(graph.nodes)].sort(
      (a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.kind.localeCompare(b.kind),
    );
  }
  const zones = await storeTimeZones(source.store);
  let sagas: TraceReport['sagas'] = [];
  if (trading && withSaga) {
    const end = await source.store.remember('log-end-ns', async () => (await source.store.all(`SELECT epoch_ns(max(ts))::VARCHAR AS t FROM events`))[0]?.t);
    const first = resolution.kind === 'key' ? [id] : [];
    sagas = sagaViews(graph.nodes, TRADING_SAGA, { logEndNs: typeof end === 'string' ? BigInt(end) : null, stuckAfterNs }, first);
  }
  return {
    resolution,
    correlations: loaded.correlations,
    graph,
    sagas,
    truncated: loaded.truncated,
    saga: trading ? TRADING_SAGA : null,
    ...(zones.length === 1 ? { timeZone: zones[0]! } : {}),
    audit,
    skewToleranceNs,
    marketData,
  };
}

/** Default settings, as the CLI's defaults give them (tolerances: the audit's). */
export function defaultSettings(overrides: Partial<Settings> = {}): Settings {
  return { keys: DEFAULT_KEY_PATHS.map(parseKeyPath), maxEvents: 20_000, audit: true, ...overrides };
}

/**
 * Opens the store read-only for tracing. When the trace index is missing, lacks a key path or
 * lags far behind the log (any lag, for --stats), it is brought up to date first with a
 * writer; when the store cannot be written (another process, permissions), trace goes on
 * without it, slower.
 */
async function openSource(db: string, keyPaths: string[], opts: { complete: boolean; useIndex: boolean; tenant?: string | undefined }): Promise<{ store: Store; source: EventSource }> {
  // Through the lens (the store's vocabulary, --tenant); the index is built through the
  // vocabulary alone, over every tenant, and lookups keep the tenant's events.
  const open = async () => {
    const s = await Store.open(db, { readOnly: true });
    try {
      await applyLens(s, opts.tenant === undefined ? {} : { tenant: opts.tenant });
    } catch (error) {
      s.close();
      throw error;
    }
    return s;
  };
  let store = await open();
  let source = await EventSource.open(store);
  if (!opts.useIndex) return { store, source };
  const status = source.status;
  const missingKeys = keyPaths.filter((k) => !status.keyPaths.includes(k));
  const stale = status.state === null ? status.total > 0 : status.tail > (opts.complete ? 0 : TAIL_BEFORE_REFRESH) || missingKeys.length > 0;
  if (!stale) return { store, source };
  store.close();
  try {
    const writer = await Store.open(db);
    try {
      await applyLens(writer);
      const what = status.state === null ? `${status.total.toLocaleString('en-US')} events` : missingKeys.length ? `key ${missingKeys.join(', ')}` : `${status.tail.toLocaleString('en-US')} new events`;
      process.stderr.write(`evtrail: indexing ${what} for trace …\n`);
      await refreshTraceIndex(writer, keyPaths);
    } finally {
      writer.close();
    }
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stderr.write(`evtrail: cannot update the trace index (${error.message}); reading without it, which is slower\n`);
  }
  store = await open();
  source = await EventSource.open(store);
  return { store, source };
}

async function printStats(source: EventSource, mode: OutputMode): Promise<void> {
  const stats = await hopStats(source);
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
