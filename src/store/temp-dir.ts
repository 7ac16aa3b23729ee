import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, firstLine } from '../core/errors.js';

/**
 * A private (0700) temporary folder for work beside the store (staged parts of an ingest, the
 * hash chain's records): a TMPDIR that is missing or not writable is the user's to fix, said in
 * one line. The caller removes it.
 */
export function makeTempDir(prefix: string, purpose: string): string {
  try {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  } catch (error) {
    throw new UserError(`cannot create a temporary folder in ${os.tmpdir()} for ${purpose}: ${(error as NodeJS.ErrnoException).code ?? firstLine(error)}`,
      'point TMPDIR at a writable folder with room for the work');
  }
}

/** An error of the file system (it names a path), as opposed to one of a server or the network. */
export function isFileSystemError(error: unknown): boolean {
  const e = error as { syscall?: unknown; path?: unknown } | null;
  return typeof e?.syscall === 'string' && typeof e?.path === 'string';
}
