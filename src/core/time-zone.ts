/**
 * Exchange (market) time: a wall-clock reading on a day in an IANA time zone, as LOBSTER's
 * "seconds after midnight" are, turned into true instants and back. Pure, with Node's own ICU
 * time zone data (Intl); the integration tests check the results against DuckDB's icu
 * extension (`timezone(zone, ts)`).
 *
 * A wall-clock reading is not always one instant: on the day clocks go forward the skipped
 * readings (02:00–02:59:59 in New York) name no instant and are refused; on the day they go back
 * the repeated readings (01:00–01:59:59) name two, and the earlier one (still daylight time) is
 * taken, as ICU and java.time do. Exchanges do not trade at those hours; a record there is said
 * so by its reject reason (skipped) or documented (repeated).
 */
import { UserError } from './errors.js';

/** NASDAQ's (and LOBSTER's) zone: America/New_York. */
export const LOBSTER_TIME_ZONE = 'America/New_York';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's IANA name as Node knows it; a UserError naming the option for a zone that does not exist. */
export function checkTimeZone(zone: string, option = '--tz'): string {
  if (zone.trim() === '') throw new UserError(`${option} needs a time zone`, 'e.g. --tz America/New_York (an IANA time zone name)');
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw new UserError(`${option} ${zone}: not a time zone`, 'give an IANA time zone name, e.g. America/New_York, Europe/London, Asia/Tokyo, UTC');
  }
}

/** The wall clock in `zone` at an instant (whole seconds since the epoch). */
function wallAt(epochS: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(epochS * 1000))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute!, s: parts.second! };
}

/** The zone's offset from UTC at an instant, in seconds east (New York in summer: -14400). */
export function offsetAt(epochS: number, zone: string): number {
  const w = wallAt(epochS, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) / 1000 - epochS;
}

/** Readings [from, to) of a day's wall clock, in seconds after midnight, at one offset. */
export interface WallSpan {
  from: number;
  to: number;
  /** Seconds east of UTC: instant = midnight (as if UTC) + reading - offset. */
  offset: number;
}

/** How a day's wall-clock readings map to instants. */
export interface DayClock {
  /** Readings that name an instant, with the offset that does it (one span on most days). */
  spans: WallSpan[];
  /** Readings that name no instant (clocks jumped over them). */
  skipped: { from: number; to: number }[];
  /** Readings that occur twice (clocks went back over them); spans give the earlier instant. */
  repeated: { from: number; to: number }[];
}

const DAY_S = 86_400;

/**
 * The day's wall clock in `zone`: which readings (seconds after midnight) exist, at which
 * offset. `date` is YYYY-MM-DD. Offset changes are found by stepping a window around the day in
 * quarter hours and narrowing each change to the second.
 */
export function dayClock(date: string, zone: string): DayClock {
  const midnight = Date.parse(`${date}T00:00:00Z`) / 1000;
  const transitions: { at: number; before: number; after: number }[] = [];
  const lo = midnight - DAY_S;
  const hi = midnight + 2 * DAY_S;
  let prev = offsetAt(lo, zone);
  for (let t = lo + 900; t <= hi; t += 900) {
    const cur = offsetAt(t, zone);
    if (cur === prev) continue;
    let a = t - 900; // offset prev at a, cur at b
    let b = t;
    while (b - a > 1) {
      const m = Math.floor((a + b) / 2);
      if (offsetAt(m, zone) === prev) a = m;
      else b = m;
    }
    transitions.push({ at: b, before: prev, after: cur });
    prev = cur;
  }
  const spans: WallSpan[] = [];
  const skipped: DayClock['skipped'] = [];
  const repeated: DayClock['repeated'] = [];
  const clip = (from: number, to: number) => ({ from: Math.max(0, from), to: Math.min(DAY_S, to) });
  let start = -Infinity;
  let offset = offsetAt(lo, zone);
  for (const tr of transitions) {
    const lastBefore = tr.at - midnight + tr.before; // first reading the old offset no longer reaches
    const firstAfter = tr.at - midnight + tr.after; // first reading of the new offset
    spans.push({ ...clip(start, lastBefore), offset });
    if (firstAfter > lastBefore) skipped.push(clip(lastBefore, firstAfter));
    else repeated.push(clip(firstAfter, lastBefore));
    start = Math.max(lastBefore, firstAfter);
    offset = tr.after;
  }
  spans.push({ ...clip(start, Infinity), offset });
  const nonEmpty = <T extends { from: number; to: number }>(xs: T[]) => xs.filter((x) => x.to > x.from);
  return { spans: nonEmpty(spans), skipped: nonEmpty(skipped), repeated: nonEmpty(repeated) };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A reading in seconds after midnight as HH:MM:SS. */
export function clockText(seconds: number): string {
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

/**
 * A wall-clock reading on `date` in `zone` (whole seconds after midnight plus nanoseconds) as
 * nanoseconds since the epoch; a UserError-ready reason when the reading was skipped.
 */
export function wallToNs(date: string, seconds: number, fracNs: bigint, zone: string): { ns: bigint } | { skipped: string } {
  const clock = dayClock(date, zone);
  const span = clock.spans.find((s) => seconds >= s.from && seconds < s.to);
  if (!span) {
    const gap = clock.skipped.find((s) => seconds >= s.from && seconds < s.to);
    return { skipped: `${clockText(seconds)} does not exist in ${zone} on ${date}${gap ? ` (clocks jumped from ${clockText(gap.from)} to ${clockText(gap.to)})` : ''}` };
  }
  const midnightNs = BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
  return { ns: midnightNs + BigInt(seconds - span.offset) * 1_000_000_000n + fracNs };
}

/** The calendar day (YYYY-MM-DD) in `zone` at an instant (nanoseconds since the epoch). */
export function localDate(ns: bigint, zone: string): string {
  const w = wallAt(Number(floorDiv(ns, 1_000_000_000n)), zone);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * An instant as the zone's wall clock with nine fractional digits and the offset in force,
 * `2012-06-21T10:31:00.000000000-04:00`: exact, and unambiguous even in a repeated hour.
 */
export function formatLocalNs(ns: bigint, zone: string): string {
  const secs = floorDiv(ns, 1_000_000_000n);
  const frac = ns - secs * 1_000_000_000n;
  const w = wallAt(Number(secs), zone);
  const off = offsetAt(Number(secs), zone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}.${frac.toString().padStart(9, '0')}${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}
