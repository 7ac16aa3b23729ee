/**
 * The watch's flags read with zod (src/cli/flags.ts), for `evtrail watch` and `evtrail ui
 * --watch` alike; declared in ./watch-flags.ts. Loaded inside the actions: --help loads no zod.
 */
import { z } from 'zod';
import { duration } from '../core/flags.js';
import { CLOCKS } from '../watch/clock.js';
import type { SettleFlag } from '../watch/session.js';
import { choiceFlag, durationMsFlag, repeatedFlag } from './flags.js';

/**
 * `--settle DURATION` (every rule whose findings settle) or `--settle RULE=DURATION`: the rule
 * is checked against the watch's rules by openWatch, which has the catalog.
 */
export function settleFlag(value: string): SettleFlag {
  const eq = value.indexOf('=');
  const rule = eq < 0 ? '*' : value.slice(0, eq).trim();
  const text = eq < 0 ? value : value.slice(eq + 1);
  return { value, rule, ns: duration('--settle', text, 'e.g. --settle 5s or --settle compensation-missing=30s') };
}

const interval = durationMsFlag('--interval', 'e.g. --interval 250ms');
const clock = choiceFlag('--clock', CLOCKS, 'a clock', `one of ${CLOCKS.join(', ')} (live: stuck sagas are raised when their timeout passes, though no event comes)`);
const settle = repeatedFlag(settleFlag);

/** --interval, --clock and --settle, as `ui --watch` takes them. */
export const watchSetupSchema = z.object({ interval, clock, settle });

/** `evtrail watch`'s: the same, and its health lines and bounded follow (in the order they were always checked). */
export const watchCommandSchema = z.object({
  interval,
  healthEvery: durationMsFlag('--health-every', 'e.g. --health-every 5s'),
  stopAfter: durationMsFlag('--stop-after', 'e.g. --stop-after 30s').optional(),
  clock,
  settle,
});
