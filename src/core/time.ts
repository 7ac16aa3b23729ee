/**
 * `--at` (and `--diff`): which point of the log a replay stops at. Pure: the store's bounds come
 * in as plain values, so every form is tested without DuckDB.
 *
 * Forms:
 * - `seq:N`: every event with seq ≤ N (seq:0 is before the first event);
 * - an ISO 8601 time, `2025-08-26T10:31:05.123456789Z`, a space for the `T`, no offset = UTC,
 *   a date alone = its midnight; up to nine fractional digits, never rounded;
 * - a time of day, `10:31`, `10:31:05.123456`, on the store's day (only when the store spans one
 *   day, otherwise it is ambiguous and refused);
 * - seconds after midnight on the store's day, `34500.5` (LOBSTER's clock);
 * - relative to the first or last event: `start+5m`, `+5m` (= start+5m), `end-1m`, `-30s`
 *   (= end-30s), `start`, `end`; units ns, us (µs), ms, s, m, h, d, combinable (`1h30m`), with a
 *   decimal fraction (`1.5s`).
 *
 *
 * Market time: on a store whose sources keep a market's time zone (LOBSTER: New York, see
 * src/store/time-zones.ts), a time without an offset (`10:31`, `34500.5`,
 * `2012-06-21T10:31`) is that zone's wall clock, and the store's day is its day there; `Z` or an
 * offset still says UTC or that offset. Elsewhere a time without an offset is UTC. The cut
 * carries the zone so its label shows both clocks.
 *
 * A time T means every event with ts ≤ T (events without a time are not placed in time, so only
 * a seq cut includes them).
 */
import { UserError } from './errors.js';
import { formatLocalNs, localDate, wallToNs } from './time-zone.js';

export type At =
  | {
      kind: 'time';
      /** nanoseconds since the epoch, UTC */ ns: bigint;
      /** ISO text, nine fractional digits */ iso: string;
      input: string;
      /** The store's market time zone, when it has one: the cut is also shown on its clock. */
      zone?: string;
    }
  | { kind: 'seq'; seq: bigint; input: string };

/** What --at needs to know of the store: its time range and last seq (null when it has none). */
export interface StoreBounds {
  /** ISO text of the earliest / latest event time. */
  firstTs: string | null;
  lastTs: string | null;
  lastSeq: bigint | null;
  /**
   * The market time zones its sources keep (src/store/time-zones.ts): none, the store's times
   * without an offset are UTC; one, they are that zone's; several, they are refused.
   */
  timeZones?: readonly string[];
}

const NS_PER_S = 1_000_000_000n;
const NS_PER_DAY = 86_400n * NS_PER_S;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  min: 60n * NS_PER_S,
  h: 3_600n * NS_PER_S,
  d: NS_PER_DAY,
};

/** TIMESTAMP_NS is a signed 64-bit count of nanoseconds. */
const MIN_NS = -(2n ** 63n) + 1n;
const MAX_NS = 2n ** 63n - 1n;

const EXAMPLES = 'e.g. --at 2025-08-26T10:31:05.123Z, --at 10:31, --at +5m, --at end-30s, --at seq:1500000';

/** The text as it is shown to a user; `a` is the option name. */
function bad(option: string, input: string, why: string, hint = EXAMPLES): UserError {
  return new UserError(`${option} ${input}: ${why}`, hint);
}

/**
 * Parses an --at value against the store's bounds. `option` names the flag in errors
 * (`--at`, `--diff`). A seq past the last event is refused unless `pastEnd` is 'end': replay
 * answers it as it answers a time after the last event (the log's end, and a note saying so),
 * so `seq:` and a time behave alike there.
 */
export function parseAt(input: string, bounds: StoreBounds, option = '--at', pastEnd: 'refuse' | 'end' = 'refuse'): At {
  const text = input.trim();
  if (text === '') throw bad(option, JSON.stringify(input), 'empty');

  const seq = /^seq:\s*(\d+)$/i.exec(text);
  if (seq) {
    const n = BigInt(seq[1]!);
    if (pastEnd === 'refuse' && bounds.lastSeq !== null && n > bounds.lastSeq) {
      throw bad(option, text, `past the last event (seq ${bounds.lastSeq})`, `the store's events run from seq 1 to seq ${bounds.lastSeq}`);
    }
    if (bounds.lastSeq === null && n > 0n) throw bad(option, text, 'the store has no events', 'ingest something first');
    return { kind: 'seq', seq: n, input: text };
  }
  if (/^seq:/i.test(text)) throw bad(option, text, 'seq: needs a whole number', 'e.g. --at seq:1500000');

  const ns = parseTime(text, bounds, option);
  if (ns < MIN_NS || ns > MAX_NS) {
    throw bad(option, text, 'outside the range of nanosecond timestamps (years 1677 to 2262)', 'give a time inside the store\'s range (evtrail info shows it)');
  }
  const zone = storeZone(bounds);
  return { kind: 'time', ns, iso: formatIsoNs(ns), input: text, ...(zone ? { zone } : {}) };
}

/** The store's one market time zone, or undefined (none, or several). */
function storeZone(bounds: StoreBounds): string | undefined {
  return bounds.timeZones?.length === 1 ? bounds.timeZones[0] : undefined;
}

/**
 * The zone a time without an offset is read in: the store's market zone, or undefined for UTC;
 * refused when the store's sources keep different zones.
 */
function wallZone(bounds: StoreBounds, option: string, text: string): string | undefined {
  const zones = bounds.timeZones ?? [];
  if (zones.length > 1) {
    throw bad(option, text, `has no offset, and the store's sources are in ${zones.join(' and ')} time`, `give the offset, e.g. ${option} 2012-06-21T10:31-04:00, or Z for UTC`);
  }
  return zones[0];
}

/** A wall-clock reading in `zone` as an instant; a reading the clocks skipped is refused. */
function wallInstant(option: string, text: string, zone: string, date: string, seconds: number, fracNs: bigint): bigint {
  const r = wallToNs(date, seconds, fracNs, zone);
  if ('skipped' in r) throw bad(option, text, r.skipped, 'clocks changed then: give a time outside the skipped hour, or with an offset');
  return r.ns;
}

function parseTime(text: string, bounds: StoreBounds, option: string): bigint {
  // Relative to the first / last event.
  const rel = /^(start|end)?\s*(?:([+-])\s*(.+))?$/i.exec(text);
  if (rel && (rel[1] !== undefined || rel[2] !== undefined)) {
    const anchor = (rel[1]?.toLowerCase() ?? (rel[2] === '+' ? 'start' : 'end')) as 'start' | 'end';
    const base = anchor === 'start' ? bounds.firstTs : bounds.lastTs;
    if (base === null) throw bad(option, text, 'the store has no event times to count from', 'use --at seq:N, or ingest events with times');
    const baseNs = parseIsoNs(base);
    if (baseNs === null) throw new Error(`internal: store bound ${base} is not an ISO time`);
    if (rel[2] === undefined) return baseNs;
    const d = parseDuration(rel[3]!);
    if (d === null) throw bad(option, text, `${rel[3]} is not a duration`, 'durations are like 5m, 30s, 1h30m, 1.5s, 250ms (units ns, us, ms, s, m, h, d)');
    return rel[2] === '+' ? baseNs + d : baseNs - d;
  }

  // A full date (and time).
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) return isoInstant(text, text, bounds, option);

  // A time of day, or seconds after midnight, on the store's only day.
  const clock = /^\d{1,2}:\d{2}/.test(text);
  const seconds = /^\d+(?:\.\d+)?$/.test(text);
  if (clock || seconds) {
    const zone = clock && hasOffset(text) ? undefined : wallZone(bounds, option, text);
    const day = storeDay(bounds, option, text, zone);
    if (clock) return isoInstant(`${day}T${text.length >= 2 && text[1] === ':' ? '0' + text : text}`, text, bounds, option);
    const [whole, frac = ''] = text.split('.');
    if (frac.length > 9) throw bad(option, text, 'more than nine fractional digits (finer than a nanosecond)');
    const secs = BigInt(whole!);
    if (secs >= 86_400n) {
      throw bad(option, text, 'a bare number is read as seconds after midnight and must be below 86400', 'for another time give ISO 8601, e.g. --at 2025-08-26T10:31:05Z');
    }
    const fracNs = BigInt(frac.padEnd(9, '0'));
    if (zone) return wallInstant(option, text, zone, day, Number(secs), fracNs);
    return parseIsoNs(`${day}T00:00:00Z`)! + secs * NS_PER_S + fracNs;
  }
  throw bad(option, text, 'not a time or a seq');
}

/** Whether a time text ends in Z or an offset (±hh, ±hhmm, ±hh:mm). */
function hasOffset(text: string): boolean {
  return /(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$/.test(text.trim()) && !/^\d{4}-\d{2}-\d{2}$/.test(text.trim());
}

/** An ISO text (`full`; `text` is what the user wrote) as an instant: without an offset, on the store's market clock. */
function isoInstant(full: string, text: string, bounds: StoreBounds, option: string): bigint {
  const utc = parseIsoNs(full);
  if (utc === null) throw bad(option, text, isoProblem(full));
  if (hasOffset(full)) return utc;
  const zone = wallZone(bounds, option, text);
  if (!zone) return utc;
  // The same reading on the zone's clock: the UTC reading's day and time of day.
  const dayNs = parseIsoNs(full.slice(0, 10))!;
  const within = utc - dayNs;
  return wallInstant(option, text, zone, full.slice(0, 10), Number(within / NS_PER_S), within % NS_PER_S);
}

/** The store's single day (in its market zone, else UTC), for a time given without a date. */
function storeDay(bounds: StoreBounds, option: string, text: string, zone?: string): string {
  if (bounds.firstTs === null || bounds.lastTs === null) {
    throw bad(option, text, 'has no date and the store has no event times to take it from', 'give a full time, e.g. --at 2025-08-26T10:31:05Z, or --at seq:N');
  }
  const dayOf = (iso: string) => (zone ? localDate(parseIsoNs(iso)!, zone) : iso.slice(0, 10));
  const first = dayOf(bounds.firstTs);
  const last = dayOf(bounds.lastTs);
  if (first !== last) {
    throw bad(option, text, `has no date and the store spans ${first} to ${last}`, `give the date, e.g. --at ${first}T${/^\d+(\.\d+)?$/.test(text) ? '10:31' : text}`);
  }
  return first;
}

/** A reason an ISO-looking text was refused. */
function isoProblem(text: string): string {
  if (/[.,]\d{10,}/.test(text)) return 'more than nine fractional digits (finer than a nanosecond)';
  return 'not a valid ISO 8601 time';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * ISO 8601 / RFC 3339 text as nanoseconds since the epoch, or null when it is not a valid
 * time (including a fraction finer than a nanosecond, a day that does not exist, an offset
 * beyond ±23:59).
 */
export function parseIsoNs(text: string): bigint | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const dayMs = BigInt(date.getTime());
  const seconds = BigInt(hour * 3600 + minute * 60 + second - offsetMin * 60);
  return dayMs * 1_000_000n + seconds * NS_PER_S + BigInt(frac.padEnd(9, '0'));
}

/** Nanoseconds since the epoch as ISO 8601 UTC with nine fractional digits (like evt_iso). */
export function formatIsoNs(ns: bigint): string {
  let secs = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    secs -= 1n;
  }
  const date = new Date(Number(secs) * 1000);
  const year = date.getUTCFullYear();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? '-' : '+') + pad(Math.abs(year), 6);
  return `${y}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${frac.toString().padStart(9, '0')}Z`;
}

/**
 * A duration like `5m`, `1h30m`, `1.5s`, `250ms`, `2min` in nanoseconds (a bare `0` too); null
 * when it is not one or is finer than a nanosecond. The one duration grammar: `--at` offsets,
 * trace's `--skew-tolerance` / `--stuck-after` and rule parameters (`--param timeout=1h30m`).
 */
export function parseDuration(text: string): bigint | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^0+$/.test(t)) return 0n; // none needs no unit
  const part = /(\d+)(?:\.(\d+))?\s*(ns|us|µs|ms|min|s|m|h|d)/gy;
  let total = 0n;
  let at = 0;
  for (let m = part.exec(t); m; m = part.exec(t)) {
    const unit = UNIT_NS[m[3]!]!;
    const frac = m[2] ?? '';
    const scale = 10n ** BigInt(frac.length);
    const fracNs = BigInt(frac || '0') * unit;
    if (fracNs % scale !== 0n) return null;
    total += BigInt(m[1]!) * unit + fracNs / scale;
    at = part.lastIndex;
  }
  return at === t.length && at > 0 ? total : null;
}

/** The cut as a SQL condition on the events table (alias-free column names). */
export function atCondition(at: At): string {
  return at.kind === 'seq' ? `seq <= ${at.seq}` : `ts <= ${timeLiteral(at.iso)}`;
}

/** A TIMESTAMP_NS literal for an ISO text this module produced (digits and separators only). */
export function timeLiteral(iso: string): string {
  if (!/^[0-9T:.\-+Z]+$/.test(iso)) throw new Error(`internal: not a formatted time: ${iso}`);
  return `'${iso.replace('T', ' ').replace(/Z$/, '')}'::TIMESTAMP_NS`;
}

/**
 * The cut in a --json head: `at` (ISO UTC, or seq:N), and on a store with a market zone
 * `atLocal` (its clock, with the offset) and `timeZone`.
 */
export function atFields(at: At): { at: string; atLocal?: string; timeZone?: string } {
  if (at.kind === 'seq') return { at: `seq:${at.seq}` };
  return at.zone ? { at: at.iso, atLocal: formatLocalNs(at.ns, at.zone), timeZone: at.zone } : { at: at.iso };
}

/**
 * The last event, when the cut lies after it (a time after the last event's, a seq past the last
 * one): the answer is then the log's end, which a user who typed a later time should be told
 * (replay says it in a note and in --json's `afterLastEvent`). null when the cut is inside the log.
 */
export function afterLastEvent(at: At, bounds: StoreBounds): { ts: string; seq: bigint } | null {
  if (bounds.lastTs === null || bounds.lastSeq === null) return null;
  const past = at.kind === 'seq' ? at.seq > bounds.lastSeq : at.ns > isoToNs(bounds.lastTs);
  return past ? { ts: bounds.lastTs, seq: bounds.lastSeq } : null;
}

/**
 * How the cut is shown: the ISO time, or seq:N; on a store with a market zone the zone's
 * clock first, then UTC: `2012-06-21T10:31:00.000000000-04:00 America/New_York (2012-06-21T14:31:00.000000000Z)`.
 */
export function atLabel(at: At): string {
  if (at.kind === 'seq') return `seq:${at.seq}`;
  return at.zone ? `${formatLocalNs(at.ns, at.zone)} ${at.zone} (${at.iso})` : at.iso;
}

// Latencies (trace, the UI): differences of TIMESTAMP_NS values, kept as bigint so a hop of
// 3 ns next to a saga of hours is never rounded.

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;

/** ISO 8601 UTC text → ns since the epoch. The store hands trace epoch_ns directly; this is for crafted inputs and tests. */
export function isoToNs(iso: string): bigint {
  const ns = parseIsoNs(iso);
  if (ns === null) throw new RangeError(`not a valid ISO 8601 time: ${iso}`);
  return ns;
}

/** ns since the epoch → ISO 8601 UTC with nine fractional digits (the store's evt_iso). */
export const nsToIso = formatIsoNs;

/**
 * A Date as every instant evtrail prints or saves: RFC 3339 UTC, nine digits, Z (the digits below
 * the ms are 0). Not Date#toISOString, whose three digits would make one field two formats.
 */
export function dateIso(date: Date): string {
  return formatIsoNs(BigInt(date.getTime()) * NS_PER_MS);
}

/** The clock's time in the one format (dateIso). */
export function nowIso(): string {
  return dateIso(new Date());
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

/**
 * formatDuration as DuckDB macros, for text built in SQL (the audit rules' messages):
 * `evt_duration(ns)` gives what formatDuration gives for the same ns. Kept here, beside the
 * function it mirrors; test/unit/core-time-sql.test.ts runs both on the same values.
 * HUGEINT so that scaling a large ns cannot overflow.
 */
export const DURATION_SQL_MACROS = `
CREATE OR REPLACE TEMP MACRO evt_fixed(ns, unit, scale) AS
  ((ns::HUGEINT * scale + unit // 2) // unit // scale)::VARCHAR
  || rtrim(rtrim('.' || lpad((((ns::HUGEINT * scale + unit // 2) // unit) % scale)::VARCHAR, (length(scale::VARCHAR) - 1)::INTEGER, '0'), '0'), '.');
CREATE OR REPLACE TEMP MACRO evt_duration_abs(ns) AS CASE
  WHEN ns < 1000 THEN ns::HUGEINT::VARCHAR || ' ns'
  WHEN ns < 1000000 THEN evt_fixed(ns, 1000, 10) || ' µs'
  WHEN ns < 1000000000 THEN evt_fixed(ns, 1000000, 1000) || ' ms'
  WHEN ns < 60000000000 THEN evt_fixed(ns, 1000000000, 1000) || ' s'
  WHEN ns < 3600000000000 THEN (ns::HUGEINT // 60000000000)::VARCHAR || 'm ' || lpad((ns::HUGEINT // 1000000000 % 60)::VARCHAR, 2, '0') || 's'
  WHEN ns < 86400000000000 THEN (ns::HUGEINT // 3600000000000)::VARCHAR || 'h ' || lpad((ns::HUGEINT // 60000000000 % 60)::VARCHAR, 2, '0') || 'm'
  ELSE (ns::HUGEINT // 86400000000000)::VARCHAR || 'd ' || lpad((ns::HUGEINT // 3600000000000 % 24)::VARCHAR, 2, '0') || 'h' END;
CREATE OR REPLACE TEMP MACRO evt_duration(ns) AS
  CASE WHEN ns IS NULL THEN NULL WHEN ns < 0 THEN '-' || evt_duration_abs(-(ns::HUGEINT)) ELSE evt_duration_abs(ns) END;
`;
