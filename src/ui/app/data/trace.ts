/**
 * The trace screen's work: `evtrail trace <id>` with its defaults. The app's store is read-only,
 * so a missing or stale trace index is not rebuilt here: the source reads without it (slower).
 */
import type { Store } from '../../../store/store.js';
import { EventSource } from '../../../trace/source.js';
import { defaultSettings, traceReport } from '../../../trace/trace-command.js';
import { traceTree, type TraceTree } from '../../../trace/view.js';

export class TraceService {
  private source: EventSource | undefined;

  constructor(private readonly store: Store) {}

  async tree(id: string): Promise<TraceTree> {
    this.source ??= await EventSource.open(this.store);
    return traceTree(await traceReport(this.source, id, defaultSettings()));
  }
}
