/**
 * Everything the screens read, over the app's one read-only store: the query lane (one
 * statement at a time, cancellable), the store's bounds, the trace source and the audit result
 * the overview and the audit screen share.
 */
import type { AuditResult } from '../../../audit/run.js';
import { firstLine } from '../../../core/errors.js';
import type { StoreBounds } from '../../../replay/at.js';
import { storeBounds } from '../../../replay/replay-command.js';
import { MACROS_SQL } from '../../../store/macros.js';
import type { Store } from '../../../store/store.js';
import { auditStore } from './audit.js';
import { Cancelled, QueryRunner } from './runner.js';
import { TraceService } from './trace.js';

export type AuditState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; result: AuditResult }
  | { status: 'error'; message: string }
  | { status: 'cancelled' };

export class AppData {
  readonly runner: QueryRunner;
  readonly trace: TraceService;
  private auditState: AuditState = { status: 'idle' };
  private readonly auditListeners = new Set<() => void>();

  private constructor(
    readonly store: Store,
    readonly bounds: StoreBounds,
  ) {
    this.runner = new QueryRunner(store.conn);
    this.trace = new TraceService(store);
  }

  static async open(store: Store): Promise<AppData> {
    await store.run(MACROS_SQL);
    return new AppData(store, await storeBounds(store));
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

  /** Runs the audit once (again when asked, or after a cancel or an error). */
  runAudit(force = false): void {
    if (this.auditState.status === 'running' || (this.auditState.status === 'done' && !force)) return;
    this.setAudit({ status: 'running' });
    this.runner.run('auditing', () => auditStore(this.store)).then(
      (result) => this.setAudit({ status: 'done', result }),
      (error: unknown) => this.setAudit(error instanceof Cancelled ? { status: 'cancelled' } : { status: 'error', message: firstLine(error) }),
    );
  }

  private setAudit(state: AuditState): void {
    this.auditState = state;
    for (const l of this.auditListeners) l();
  }
}
