/**
 * The app's one query lane. DuckDB runs one statement at a time on a connection, so work is
 * queued and run in order; while something runs the status line shows a spinner, and esc
 * cancels it: the running statement through DuckDB's interrupt, the queued ones before they
 * start. Screens never wait on each other's stale work: see useQuery (latest wins).
 *
 * Background work (the audit the overview starts by itself) gives way to the user: a key that
 * queues a read interrupts it, the read runs, and the background job starts again from the top
 * once the lane has been quiet for a moment. It is lost work, but a page or a step is never
 * kept waiting behind seconds of audit.
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
  /** What runs (or waits) is background work only. */
  background: boolean;
}

export interface Interruptible {
  interrupt(): void;
}

export interface RunOptions {
  /** Gives way to any other job (interrupted, then run again when the lane is quiet). */
  background?: boolean;
}

interface Job {
  label: string;
  fn: () => Promise<unknown>;
  background: boolean;
  cancelled: boolean;
  /** Interrupted to let a foreground job through; runs again later. */
  preempted: boolean;
  /** A preempted job waits for this (performance.now()) before it starts again. */
  notBefore: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How long the lane must be quiet before preempted background work starts again. */
export const RESUME_AFTER_MS = 1000;
/** A preempted job between two statements does not see an interrupt: it is sent again. */
const REINTERRUPT_MS = 25;

export class QueryRunner {
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private readonly listeners = new Set<() => void>();
  private idlers: (() => void)[] = [];
  private state: RunnerState = { label: undefined, since: 0, queued: 0, background: false };
  private wake: ReturnType<typeof setTimeout> | undefined;
  private lastForeground = 0;

  constructor(
    private readonly conn: Interruptible,
    private readonly resumeAfterMs = RESUME_AFTER_MS,
  ) {}

  get busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  /** Runs fn after the work queued before it; rejects with Cancelled when esc stops it. */
  run<T>(label: string, fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const background = options.background ?? false;
      const job: Job = { label, fn, background, cancelled: false, preempted: false, notBefore: 0, resolve: resolve as (v: unknown) => void, reject };
      if (background) this.queue.push(job);
      else {
        // Foreground work goes before any background work that waits.
        const at = this.queue.findIndex((j) => j.background);
        this.queue.splice(at < 0 ? this.queue.length : at, 0, job);
        this.lastForeground = performance.now();
        if (this.running?.background) this.preempt(this.running);
      }
      this.publish();
      this.pump();
    });
  }

  /**
   * esc: stops the running statement and drops the queued ones; the user's work first (background
   * work is cancelled only when nothing else runs or waits, or when `all`). False when nothing
   * was running.
   */
  cancel(all = false): boolean {
    if (!this.busy) return false;
    const jobs = [...(this.running ? [this.running] : []), ...this.queue];
    const foreground = jobs.some((j) => !j.background);
    for (const job of jobs) if (all || job.background !== foreground) this.stop(job);
    // Queued jobs never started: they settle now.
    for (const job of this.queue.filter((j) => j.cancelled)) job.reject(new Cancelled());
    this.queue.splice(0, this.queue.length, ...this.queue.filter((j) => !j.cancelled));
    this.publish();
    this.pump();
    return true;
  }

  /** Settles when the work queued so far has ended (however it ended). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idlers.push(resolve));
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): RunnerState => this.state;

  private stop(job: Job): void {
    job.cancelled = true;
    if (job === this.running) this.conn.interrupt();
  }

  private preempt(job: Job): void {
    if (job.preempted) return;
    job.preempted = true;
    this.conn.interrupt();
  }

  private pump(): void {
    if (this.running) return;
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    const now = performance.now();
    const job = this.queue[0];
    if (!job) {
      const idlers = this.idlers;
      this.idlers = [];
      for (const f of idlers) f();
      return;
    }
    // Preempted background work waits for a quiet lane.
    const ready = job.background ? Math.max(job.notBefore, job.preempted ? this.lastForeground + this.resumeAfterMs : 0) : 0;
    if (ready > now) {
      this.wake = setTimeout(() => this.pump(), ready - now);
      this.wake.unref?.();
      return;
    }
    this.queue.shift();
    job.preempted = false;
    this.running = job;
    this.publish();
    void this.execute(job);
  }

  private async execute(job: Job): Promise<void> {
    // A job that was asked to stop while it was between two statements did not see the interrupt.
    const again = setInterval(() => {
      if (job.cancelled || job.preempted) this.conn.interrupt();
    }, REINTERRUPT_MS);
    try {
      job.resolve(await job.fn());
    } catch (error) {
      if (job.preempted && !job.cancelled) {
        job.notBefore = performance.now();
        this.queue.push(job);
      } else if (job.cancelled || /INTERRUPT Error/i.test(error instanceof Error ? error.message : '')) {
        // DuckDB says "INTERRUPT Error: Interrupted!" for a statement stopped by interrupt().
        job.reject(new Cancelled());
      } else job.reject(error);
    } finally {
      clearInterval(again);
      this.running = undefined;
      this.publish();
      this.pump();
    }
  }

  private publish(): void {
    const next = this.running ?? this.queue[0];
    const label = next?.label;
    const since = label === this.state.label && this.state.label !== undefined ? this.state.since : performance.now();
    const all = [...(this.running ? [this.running] : []), ...this.queue];
    this.state = { label, since, queued: this.queue.length, background: all.length > 0 && all.every((j) => j.background) };
    for (const l of this.listeners) l();
  }
}
