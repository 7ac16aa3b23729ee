/**
 * `evtrail report --out FILE`, the work: the key, the catalog and the audit's plan read (every
 * mistake before the store is opened), the model collected, rendered, sealed and written
 * atomically (a temporary file renamed over the target: never a half-written report). Returns
 * what was written; src/cli/commands/report.ts reads the flags (`reportTarget` for --out) and
 * shows it with ./summary-render.ts. The audit's findings fail the command only when --fail-on
 * is given, and only after writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type crypto from 'node:crypto';
import { UserError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import { loadCatalog } from '../audit/catalog.js';
import { auditRequest, planAudit, type AuditFlags } from '../audit/plan.js';
import { keyFingerprint, loadPrivateKey } from '../integrity/keys.js';
import { Store } from '../store/store.js';
import { collectReport } from './collect.js';
import type { ReportRequest } from './model.js';
import { renderReport } from './render.js';
import { formatOf, type ReportFormat } from './seal.js';

/** The file --out names and the format its extension says. */
export interface ReportTarget {
  out: string;
  format: ReportFormat;
}

/** --out checked before anything runs: a name, an extension that names a format, a folder that exists. */
export function reportTarget(out: string | undefined): ReportTarget {
  if (out === undefined || out.trim() === '') throw new UserError('report needs --out FILE', 'e.g. evtrail report --out audit.html (also .md, .json, .xml for JUnit)');
  const format = formatOf(out);
  if (!format) throw new UserError(`--out ${out}: the extension says which format to write`, 'use .html, .md, .json or .xml (JUnit)');
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--out ${out}: there is no folder ${path.dirname(out)}`, 'create the folder first, or write the report elsewhere');
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UserError(`--out ${out} is a directory`, 'pass a file name, e.g. --out audit.html');
  return { out, format };
}

/** What the command line hands over (src/cli/commands/report.ts): the flags, their values read. */
export interface ReportOptions extends AuditFlags {
  db: string;
  target: ReportTarget;
  /** --trace: the ids whose traces the report includes. */
  trace?: string[];
  /** --key: the Ed25519 private key (PEM) that signs the report. */
  key?: string;
  /** --rules: a folder of the user's rule files. */
  rules?: string;
  /** --fail-on: given, the audit's findings at or above it fail the command (after writing). */
  failOn?: string;
  /** Violations shown per rule as evidence. */
  samples: number;
  /** --no-verify: leave the integrity check out. */
  verify: boolean;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

/** What was written, as `report --json` prints it. */
export interface ReportSummary {
  out: string;
  format: ReportFormat;
  bytes: number;
  sha256: string;
  signed: boolean;
  keyFingerprint?: string;
  rules: number;
  violations: number;
  failed: boolean;
  integrity: 'ok' | 'failed' | 'not checked';
}

/** A report written: its summary, and the audit's violations that fail the command (--fail-on). */
export interface ReportWritten {
  summary: ReportSummary;
  /** The severity the report's audit fails on. */
  failOn: string;
  /** Set when --fail-on was given and rules at or above it found violations: how many. */
  failing?: number;
}

/** Collects, renders, seals and writes the report the options ask for. */
export async function runReport(options: ReportOptions): Promise<ReportWritten> {
  const { out, format } = options.target;
  const key: crypto.KeyObject | undefined = options.key === undefined ? undefined : loadPrivateKey(options.key);

  const catalog = loadCatalog(options.rules === undefined ? {} : { rulesDir: options.rules });
  const plan = planAudit(catalog, auditRequest(options, options.failOn ?? 'error', options.samples));
  const request: ReportRequest = {
    out,
    db: options.db,
    traces: options.trace ?? [],
    only: options.only,
    params: options.param,
    since: options.since,
    until: options.until,
    rules: options.rules,
    packs: options.pack,
    samples: options.samples,
    key: options.key,
    verify: options.verify,
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
  };

  const store = await Store.open(options.db, { readOnly: true });
  let model;
  try {
    model = await collectReport(store, { request, catalog, plan, generatedAt: nowIso() });
  } finally {
    store.close();
  }
  const { text, sha256 } = renderReport(model, format, key);
  writeAtomically(out, text);

  const summary: ReportSummary = {
    out,
    format,
    bytes: Buffer.byteLength(text),
    sha256,
    signed: key !== undefined,
    ...(key ? { keyFingerprint: keyFingerprint(key) } : {}),
    rules: model.audit.rules.length,
    violations: model.audit.violations,
    failed: model.audit.failed,
    integrity: model.integrity.checked ? (model.integrity.ok ? 'ok' : 'failed') : 'not checked',
  };
  const failing = options.failOn !== undefined && model.audit.failed
    ? model.audit.rules.filter((r) => r.failing).reduce((sum, r) => sum + r.violations, 0)
    : undefined;
  return { summary, failOn: model.audit.failOn, ...(failing !== undefined ? { failing } : {}) };
}

/** Writes next to the target, then renames over it: readers see the old file or the whole new one. */
function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
