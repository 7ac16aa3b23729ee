/**
 * `evtrail export`: the export with its progress and Ctrl-C. `runExport` returns what was
 * written (src/cli/commands/export.ts reads the flags with ./plan.ts's parsers, ./render.ts
 * prints the summary). Ctrl-C stops the running COPY; the half-written folder is removed
 * (exportStore's finally) and the command exits 130 with nothing left behind.
 */
import { INTERRUPT_EXIT, interruptStatements } from '../core/interrupt.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { startProgress } from '../store/progress.js';
import { exportStore, type ExportResult } from './export.js';
import type { ExportFileFormat, PartitionColumn } from './manifest.js';

export interface ExportOptions {
  db: string;
  format: ExportFileFormat;
  out: string;
  partitionBy: PartitionColumn[];
  /** --since / --until as typed: read against the store's bounds (core/time.ts parseAt). */
  since?: string;
  until?: string;
  force?: boolean;
  /** --verify: recompute the chain and refuse a broken store (default: the stored head). */
  verify?: boolean;
  /** The step and how far its statement is, on stderr on a terminal (not with --json). */
  progress: boolean;
}

export type ExportAnswer = ExportResult & { format: ExportFileFormat };

class Interrupted extends Error {}

export async function runExport(options: ExportOptions): Promise<ExportAnswer> {
  let store: Store | undefined;
  const interrupt = interruptStatements(() => store);
  try {
    store = await Store.open(options.db, { readOnly: true });
    const progress = options.progress ? await startProgress(store) : undefined;
    try {
      const result = await exportStore(store, {
        format: options.format, out: options.out, partitionBy: options.partitionBy, since: options.since, until: options.until, force: options.force, verify: options.verify,
        progress: (message) => {
          if (interrupt.signal) throw new Interrupted();
          progress?.step(message);
        },
      });
      return { ...result, format: options.format };
    } finally {
      progress?.stop();
    }
  } catch (error) {
    if (interrupt.signal || error instanceof Interrupted) {
      throw new UserError('interrupted: nothing was exported', 'run the same command again', INTERRUPT_EXIT[interrupt.signal ?? 'SIGINT']);
    }
    throw error;
  } finally {
    interrupt.release();
    store?.close();
  }
}
