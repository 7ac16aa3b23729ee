import type { IngestFlags } from '../cli/commands/ingest.js';
import { INTERRUPT_EXIT, onInterrupt } from '../cli/interrupt.js';
import { printJson, printTables, type TableData } from '../cli/render.js';
import { outputMode } from '../cli/options.js';
import { UserError } from '../core/errors.js';
import { Store, removeStoreFiles, storeExists } from '../store/store.js';
import { CONFIG_FILE, loadConfig, parseMapArgs } from './config.js';
import { parseFormat } from './formats.js';
import { ingestFiles, type IngestSummary } from './ingest.js';
import { getPreset } from './presets/index.js';
import { isStoreUrl } from './sources.js';
import { startProgress } from './progress.js';

async function isEmptyStore(store: Store): Promise<boolean> {
  try {
    const rows = await store.all(`SELECT (SELECT count(*) FROM sources) + (SELECT count(*) FROM events) AS n`);
    return Number(rows[0]?.n) === 0;
  } catch {
    return false;
  }
}

/** Thrown from the progress callback to stop an ingest between two steps. */
class Interrupted extends Error {}

/**
 * The ingest command's action: settings from config and flags, one store, one summary.
 * Everything that can be checked without the store is checked before it is opened; a store
 * this run created is removed again when the ingest fails, so a failed ingest never leaves a
 * store behind (an existing one is rolled back by ingestFiles' transaction).
 */
export async function runIngest(sources: string[], flags: IngestFlags): Promise<void> {
  const config = loadConfig(flags.config ?? CONFIG_FILE, flags.config !== undefined);
  const storeUrl = sources.find(isStoreUrl);
  if (storeUrl) {
    throw new UserError(`event-store sources (${storeUrl.split('://')[0]}://) are not supported by this build yet`, 'export the store to NDJSON and ingest the file');
  }
  const presetName = flags.preset ?? config.preset ?? 'canonical';
  getPreset(presetName); // unknown preset: fail before opening anything
  const formatName = flags.format ?? config.format;
  const format = formatName ? parseFormat(formatName) : undefined;
  const map = { ...(config.map ?? {}), ...parseMapArgs(flags.map) };
  const date = flags.date ?? config.date;
  if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UserError(`--date ${date}: expected YYYY-MM-DD`, 'e.g. --date 2012-06-21');

  // Ctrl-C: stop the running DuckDB statement, or the ingest at its next step; the
  // transaction is rolled back and the store is as it was.
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  let store: Store | undefined;
  const release = onInterrupt((signal) => {
    interrupted = signal;
    try {
      store?.conn.interrupt();
    } catch {
      /* no statement running: the next step stops */
    }
  });
  const existed = storeExists(flags.db);
  let created = false;
  let ok = false;
  let summary: IngestSummary;
  try {
    store = await Store.open(flags.db, { create: true });
    created = !existed;
    const progress = flags.quiet || flags.json ? undefined : startProgress(store);
    try {
      if (interrupted) throw new Interrupted();
      summary = await ingestFiles(store, {
        sources, preset: presetName, map, date, strict: flags.strict, format,
        progress: (message) => {
          if (interrupted) throw new Interrupted();
          progress?.step(message);
        },
      });
    } finally {
      progress?.stop();
    }
    ok = true;
  } catch (error) {
    if (interrupted || error instanceof Interrupted || /INTERRUPT/i.test(String((error as Error)?.message))) {
      throw new UserError(
        'interrupted: nothing was ingested, the store is as it was',
        'run the same command again',
        INTERRUPT_EXIT[interrupted ?? 'SIGINT'],
      );
    }
    throw error;
  } finally {
    release();
    // Removed only when it holds nothing: never a store another run filled meanwhile.
    const remove = !ok && created && store !== undefined && (await isEmptyStore(store));
    store?.close();
    if (remove) removeStoreFiles(flags.db);
  }

  const mode = outputMode(flags);
  if (mode === 'json') {
    printJson(summary);
    return;
  }
  const table: TableData = {
    title: `ingested ${summary.ingested} events into ${flags.db}` +
      (summary.rejected ? `, rejected ${summary.rejected} (evtrail rejects lists them)` : '') +
      (summary.redelivered ? `, ${summary.redelivered} redelivered` : '') +
      (summary.conflicts ? `, ${summary.conflicts} conflicting ids` : ''),
    columns: ['source', 'format', 'preset', 'status', 'ingested', 'rejected', 'redelivered', 'conflicts'],
    rows: summary.sources.map((s) => [s.source, s.format, s.preset, s.status, s.ingested, s.rejected, s.redelivered, s.conflicts]),
  };
  await printTables(mode === 'csv' ? 'plain' : mode, [table]);
}
