import type { IngestFlags } from '../cli/commands/ingest.js';
import { printJson, printTables, type TableData } from '../cli/render.js';
import { outputMode } from '../cli/options.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { CONFIG_FILE, loadConfig, parseMapArgs } from './config.js';
import { parseFormat } from './formats.js';
import { ingestFiles, type IngestSummary } from './ingest.js';
import { getPreset } from './presets/index.js';
import { isStoreUrl } from './sources.js';
import { startProgress } from './progress.js';

/** The ingest command's action: settings from config and flags, one store, one summary. */
export async function runIngest(sources: string[], flags: IngestFlags): Promise<void> {
  const config = loadConfig(flags.config ?? CONFIG_FILE, flags.config !== undefined);
  const storeUrl = sources.find(isStoreUrl);
  if (storeUrl) {
    throw new UserError(`event-store sources (${storeUrl.split('://')[0]}://) are not supported by this build yet`, 'export the store to NDJSON and ingest the file');
  }
  const presetName = flags.preset ?? config.preset ?? 'canonical';
  getPreset(presetName); // unknown preset: fail before opening anything
  const format = flags.format ?? config.format;
  const map = { ...(config.map ?? {}), ...parseMapArgs(flags.map) };
  const date = flags.date ?? config.date;
  if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UserError(`--date ${date}: expected YYYY-MM-DD`, 'e.g. --date 2012-06-21');

  const store = await Store.open(flags.db, { create: true });
  const progress = flags.quiet || flags.json ? undefined : startProgress(store);
  const onSigint = () => store.conn.interrupt();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let summary: IngestSummary;
  try {
    summary = await ingestFiles(store, {
      sources, preset: presetName, map, date, strict: flags.strict,
      format: format ? parseFormat(format) : undefined,
      progress: progress?.step,
    });
  } catch (error) {
    if (/INTERRUPT/i.test(String((error as Error)?.message))) {
      throw new UserError('interrupted: nothing was ingested, the store is as it was', 'run the same command again', 130);
    }
    throw error;
  } finally {
    progress?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    store.close();
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
