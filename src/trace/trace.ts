/**
 * `evtrail trace <id>` and `evtrail trace --stats`: open the store (keeping the trace index up to
 * date when it can), resolve the id, load the graph and build the saga view (`traceReport`), or
 * the hop latencies. `runTrace` returns data, handed to `show` while the store is open;
 * src/cli/commands/trace.ts reads the flags and shows the data with ./render.ts.
 */
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { applyLens } from '../store/lens.js';
import { storeTimeZones } from '../store/time-zones.js';
import type { Catalog } from '../audit/catalog.js';
import { auditTrace, builtinCatalog, durationNs, paramDefault } from './findings.js';
import { buildGraph } from './graph.js';
import { isMarketData, ordersNotSubmitted } from './market.js';
import { loadTrace } from './load.js';
import { resolveId, type IdKind } from './resolve.js';
import { TRADING_SAGA, sagaTypes, sagaViews } from './saga.js';
import { EventSource } from './source.js';
import { hopStats, type HopStats } from './stats.js';
import { DEFAULT_KEY_PATHS, parseKeyPath, refreshTraceIndex, type KeyPath } from './trace-index.js';
import type { TraceReport } from './view.js';

/** What the command line hands over (src/cli/commands/trace.ts): the flags, their values read. */
export interface TraceOptions {
  db: string;
  /** The id to trace; absent with `stats`. */
  id?: string;
  /** The hop latencies over the whole log instead of one trace. */
  stats: boolean;
  settings: Settings;
  /** --no-saga turns the saga view off. */
  saga: boolean;
  /** --no-index reads the store as it is, without building or updating the trace index. */
  index: boolean;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

/** One trace, or (--stats) the hops of every trace. */
export type TraceResult = { kind: 'trace'; report: TraceReport } | { kind: 'stats'; stats: HopStats };

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

/** Traces as `options` say and hands the answer to `show` before the store closes. */
export async function runTrace(options: TraceOptions, show: (result: TraceResult) => Promise<void>): Promise<void> {
  const s = options.settings;
  const { store, source } = await openSource(options.db, s.keys.map((k) => k.path), { complete: options.stats, useIndex: options.index, tenant: options.tenant });
  try {
    if (options.stats) await show({ kind: 'stats', stats: await hopStats(source) });
    else await show({ kind: 'trace', report: await traceReport(source, options.id!, s, options.saga) });
  } finally {
    store.close();
  }
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
