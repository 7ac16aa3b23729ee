/**
 * Everything the screens read, over the app's one read-only store: the query lane (one
 * statement at a time, cancellable), the store's bounds, the trace source and the audit result
 * the overview and the audit screen share.
 *
 * It is on the way to the first screen, so it imports nothing heavy: the audit catalog and the
 * trace modules are loaded when first used, and the first reads are the overview's own (which
 * give the bounds too).
 */
import type { AuditResult } from '../../../audit/result.js';
import { firstLine } from '../../../core/errors.js';
import type { StoreBounds } from '../../../core/time.js';
import type { Lens } from '../../../store/lens.js';
import type { Store } from '../../../store/store.js';
import type { LiveFeed } from './live.js';
import { readOverview, type Overview, type OverviewDetails } from './overview.js';
import { Cancelled, QueryRunner } from './runner.js';
import { TraceService } from './trace.js';

export type AuditState =
  | { status: 'idle' }
  /** `previous`: the result before (a live store's audit run again), shown meanwhile. */
  | { status: 'running'; background: boolean; previous?: AuditResult }
  | { status: 'done'; result: AuditResult }
  | { status: 'error'; message: string }
  | { status: 'cancelled' };

/**
 * Up to this many events the overview starts the audit by itself (about 5 s a million events on
 * two cores; it gives way to every key, so a larger store would mostly redo lost work).
 */
export const AUTO_AUDIT_EVENTS = 2_000_000;

export class AppData {
  readonly trace: TraceService;
  private auditState: AuditState = { status: 'idle' };
  private readonly auditListeners = new Set<() => void>();
  private firstOverview: Overview | undefined;
  /**
   * The overview's counts that scan the events, kept once read (the store is read-only; a live
   * one's are dropped at each refresh, below).
   */
  readonly details: Partial<OverviewDetails> & { buckets?: number[] } = {};

  /** Events in the store when it was opened (a live store: at the last refresh). */
  private eventCount: number;

  private constructor(
    readonly store: Store,
    readonly runner: QueryRunner,
    /** The store's time and seq bounds (a live store's move at each refresh). */
    public bounds: StoreBounds,
    overview: Overview,
    /** What the screens read through (src/store/lens.ts): the overview says it. */
    readonly lens: Lens,
    /** `ui --watch`: the watcher's news (batches, alerts, its end). */
    readonly live: LiveFeed | undefined,
  ) {
    this.trace = new TraceService(store);
    this.firstOverview = overview;
    this.eventCount = overview.info.events;
    this.latest = Promise.resolve(overview);
    if (live) {
      // A live store's audit is the watcher's (LiveFeed.audit): shown from the start.
      this.auditState = { status: 'done', result: live.audit(store.path, this.eventCount) };
      live.subscribe(() => this.followLive());
      this.readEarlierAlerts().catch(() => undefined);
      // Batches committed while the store's first reads ran: read again at once.
      if (live.snapshot().version > 0) queueMicrotask(() => this.followLive());
    }
  }

  /** Over a store whose lens (if any) is already on: `lens` says what it is. */
  static async open(store: Store, lens: Lens = { vocabulary: null, tenant: null }, live?: LiveFeed): Promise<AppData> {
    const runner = new QueryRunner(store);
    const { overview, bounds } = await runner.run('reading the store', () => readOverview(store));
    // The macros the other screens' SQL uses (replay, the SQL console), defined behind the
    // first screen's reads rather than before them.
    runner.run('preparing', async () => store.run((await import('../../../store/macros.js')).MACROS_SQL)).catch(() => undefined);
    return new AppData(store, runner, bounds, overview, lens, live);
  }

  // ── a live store (ui --watch) ──────────────────────────────────────────────────────────────
  private liveSeen = 0;
  private liveVersionValue = 0;
  private readonly liveListeners = new Set<() => void>();
  /** The overview read at the last refresh. */
  private latest: Promise<Overview>;

  /** Events in the store (a live store's: at the last refresh). */
  storedEvents = (): number => this.eventCount;

  /** Moves after each refresh of a live store (the bounds read again): screens read again then. */
  liveVersion = (): number => this.liveVersionValue;

  subscribeLive = (listener: () => void): (() => void) => {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  };

  /** The overview as of the last refresh. */
  latestOverview(): Promise<Overview> {
    return this.latest;
  }

  /**
   * The feed's version moved (batches committed, throttled in LiveFeed): the bounds and counts
   * are read once here, then the screens are told; new alerts run the audit again in the
   * background (small stores, as the overview does at start), its last result shown meanwhile.
   */
  private followLive(): void {
    const state = this.live!.snapshot();
    if (state.version === this.liveSeen) return;
    this.liveSeen = state.version;
    // In the background: it gives way to a key, and does not stop the audit (also background).
    const read = this.runner.run('following the log', () => readOverview(this.store), { background: true });
    const before = this.latest;
    this.latest = read.then((r) => r.overview, () => before);
    read.then(({ overview, bounds }) => {
      this.bounds = bounds;
      this.eventCount = overview.info.events;
      for (const k of Object.keys(this.details) as (keyof typeof this.details)[]) delete this.details[k];
      this.liveVersionValue++;
      for (const l of this.liveListeners) l();
      this.setAudit({ status: 'done', result: this.live!.audit(this.store.path, this.eventCount) });
    }, () => undefined);
  }

  /** The alerts earlier watches of this store raised (a live store: the audit screen lists them with this run's). */
  private async readEarlierAlerts(): Promise<void> {
    const { readAlerts } = await import('./live-alerts.js');
    this.live!.earlier(await this.runner.run('reading the alerts', () => readAlerts(this.store)));
  }

  /** The overview read at open (once: the screen reads again after that). */
  takeOverview(): Overview | undefined {
    const o = this.firstOverview;
    this.firstOverview = undefined;
    return o;
  }

  /** Whether the log's events fall on one UTC day (lists then show the time of day only). */
  get oneDay(): boolean {
    return this.bounds.firstTs?.slice(0, 10) === this.bounds.lastTs?.slice(0, 10);
  }

  audit = (): AuditState => this.auditState;

  subscribeAudit = (listener: () => void): (() => void) => {
    this.auditListeners.add(listener);
    return () => this.auditListeners.delete(listener);
  };

  /**
   * Runs the audit once (again when forced, or after a cancel or an error). In the background it
   * gives way to every other read (see QueryRunner) and is not started again after a cancel.
   */
  runAudit(force = false, background = false): void {
    const s = this.auditState.status;
    // A live store's audit is the watcher's (followLive keeps it).
    if (this.live) return;
    // Running already (in the background too: asked for again, it just goes on).
    if (s === 'running' || (background && s !== 'idle') || (s === 'done' && !force)) return;
    const previous = this.auditState.status === 'done' ? this.auditState.result : undefined;
    this.setAudit({ status: 'running', background, ...(previous ? { previous } : {}) });
    this.runner
      .run('auditing', async () => {
        const { auditStore } = await import('./audit.js');
        return auditStore(this.store);
      }, { background })
      .then(
        (result) => this.setAudit({ status: 'done', result }),
        (error: unknown) => this.setAudit(error instanceof Cancelled ? { status: 'cancelled' } : { status: 'error', message: firstLine(error) }),
      );
  }

  /** The audit in the background when it is cheap (a store of up to AUTO_AUDIT_EVENTS events). */
  startBackgroundAudit(): boolean {
    if (this.eventCount > AUTO_AUDIT_EVENTS) return false;
    this.runAudit(false, true);
    return true;
  }

  private setAudit(state: AuditState): void {
    this.auditState = state;
    for (const l of this.auditListeners) l();
  }
}
