/**
 * `evtrail export`: the flags checked before the store is opened, the export, its summary.
 * Ctrl-C stops the running COPY; the half-written folder is removed (exportStore's finally)
 * and the command exits 130 with nothing left behind.
 */
import { INTERRUPT_EXIT, interruptStatements } from '../core/interrupt.js';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { printTables } from '../output/table.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { startProgress } from '../store/progress.js';
import { exportStore, type ExportResult } from './export.js';
import { parseExportFormat, parsePartitionBy } from './plan.js';

export interface ExportCommandFlags {
  db: string;
  mode: OutputMode;
  format?: string;
  out?: string;
  partitionBy?: string[];
  since?: string;
  until?: string;
  force?: boolean;
  /** --verify: recompute the chain and refuse a broken store (default: the stored head). */
  verify?: boolean;
}

class Interrupted extends Error {}

export async function runExportCommand(flags: ExportCommandFlags): Promise<void> {
  const format = parseExportFormat(flags.format);
  const partitionBy = parsePartitionBy(flags.partitionBy);
  if (flags.out === undefined || flags.out.trim() === '') throw new UserError('--out is required', 'name the folder to write, e.g. --out archive/');

  let store: Store | undefined;
  const interrupt = interruptStatements(() => store);
  let result: ExportResult;
  try {
    store = await Store.open(flags.db, { readOnly: true });
    // The step and how far its statement is, on stderr on a terminal only (never with --json).
    const progress = flags.mode === 'json' ? undefined : await startProgress(store);
    try {
      result = await exportStore(store, {
        format, out: flags.out, partitionBy, since: flags.since, until: flags.until, force: flags.force, verify: flags.verify,
        progress: (message) => {
          if (interrupt.signal) throw new Interrupted();
          progress?.step(message);
        },
      });
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

  if (flags.mode === 'json') {
    printJson({ out: result.out, files: result.files, events: result.events, bytes: result.bytes, manifest: result.manifest,
      partitioning: result.partitioning, firstSeq: result.firstSeq, lastSeq: result.lastSeq, chainHead: result.chainHead, chainOk: result.chainOk });
  } else {
    await printTables(flags.mode, [{
      title: `exported ${result.events} events (seq ${result.firstSeq} to ${result.lastSeq}) as ${format} to ${result.out}`,
      columns: ['files', 'bytes', 'partitioned by', 'manifest', 'chain head'],
      rows: [[result.files, result.bytes, result.partitioning?.join(', ') ?? '-', result.manifest, result.chainHead ?? '-']],
      note: `read it back with: evtrail ingest ${result.out} --db NEW.duckdb`,
    }]);
  }
}
