/**
 * How an export's summary is shown, and only that, from what ./run-export.ts returns: --json
 * one document, else a one-row table with the way back in.
 */
import { printJson } from '../output/json.js';
import { printTables } from '../output/table.js';
import type { OutputMode } from '../output/mode.js';
import type { ExportAnswer } from './run-export.js';

export async function renderExport(mode: OutputMode, r: ExportAnswer): Promise<void> {
  if (mode === 'json') {
    printJson({ out: r.out, files: r.files, events: r.events, bytes: r.bytes, manifest: r.manifest,
      partitioning: r.partitioning, firstSeq: r.firstSeq, lastSeq: r.lastSeq, chainHead: r.chainHead, chainOk: r.chainOk });
    return;
  }
  await printTables(mode, [{
    title: `exported ${r.events} events (seq ${r.firstSeq} to ${r.lastSeq}) as ${r.format} to ${r.out}`,
    columns: ['files', 'bytes', 'partitioned by', 'manifest', 'chain head'],
    rows: [[r.files, r.bytes, r.partitioning?.join(', ') ?? '-', r.manifest, r.chainHead ?? '-']],
    note: `read it back with: evtrail ingest ${r.out} --db NEW.duckdb`,
  }]);
}
