/**
 * Typed errors, after Shopify CLI's AbortError / BugError split: a UserError is the user's to
 * fix (bad input, missing file, store in use) and carries a hint; anything else that escapes a
 * command is a bug in evtrail. The top-level handler (src/cli/run.ts) maps them to exit codes.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
    /** Exit code: 2 for usage / input errors (docs/architecture.md §3). */
    readonly exitCode: number = 2,
  ) {
    super(message);
  }
}

/** The check ran and found problems (audit violations, failed verification): exit 1. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
  readonly exitCode = 1;
}

/** First line of any thrown value, without a stack: what a user sees. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').trim();
}
