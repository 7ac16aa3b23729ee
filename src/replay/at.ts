/**
 * `--at` (and `--diff`): which point of the log a replay stops at. Pure: the store's bounds come
 * in as plain values, so every form is tested without DuckDB.
 *
 * Forms:
 * - `seq:N`: every event with seq ≤ N (seq:0 is before the first event);
 * - an ISO 8601 time, `2025-08-26T10:31:05.123456789Z`, a space for the `T`, no offset = UTC,
 *   a date alone = its midnight; up to nine fractional digits, never rounded;
 * - a time of day, `10:31`, `10:31:05.123456`, on the store's day (only when the store spans one
 *   UTC day, otherwise it is ambiguous and refused);
 * - seconds after midnight on the store's day, `34500.5` (LOBSTER's clock);
 * - relative to the first or last event: `start+5m`, `+5m` (= start+5m), `end-1m`, `-30s`
 *   (= end-30s), `start`, `end`; units ns, us (µs), ms, s, m, h, d, combinable (`1h30m`), with a
 *   decimal fraction (`1.5s`).
 *
 * A time T means every event with ts ≤ T (events without a time are not placed in time, so only
 * a seq cut includes them).
 */
import { UserError } from '../core/errors.js';

export type At =
  | { kind: 'time'; /** nanoseconds since the epoch, UTC */ ns: bigint; /** ISO text, nine fractional digits */ iso: string; input: string }
  | { kind: 'seq'; seq: bigint; input: string };

/** What --at needs to know of the store: its time range and last seq (null when it has none). */
export interface StoreBounds {
  /** ISO text of the earliest / latest event time. */
  firstTs: string | null;
  lastTs: string | null;
  lastSeq: bigint | null;
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
 * (`--at`, `--diff`).
 */
export function parseAt(input: string, bounds: StoreBounds, option = '--at'): At {
  const text = input.trim();
  if (text === '') throw bad(option, JSON.stringify(input), 'empty');

  const seq = /^seq:\s*(\d+)$/i.exec(text);
  if (seq) {
    const n = BigInt(seq[1]!);
    if (bounds.lastSeq !== null && n > bounds.lastSeq) {
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
  return { kind: 'time', ns, iso: formatIsoNs(ns), input: text };
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
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ns = parseIsoNs(text);
    if (ns === null) throw bad(option, text, isoProblem(text));
    return ns;
  }

  // A time of day, or seconds after midnight, on the store's only day.
  const clock = /^\d{1,2}:\d{2}/.test(text);
  const seconds = /^\d+(?:\.\d+)?$/.test(text);
  if (clock || seconds) {
    const day = storeDay(bounds, option, text);
    if (clock) {
      const ns = parseIsoNs(`${day}T${text.length >= 2 && text[1] === ':' ? '0' + text : text}`);
      if (ns === null) throw bad(option, text, isoProblem(`${day}T${text}`));
      return ns;
    }
    const [whole, frac = ''] = text.split('.');
    if (frac.length > 9) throw bad(option, text, 'more than nine fractional digits (finer than a nanosecond)');
    const secs = BigInt(whole!);
    if (secs >= 86_400n) {
      throw bad(option, text, 'a bare number is read as seconds after midnight and must be below 86400', 'for another time give ISO 8601, e.g. --at 2025-08-26T10:31:05Z');
    }
    return parseIsoNs(`${day}T00:00:00Z`)! + secs * NS_PER_S + BigInt(frac.padEnd(9, '0'));
  }
  throw bad(option, text, 'not a time or a seq');
}

/** The store's single UTC day, for a time given without a date. */
function storeDay(bounds: StoreBounds, option: string, text: string): string {
  if (bounds.firstTs === null || bounds.lastTs === null) {
    throw bad(option, text, 'has no date and the store has no event times to take it from', 'give a full time, e.g. --at 2025-08-26T10:31:05Z, or --at seq:N');
  }
  const first = bounds.firstTs.slice(0, 10);
  const last = bounds.lastTs.slice(0, 10);
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
 * A duration like `5m`, `1h30m`, `1.5s`, `250ms` in nanoseconds; null when it is not one or is
 * finer than a nanosecond.
 */
export function parseDuration(text: string): bigint | null {
  const t = text.trim();
  if (t === '') return null;
  const part = /(\d+)(?:\.(\d+))?\s*(ns|us|µs|ms|s|m|h|d)/gy;
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

/** How the cut is shown: the ISO time, or seq:N. */
export function atLabel(at: At): string {
  return at.kind === 'seq' ? `seq:${at.seq}` : at.iso;
}
