import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputMode } from '../cli/options.js';
import { printJson, printTables, type TableData } from '../cli/render.js';
import { storeInfo } from '../info/info.js';
import { infoTables } from '../info/info-view.js';
import { ingestFiles } from '../ingest/ingest.js';
import { listRejects } from '../ingest/rejects.js';
import { UserError } from '../core/errors.js';
import { Store } from '../store/store.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

/** The demo starts from a fresh store, but never deletes what is not an evtrail store. */
async function clearDemoStore(db: string): Promise<void> {
  if (!fs.existsSync(db)) return;
  if (fs.statSync(db).isDirectory()) throw new UserError(`--db ${db} is a directory`, 'pass a file name, e.g. --db evtrail-demo.duckdb');
  const store = await Store.open(db, { readOnly: true }).catch(() => undefined);
  store?.close();
  if (!store) throw new UserError(`--db ${db} exists and is not an evtrail store`, 'pass a new file name; the demo replaces only an evtrail store');
  for (const f of [db, `${db}.wal`]) fs.rmSync(f, { force: true });
}

/**
 * The README's first command: the bundled trading sample into a fresh store, then what the
 * store says about it. It grows as evtrail does (replay, trace, audit when they land).
 */
export async function runDemo(db: string, mode: OutputMode): Promise<void> {
  await clearDemoStore(db);
  const sample = path.join(FIXTURES, 'trading-sample.ndjson');
  const store = await Store.open(db, { create: true });
  try {
    const summary = await ingestFiles(store, { sources: [sample], preset: 'canonical' });
    const info = await storeInfo(store);
    const rejects = await listRejects(store);
    const duplicates = await store.all(`SELECT e.id, e.stream, e.type, e.dup_kind AS kind, e.seq, e.dup_of AS first_seq
      FROM events e WHERE dup_kind IS NOT NULL ORDER BY seq`);
    if (mode === 'json') {
      printJson({ ingest: summary, info, rejects, duplicates });
      return;
    }
    const tables: TableData[] = [
      {
        title: `evtrail demo: ${path.relative(process.cwd(), sample)} → ${db}`,
        columns: ['ingested', 'rejected', 'redelivered', 'conflicts'],
        rows: [[summary.ingested, summary.rejected, summary.redelivered, summary.conflicts]],
      },
      ...infoTables(info).slice(0, 1).concat(infoTables(info).slice(2, 3)),
      {
        title: 'same id seen twice (kept, never merged)',
        columns: ['id', 'stream', 'type', 'kind', 'seq', 'first seq'],
        rows: duplicates.map((d) => [d.id, d.stream, d.type, d.kind, d.seq, d.first_seq]) as TableData['rows'],
      },
      {
        title: 'rejected records (evtrail rejects)',
        columns: ['line', 'reason'],
        rows: rejects.map((r) => [r.line, r.reason]),
      },
    ];
    await printTables(mode === 'csv' ? 'plain' : mode, tables);
    process.stderr.write(`next: evtrail query "select type, count(*) from events group by all" --db ${db}\n`);
  } finally {
    store.close();
  }
}
