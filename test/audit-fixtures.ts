/**
 * Crafted trading logs for the audit tests: a clean log on which no rule finds anything, and
 * the helpers to mutate it. Expected findings come from the mutation, not from a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { loadCatalog, type Catalog } from '../src/audit/catalog.js';
import { planAudit, type AuditRequest } from '../src/audit/plan.js';
import { runPlannedAudit } from '../src/audit/run.js';
import type { AuditResult } from '../src/audit/result.js';
import { ingestFiles } from '../src/ingest/ingest.js';
import { Store } from '../src/store/store.js';
import { tmpDir } from './helpers.js';

export type Ev = {
  id: string;
  stream: string;
  rev: number;
  type: string;
  schema_version: number;
  ts: string;
  correlation_id: string;
  causation_id: string | null;
  source: string;
  data: Record<string, unknown>;
};

const T0 = Date.parse('2025-08-26T09:30:00Z');
/** 2025-08-26T09:30:00Z plus offsetMs, with nine fractional digits. */
export const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString().replace('Z', '000000Z');

/** One saga: its steps 1 s apart from `start` seconds, revs 1…n, each caused by the one before. */
export function saga(order: string, start: number, steps: [string, Record<string, unknown>][]): Ev[] {
  const stream = `order-${order}`;
  return steps.map(([type, data], i) => ({
    id: `${order}-e${i + 1}`,
    stream,
    rev: i + 1,
    type,
    schema_version: 1,
    ts: iso((start + i) * 1000),
    correlation_id: `corr-${order}`,
    causation_id: i === 0 ? null : `${order}-e${i}`,
    source: 'oms',
    data: { orderId: order, ...data },
  }));
}

export const placed = (qty: number, side: string, limitPrice: number) => ({ accountId: 'acc-1', symbol: 'IBM', side, qty, limitPrice, orderType: 'LIMIT' });
export const fill = (fillQty: number, fillPrice: number, cumQty: number, leavesQty: number, n: number) => ({ fillQty, fillPrice, cumQty, leavesQty, tradeId: `T${n}` });

/** The clean log: settled (A), cancelled with a legal fill racing the cancel (B), risk-rejected (C), routing failed and compensated (D). */
export function cleanLog(): Ev[] {
  return [
    ...saga('A', 0, [
      ['OrderPlaced', placed(100, 'BUY', 10)],
      ['RiskCheckPassed', { exposureAfter: 5000 }],
      ['OrderRouted', { venue: 'XNAS' }],
      ['OrderAcknowledged', { venueOrderId: 'XNAS-1' }],
      ['OrderPartiallyFilled', fill(40, 9.99, 40, 60, 1)],
      ['OrderFilled', fill(60, 10, 100, 0, 2)],
      ['SettlementCompleted', { amount: 999.6, currency: 'USD' }],
    ]),
    ...saga('B', 10, [
      ['OrderPlaced', placed(50, 'SELL', 20)],
      ['RiskCheckPassed', { exposureAfter: 7000 }],
      ['OrderRouted', { venue: 'XNYS' }],
      ['OrderAcknowledged', { venueOrderId: 'XNYS-1' }],
      ['OrderPartiallyFilled', fill(10, 20.05, 10, 40, 3)],
      ['OrderCancelRequested', {}],
      ['OrderPartiallyFilled', fill(1, 20.01, 11, 39, 4)],
      ['OrderCancelled', { leavesQty: 39 }],
    ]),
    ...saga('C', 20, [
      ['OrderPlaced', placed(10, 'BUY', 5)],
      ['RiskCheckRejected', { reason: 'EXPOSURE_LIMIT' }],
      ['OrderRejected', { reason: 'EXPOSURE_LIMIT' }],
    ]),
    ...saga('D', 30, [
      ['OrderPlaced', { ...placed(10, 'SELL', 5), timeInForce: 'DAY' }],
      ['RiskCheckPassed', { exposureAfter: 50 }],
      ['RoutingFailed', { error: 'NO_ROUTE' }],
      ['RiskReservationReleased', {}],
      ['OrderRejected', { reason: 'ROUTING_FAILED: NO_ROUTE' }],
    ]),
  ].map((e) => (e.type === 'OrderPlaced' && 'timeInForce' in e.data ? { ...e, schema_version: 2 } : e));
}

export const byId = (log: Ev[], id: string): Ev => {
  const e = log.find((x) => x.id === id);
  if (!e) throw new Error(`no event ${id}`);
  return e;
};

/** Drops an event from its saga: later revs move down one, the next event is caused by the one before. */
export function remove(log: Ev[], id: string): Ev[] {
  const gone = byId(log, id);
  return log
    .filter((e) => e.id !== id)
    .map((e) => {
      if (e.stream !== gone.stream || e.rev < gone.rev) return e;
      return { ...e, rev: e.rev - 1, causation_id: e.causation_id === gone.id ? gone.causation_id : e.causation_id };
    });
}

export const edit = (log: Ev[], id: string, f: (e: Ev) => Ev): Ev[] => log.map((e) => (e.id === id ? f(e) : e));

/** A folder of stores for one test file, and the catalog, loaded once. */
export function auditBench(): { audit: (lines: (object | string)[], request?: AuditRequest) => Promise<AuditResult>; catalog: () => Catalog; cleanup: () => void } {
  let dir: string | undefined;
  let catalog: Catalog | undefined;
  let counter = 0;
  return {
    catalog: () => (catalog ??= loadCatalog()),
    async audit(lines, request = {}) {
      dir ??= tmpDir('evtrail-audit-');
      catalog ??= loadCatalog();
      const file = path.join(dir, `log-${++counter}.ndjson`);
      fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
      const store = await Store.open(path.join(dir, `s-${counter}.duckdb`), { create: true });
      try {
        const ingest = await ingestFiles(store, { sources: [file] });
        expect(ingest.rejected).toBe(0);
        return await runPlannedAudit(store, catalog, planAudit(catalog, request));
      } finally {
        store.close();
      }
    },
    cleanup: () => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** rule → sorted event ids it found. */
export function findings(result: AuditResult): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of result.violations) (out[v.rule] ??= []).push(v.eventId ?? '');
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

/**
 * How many rule files the built-in packs hold (src/packs/<pack>/rules/*.sql): the catalog must
 * load each of them. Counted from the folders, so a new rule needs no count changed in a test.
 */
export function builtInRuleFiles(): number {
  const packs = path.resolve(import.meta.dirname, '..', 'src', 'packs');
  return fs.readdirSync(packs).reduce((n, pack) => {
    const dir = path.join(packs, pack, 'rules');
    return n + (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).length : 0);
  }, 0);
}
