import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, firstLine } from '../core/errors.js';

/**
 * A private (0700) temporary folder for work beside the store (staged parts of an ingest, the
 * hash chain's records): a TMPDIR that is missing or not writable is the user's to fix, said in
 * one line. The caller removes it; what a killed process (kill -9) left behind is removed by the
 * next one that makes a folder of the same kind.
 */
export function makeTempDir(prefix: string, purpose: string): string {
  removeOrphans(prefix);
  try {
    // The process id in the name: a folder whose process is gone (killed) can be told apart.
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
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

/** Removes `<prefix><pid>-*` folders whose process no longer runs. */
function removeOrphans(prefix: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return; // makeTempDir says what is wrong with TMPDIR
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!pid || pid === process.pid || processRuns(pid)) continue;
    try {
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    } catch {
      /* not ours to remove after all: left as it is */
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
