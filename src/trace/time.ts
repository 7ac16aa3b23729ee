/**
 * Nanosecond time for trace: latencies are differences of TIMESTAMP_NS values, kept as bigint
 * so a hop of 3 ns next to a saga of hours is never rounded.
 */

import { formatIsoNs, parseDuration as parseReplayDuration, parseIsoNs } from '../replay/at.js';

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** ISO 8601 UTC text → ns since the epoch (replay's parser). The store hands trace epoch_ns directly; this is for crafted inputs and tests. */
export function isoToNs(iso: string): bigint {
  const ns = parseIsoNs(iso);
  if (ns === null) throw new RangeError(`not a valid ISO 8601 time: ${iso}`);
  return ns;
}

/** ns since the epoch → ISO 8601 UTC with nine fractional digits (the store's evt_iso). */
export const nsToIso = formatIsoNs;

function fixed(ns: bigint, unit: bigint, digits: number): string {
  // Exact decimal: integer part and a rounded fraction, no float in between.
  const scale = 10n ** BigInt(digits);
  const scaled = (ns * scale + unit / 2n) / unit;
  const int = scaled / scale;
  const frac = (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${int}.${frac}` : `${int}`;
}

/**
 * A latency for people: 850 ns, 12.5 µs, 3.207 ms, 2.33 s, 4m 05s, 2h 10m. Negative values (an
 * effect before its cause) keep their sign.
 */
export function formatDuration(ns: bigint): string {
  if (ns < 0n) return `-${formatDuration(-ns)}`;
  if (ns < NS_PER_US) return `${ns} ns`;
  if (ns < NS_PER_MS) return `${fixed(ns, NS_PER_US, 1)} µs`;
  if (ns < NS_PER_S) return `${fixed(ns, NS_PER_MS, 3)} ms`;
  if (ns < 60n * NS_PER_S) return `${fixed(ns, NS_PER_S, 3)} s`;
  const totalS = ns / NS_PER_S;
  if (totalS < 3600n) return `${totalS / 60n}m ${String(totalS % 60n).padStart(2, '0')}s`;
  if (totalS < 86400n) return `${totalS / 3600n}h ${String((totalS / 60n) % 60n).padStart(2, '0')}m`;
  return `${totalS / 86400n}d ${String((totalS / 3600n) % 24n).padStart(2, '0')}h`;
}

/**
 * '1s', '250ms', '1.5s', '40us', '1h30m' → ns (replay's duration grammar), and a bare '0' (no unit
 * needed for none); undefined when the text is not a duration.
 */
export function parseDuration(text: string): bigint | undefined {
  if (/^\s*0+\s*$/.test(text)) return 0n;
  return parseReplayDuration(text) ?? undefined;
}
