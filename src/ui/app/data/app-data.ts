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
import { readOverview, type Overview, type OverviewDetails } from './overview.js';
import { Cancelled, QueryRunner } from './runner.js';
import { TraceService } from './trace.js';

export type AuditState =
  | { status: 'idle' }
  | { status: 'running'; background: boolean }
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
  /** The overview's counts that scan the events, kept once read (the store is read-only). */
  readonly details: Partial<OverviewDetails> & { buckets?: number[] } = {};

  /** Events in the store when it was opened. */
  private readonly eventCount: number;

  private constructor(
    readonly store: Store,
    readonly runner: QueryRunner,
    readonly bounds: StoreBounds,
    overview: Overview,
    /** What the screens read through (src/store/lens.ts): the overview says it. */
    readonly lens: Lens,
  ) {
    this.trace = new TraceService(store);
    this.firstOverview = overview;
    this.eventCount = overview.info.events;
  }

  /** Over a store whose lens (if any) is already on: `lens` says what it is. */
  static async open(store: Store, lens: Lens = { vocabulary: null, tenant: null }): Promise<AppData> {
    const runner = new QueryRunner(store);
    const { overview, bounds } = await runner.run('reading the store', () => readOverview(store));
    // The macros the other screens' SQL uses (replay, the SQL console), defined behind the
    // first screen's reads rather than before them.
    runner.run('preparing', async () => store.run((await import('../../../store/macros.js')).MACROS_SQL)).catch(() => undefined);
    return new AppData(store, runner, bounds, overview, lens);
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
    // Running already (in the background too: asked for again, it just goes on).
    if (s === 'running' || (background && s !== 'idle') || (s === 'done' && !force)) return;
    this.setAudit({ status: 'running', background });
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
