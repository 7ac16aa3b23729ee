/**
 * The trace screen's work: `evtrail trace <id>` with its defaults. The app's store is read-only,
 * so a missing or stale trace index is not rebuilt here: the source reads without it (slower).
 * The trace modules load with the first trace, not with the app.
 */
import type { Store } from '../../../store/store.js';
import type { EventSource } from '../../../trace/source.js';
import type { TraceTree } from '../../../trace/view.js';

export class TraceService {
  private source: EventSource | undefined;

  constructor(private readonly store: Store) {}

  async tree(id: string): Promise<TraceTree> {
    const [{ EventSource }, { defaultSettings, traceReport }, { traceTree }] = await Promise.all([
      import('../../../trace/source.js'),
      import('../../../trace/trace.js'),
      import('../../../trace/view.js'),
    ]);
    this.source ??= await EventSource.open(this.store);
    return traceTree(await traceReport(this.source, id, defaultSettings()));
  }
}
