/**
 * `evtrail report --out FILE`: check the flags (format from the extension, key, rules, params —
 * every mistake before the store is opened), collect the model, render it, seal it, write it
 * atomically (a temporary file renamed over the target: never a half-written report).
 * The audit's findings fail the command only when --fail-on is given, and only after writing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type crypto from 'node:crypto';
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { CheckFailed, UserError } from '../core/errors.js';
import { nowIso } from '../core/time.js';
import { wholeNumber } from '../core/flags.js';
import { loadCatalog } from '../audit/catalog.js';
import { auditRequest, planAudit, type AuditFlags } from '../audit/plan.js';
import { keyFingerprint, loadPrivateKey } from '../integrity/keys.js';
import { Store } from '../store/store.js';
import { collectReport } from './collect.js';
import type { ReportRequest } from './model.js';
import { renderReport } from './render.js';
import { formatOf, type ReportFormat } from './seal.js';
import { bytes, plural } from './text.js';

export interface ReportCommandFlags extends AuditFlags {
  db: string;
  out?: string;
  trace?: string[];
  key?: string;
  rules?: string;
  failOn?: string;
  samples: string;
  /** --no-verify: leave the integrity check out. */
  verify: boolean;
  mode: OutputMode;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

export async function runReportCommand(flags: ReportCommandFlags): Promise<void> {
  if (flags.out === undefined || flags.out.trim() === '') throw new UserError('report needs --out FILE', 'e.g. evtrail report --out audit.html (also .md, .json, .xml for JUnit)');
  const out = flags.out;
  const format: ReportFormat | undefined = /\.(html?|md|markdown|json|xml)$/i.test(out) ? formatOf(out) : undefined;
  if (!format) throw new UserError(`--out ${out}: the extension says which format to write`, 'use .html, .md, .json or .xml (JUnit)');
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--out ${out}: there is no folder ${path.dirname(out)}`, 'create the folder first, or write the report elsewhere');
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UserError(`--out ${out} is a directory`, 'pass a file name, e.g. --out audit.html');
  const samples = wholeNumber('--samples', flags.samples, { min: 1, max: 1000, hint: 'violations shown per rule as evidence, e.g. --samples 5' });
  const key: crypto.KeyObject | undefined = flags.key === undefined ? undefined : loadPrivateKey(flags.key);

  const catalog = loadCatalog(flags.rules === undefined ? {} : { rulesDir: flags.rules });
  const plan = planAudit(catalog, auditRequest(flags, flags.failOn ?? 'error', samples));
  const request: ReportRequest = {
    out,
    db: flags.db,
    traces: flags.trace ?? [],
    only: flags.only,
    params: flags.param,
    since: flags.since,
    until: flags.until,
    rules: flags.rules,
    packs: flags.pack,
    samples,
    key: flags.key,
    verify: flags.verify,
    ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
  };

  const store = await Store.open(flags.db, { readOnly: true });
  let model;
  try {
    model = await collectReport(store, { request, catalog, plan, generatedAt: nowIso() });
  } finally {
    store.close();
  }
  const { text, sha256 } = renderReport(model, format, key);
  writeAtomically(out, text);

  const summary = {
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
  if (flags.mode === 'json') printJson(summary);
  else {
    process.stdout.write(`wrote ${out} (${format}, ${bytes(summary.bytes)}${key ? ', signed' : ''}): ${plural(model.audit.rules.length, 'rule')}, ${plural(model.audit.violations, 'violation')}; integrity ${summary.integrity}\n`);
    process.stdout.write(`sha256 ${sha256} (evtrail verify --report ${out})\n`);
  }
  if (flags.failOn !== undefined && model.audit.failed) {
    const n = model.audit.rules.filter((r) => r.failing).reduce((sum, r) => sum + r.violations, 0);
    throw new CheckFailed(flags.mode === 'json' ? '' : `${plural(n, 'violation')} at or above ${model.audit.failOn} (--fail-on ${model.audit.failOn}); the report is written`);
  }
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
