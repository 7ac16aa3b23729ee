/**
 * The app's one query lane. DuckDB runs one statement at a time on a connection, so work is
 * queued and run in order; while something runs the status line shows a spinner, and esc
 * cancels it: the running statement through DuckDB's interrupt, the queued ones before they
 * start. Screens never wait on each other's stale work: see useQuery (latest wins).
 */
export class Cancelled extends Error {
  override readonly name = 'Cancelled';
  constructor() {
    super('cancelled');
  }
}

export interface RunnerState {
  /** What runs now (undefined when idle). */
  label: string | undefined;
  /** When it started (performance.now()). */
  since: number;
  /** Jobs queued behind it. */
  queued: number;
}

export interface Interruptible {
  interrupt(): void;
}

interface Job {
  label: string;
  cancelled: boolean;
}

export class QueryRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private running: Job | undefined;
  private readonly pending = new Set<Job>();
  private readonly listeners = new Set<() => void>();
  private state: RunnerState = { label: undefined, since: 0, queued: 0 };

  constructor(private readonly conn: Interruptible) {}

  get busy(): boolean {
    return this.running !== undefined || this.pending.size > 0;
  }

  /** Runs fn after the work queued before it; rejects with Cancelled when esc stops it. */
  run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const job: Job = { label, cancelled: false };
    this.pending.add(job);
    this.publish();
    const result = this.chain.then(async () => {
      this.pending.delete(job);
      if (job.cancelled) throw new Cancelled();
      this.running = job;
      this.publish();
      try {
        return await fn();
      } catch (error) {
        // DuckDB says "INTERRUPT Error: Interrupted!" for a statement stopped by interrupt().
        if (job.cancelled || /^INTERRUPT Error/i.test(error instanceof Error ? error.message : '')) throw new Cancelled();
        throw error;
      } finally {
        this.running = undefined;
        this.publish();
      }
    });
    // The chain goes on whatever this job did.
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Stops the running statement and drops the queued ones; false when nothing was running. */
  cancel(): boolean {
    if (!this.busy) return false;
    for (const job of this.pending) job.cancelled = true;
    if (this.running) {
      this.running.cancelled = true;
      this.conn.interrupt();
    }
    return true;
  }

  /** Settles when the work queued so far has ended (however it ended). */
  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): RunnerState => this.state;

  private publish(): void {
    const label = this.running?.label ?? [...this.pending][0]?.label;
    const since = label === this.state.label && this.state.label !== undefined ? this.state.since : performance.now();
    this.state = { label, since, queued: this.pending.size };
    for (const l of this.listeners) l();
  }
}
