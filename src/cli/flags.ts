/**
 * Flags as zod schemas: a command (src/cli/commands/X.ts) says what each flag's text must be,
 * `parseFlags` reads them all and hands the feature typed options (`runX(options)`). The values
 * are read by src/core/flags.ts, so a flag reads the same, with the same one-line message and
 * hint, whether a command reads it here or a feature still reads it itself.
 *
 * Loaded only when a command runs (`await import('../flags.js')` in its action): zod costs a
 * process about 70 ms of CPU, which `--help` does not pay.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { duration, wholeNumber, type WholeNumberRule } from '../core/flags.js';

/**
 * A flag's value (as `base` takes it) read by `read`; its UserError becomes the schema's issue,
 * its hint kept. For a flag a feature reads with its own pure function (`export --format`'s
 * `parseExportFormat`, which also says when it is missing).
 */
export function flagOf<S extends z.ZodType, T>(base: S, read: (value: z.output<S>) => T) {
  return base.transform((value, ctx): T => {
    try {
      return read(value);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, params: { hint: error.hint } });
      return z.NEVER;
    }
  });
}

/** A flag's text read by `read` (`schema compat --mode`'s `parseMode`). */
export function textFlag<T>(read: (text: string) => T) {
  return flagOf(z.string(), read);
}

/**
 * A flag a feature reads itself, its message and hint its own (`report --out`: the extension
 * names the format, the folder must exist); `read` gets undefined when the flag is absent.
 */
export function featureFlag<T>(read: (text: string | undefined) => T) {
  return flagOf(z.string().optional(), read);
}

/** `--flag N`: digits only, a safe integer, within the rule's range. */
export function wholeNumberFlag(flag: string, rule: WholeNumberRule) {
  return textFlag((text) => wholeNumber(flag, text, rule));
}

/** `--flag 1h30m`: a duration in nanoseconds (core/time.ts's grammar). */
export function durationFlag(flag: string, hint: string) {
  return textFlag((text) => duration(flag, text, hint));
}

/** `--flag 250ms`: a duration in whole milliseconds (a timer's unit). */
export function durationMsFlag(flag: string, hint: string) {
  return textFlag((text) => Number(duration(flag, text, hint) / 1_000_000n));
}

/** `--flag NAME`, one of `choices` (`--clock soon: not a clock`, the hint naming them). */
export function choiceFlag<const C extends string>(flag: string, choices: readonly C[], what: string, hint: string) {
  return textFlag((text): C => {
    const choice = choices.find((c) => c === text);
    if (choice === undefined) throw new UserError(`${flag} ${text}: not ${what}`, hint);
    return choice;
  });
}

/** A repeatable `--flag TEXT` (commander's `collect`), each value read by `read`; absent stays absent. */
export function repeatedFlag<T>(read: (text: string) => T) {
  return z.array(textFlag(read)).optional();
}

/** `--flag TEXT` that must say something (not empty, not blanks). */
export function valueFlag(flag: string, hint: string) {
  return textFlag((text) => {
    if (text.trim() === '') throw new UserError(`${flag} needs a value`, hint);
    return text;
  });
}

/**
 * The flags commander gives, read by `schema` (an object of the flags above; absent optional
 * flags stay absent). The first bad flag, in the schema's order, is the UserError; an issue of
 * another kind is a flag wired to the wrong schema: a bug.
 */
export function parseFlags<S extends z.ZodType>(schema: S, flags: unknown): z.output<S> {
  const result = schema.safeParse(flags);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (issue?.code === 'custom') throw new UserError(issue.message, (issue.params as { hint?: string } | undefined)?.hint);
  throw new Error(`internal: flags ${JSON.stringify(flags)} do not fit their schema: ${result.error.message}`);
}
