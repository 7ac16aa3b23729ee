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

/**
 * An error the machine gave, not evtrail: a full disk, a folder that cannot be written, a
 * symlink loop. DuckDB reports these as its own errors (IO Error, or a commit that failed: "Could
 * not write file …: No space left on device"), so they are known by the operating system's
 * words in the message. They are the user's to fix: exit 2, the cause, a hint (never "internal
 * error", which is for bugs).
 */
export function environmentError(error: unknown): UserError | undefined {
  const text = firstLine(error);
  if (/No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/i.test(text)) {
    return new UserError(`the disk is full: ${text}`, 'free some space where the store is and in TMPDIR (temporary files), or set TMPDIR to a folder with room, then run the command again');
  }
  if (/Read-only file system|EROFS/i.test(text)) {
    return new UserError(`cannot write: ${text}`, 'the file system is read-only: put the store (--db) or TMPDIR somewhere writable');
  }
  if (/Permission denied|EACCES/i.test(text)) {
    return new UserError(`cannot write or read a file: ${text}`, 'check the permissions of the store\'s folder, of the files named, and of TMPDIR');
  }
  if (/Too many levels of symbolic links|too many symbolic links|ELOOP/i.test(text)) {
    return new UserError(`a symbolic link loop: ${text}`, 'a symbolic link points (through others) back to itself: remove it or name the files to ingest');
  }
  return undefined;
}
