/**
 * The time a watch judges silence against (saga-incomplete's timeout and every rule that
 * measures how long a stream has gone without news): `--clock`.
 *
 * - live (default): the log's clock, running on with the wall clock while no event comes: the
 *   end of the log plus the time since that end was first seen. A stuck saga is raised when its
 *   timeout has passed, though no event arrives, and a log replayed from the past is judged on
 *   its own clock (an old file is not all stuck at once).
 * - log: the end of the log (the latest event time), as `evtrail audit` judges: nothing becomes
 *   stuck until a later event moves the end.
 * - wall: the wall clock (UTC): for producers whose clocks are this machine's; a log from the
 *   past is stuck as a whole.
 *
 * The clock never goes back: a late event (older than the running clock) does not undo the
 * time that passed.
 */
export const CLOCKS = ['live', 'log', 'wall'] as const;
export type ClockKind = (typeof CLOCKS)[number];

const NS_PER_MS = 1_000_000n;

export class WatchClock {
  private seenEnd: bigint | null = null;
  private seenAt = 0;
  private last: bigint | null = null;

  constructor(
    readonly kind: ClockKind,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The end to judge against, given the latest event time in the store (ns since the epoch, null when none has a time). */
  end(logEnd: bigint | null): bigint | null {
    let end: bigint | null;
    if (this.kind === 'wall') end = BigInt(this.nowMs()) * NS_PER_MS;
    else if (logEnd === null) end = null;
    else if (this.kind === 'log') end = logEnd;
    else {
      if (this.seenEnd === null || logEnd > this.seenEnd) {
        this.seenEnd = logEnd;
        this.seenAt = this.nowMs();
      }
      end = this.seenEnd + BigInt(Math.max(0, this.nowMs() - this.seenAt)) * NS_PER_MS;
    }
    if (end !== null && this.last !== null && end < this.last) end = this.last;
    if (end !== null) this.last = end;
    return end;
  }

  /** Whether the end can move without a new event (then a quiet watch still looks for crossings). */
  get runs(): boolean {
    return this.kind !== 'log';
  }
}
