/**
 * The values flags take, read in one place with one message each: a whole number (optionally
 * within a range) and a duration (core/time.ts's one grammar). Bad input is one line naming the
 * flag and what it was given, with a hint (`UserError`): `--limit lots: expected a whole number`.
 *
 * Plain functions, no schema library: features that still read their own flags import these,
 * and so do the zod schemas of the command line (src/cli/flags.ts), so the wording cannot drift.
 * (zod costs a process about 70 ms of CPU to load; a feature reading a number itself, e.g. a
 * rule parameter, need not pay that.)
 */
import { UserError } from './errors.js';
import { parseDuration } from './time.js';

export interface WholeNumberRule {
  /** The smallest value allowed (default 0). */
  min?: number;
  /** The largest value allowed (default: the largest safe integer). */
  max?: number;
  /** The hint, e.g. `e.g. --limit 50`. */
  hint: string;
}

/** Why `text` is not a whole number under `rule`, or null when it is one. */
function wholeNumberProblem(text: string, rule: Omit<WholeNumberRule, 'hint'>): string | null {
  const min = rule.min ?? 0;
  const n = Number(text.trim());
  // Digits only: Number() alone would take '', '1e3', '0x10' and '5.0'.
  if (/^\d+$/.test(text.trim()) && Number.isSafeInteger(n) && n >= min && (rule.max === undefined || n <= rule.max)) return null;
  if (rule.max !== undefined) return `expected a whole number from ${min} to ${rule.max}`;
  return min > 0 ? `expected a whole number from ${min}` : 'expected a whole number';
}

/** `--flag TEXT` as a whole number (digits only, a safe integer, in range), or a UserError. */
export function wholeNumber(flag: string, text: string, rule: WholeNumberRule): number {
  const problem = wholeNumberProblem(text, rule);
  if (problem !== null) throw new UserError(`${flag} ${text}: ${problem}`, rule.hint);
  return Number(text.trim());
}

/** `--flag TEXT` as a duration in nanoseconds (5m, 30s, 1h30m, 1.5s, 250ms), or a UserError. */
export function duration(flag: string, text: string, hint: string): bigint {
  const ns = parseDuration(text);
  if (ns === null) throw new UserError(`${flag} ${text}: not a duration`, hint);
  return ns;
}
