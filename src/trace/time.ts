/**
 * Nanosecond time for trace: latencies are differences of TIMESTAMP_NS values, kept as bigint
 * so a hop of 3 ns next to a saga of hours is never rounded.
 */

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/**
 * ISO 8601 / RFC 3339 UTC text with up to nine fractional digits ('Z' or no offset) → ns since
 * the epoch. The store hands trace epoch_ns directly; this is for crafted inputs and tests.
 */
export function isoToNs(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z?$/.exec(iso);
  if (!m) throw new RangeError(`not a UTC timestamp with at most 9 fractional digits: ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a valid time: ${iso}`);
  return BigInt(ms) * NS_PER_MS + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** ns since the epoch → ISO 8601 UTC with nine fractional digits (the store's evt_iso). */
export function nsToIso(ns: bigint): string {
  const s = ns >= 0n ? ns / NS_PER_S : -((-ns + NS_PER_S - 1n) / NS_PER_S);
  const frac = ns - s * NS_PER_S;
  return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

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

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: NS_PER_US,
  µs: NS_PER_US,
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** '1s', '250ms', '1.5s', '40us', '0' → ns; undefined when the text is not a duration. */
export function parseDuration(text: string): bigint | undefined {
  const m = /^\s*(\d+)(?:\.(\d{1,9}))?\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[3] ? UNITS[m[3]] : undefined;
  if (unit === undefined) return m[1] !== undefined && /^0+$/.test(m[1]) && !m[2] ? 0n : undefined;
  const frac = m[2] ?? '';
  const value = BigInt(m[1]!) * unit + (BigInt(frac.padEnd(9, '0')) * unit) / NS_PER_S;
  return value;
}
