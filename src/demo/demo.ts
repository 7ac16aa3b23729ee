import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { printTables, type TableData } from '../output/table.js';
import { dbArg, printNextSteps } from '../output/next-steps.js';
import { loadCatalog } from '../audit/catalog.js';
import { planAudit } from '../audit/plan.js';
import { runPlannedAudit } from '../audit/run.js';
import { storeInfo } from '../info/info.js';
import { infoTables } from '../info/info-view.js';
import { ingestFiles } from '../ingest/ingest.js';
import { listRejects } from '../ingest/rejects.js';
import { UserError } from '../core/errors.js';
import { MACROS_SQL } from '../store/macros.js';
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
 * The README's first command: the bundled trading sample into a fresh store, then what
 * evtrail finds in it: counts, duplicates, rejects, the orders' states (replay) and the rule
 * catalog's findings (audit). It grows as evtrail does.
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
    // Replay: every order's status at the end of the log, from the orders projection (SQL).
    await store.run(MACROS_SQL);
    const lastSeq = Number((await store.all(`SELECT coalesce(max(seq), 0) AS n FROM events`))[0]?.n);
    const statuses = await store.all(`SELECT status, count(*)::INTEGER AS orders FROM orders_at_seq(${lastSeq}) GROUP BY status ORDER BY orders DESC, status`);
    // Audit: the built-in rule catalog.
    const catalog = loadCatalog();
    const audit = await runPlannedAudit(store, catalog, planAudit(catalog, { failOn: 'error', limit: 3 }));
    const findings = audit.rules.filter((r) => r.violations > 0);
    if (mode === 'json') {
      printJson({ ingest: summary, info, rejects, duplicates, orders: statuses, audit: { rules: audit.rules, violations: audit.violations } });
      return;
    }
    const tables: TableData[] = [
      {
        title: `evtrail demo: ${shownPath(sample)} → ${db}`,
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
        note: rejects.length === 0 ? 'none: every record was read' : undefined,
      },
      {
        title: 'orders at the end of the log (evtrail replay --projection orders)',
        columns: ['status', 'orders'],
        rows: statuses.map((r) => [r.status as string, r.orders as number]),
      },
      {
        title: `what broke the rules (evtrail audit): ${findings.length} of ${audit.rules.length} rules found something`,
        columns: ['rule', 'severity', 'violations', 'first event'],
        rows: findings.map((r) => [r.id, r.severity, r.violations, r.examples[0] ?? '']),
      },
    ];
    await printTables(mode, tables);
    const example = audit.violations.find((v) => v.stream?.startsWith('order-'))?.stream?.replace(/^order-/, '');
    const db_ = dbArg(db);
    printNextSteps([
      [`evtrail audit --details${db_}`, 'every violation, with the event that proves it'],
      ...(example ? [[`evtrail trace ${example}${db_}`, 'why this order did what it did'] as [string, string]] : []),
      [`evtrail ui${db_}`, 'explore it: timeline, replay, trace, audit, SQL'],
      [`evtrail report --out audit.html${db_}`, 'the findings as one HTML file to hand on'],
    ], true);
  } finally {
    store.close();
  }
}

/** The sample's path as the user would type it: relative inside the working folder, else absolute (not ../../…). */
function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}
