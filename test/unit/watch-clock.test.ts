/** The clock a watch measures silence against (src/watch/clock.ts), on a clock of the test's own. */
import { describe, expect, it } from 'vitest';
import { WatchClock } from '../../src/watch/clock.js';

const S = 1_000_000_000n;

describe('WatchClock', () => {
  it('live: the end of the log, running on with the wall clock while the end does not move', () => {
    let now = 1_000;
    const clock = new WatchClock('live', () => now);
    expect(clock.end(100n * S)).toBe(100n * S);
    now += 2_500; // 2.5 s without a new event
    expect(clock.end(100n * S)).toBe(102n * S + S / 2n);
    now += 500; // a newer event: the log's end again
    expect(clock.end(110n * S)).toBe(110n * S);
    now += 1_000; // a late event older than the running clock: the clock does not go back
    expect(clock.end(105n * S)).toBe(111n * S);
    expect(clock.runs).toBe(true);
  });

  it('log: the end of the log only; wall: the wall clock', () => {
    let now = 5_000;
    const log = new WatchClock('log', () => now);
    expect(log.end(100n * S)).toBe(100n * S);
    now += 10_000;
    expect(log.end(100n * S)).toBe(100n * S);
    expect(log.runs).toBe(false);
    const wall = new WatchClock('wall', () => now);
    expect(wall.end(100n * S)).toBe(15n * S);
  });
});
