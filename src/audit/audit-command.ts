/**
 * `evtrail audit`: read the catalog and the flags (every mistake stops here, before the store
 * is opened), run the audit, render it (summary table, --details, --json, --explain, --list)
 * and fail with exit 1 when a rule at or above --fail-on found violations.
 */
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { writeJsonObjects } from '../output/json-rows.js';
import { fitLines, fitWidth, printTables, textWidth, toCsv, wrapText, type Cell, type TableData } from '../output/table.js';
import { terminalSafe, writeOut } from '../output/terminal.js';
import { CheckFailed } from '../core/errors.js';
import { wholeNumber } from '../core/flags.js';
import { Store } from '../store/store.js';
import { applyLens, type Lens } from '../store/lens.js';
import { describeVocabulary } from '../packs/vocabulary-map.js';
import { GENERATED_VIEWS, loadCatalog, type Catalog } from './catalog.js';
import { LIMIT_HINT, auditRequest, fails, findRule, planAudit, type AuditFlags, type AuditPlan } from './plan.js';
import { runAudit } from './run.js';
import type { AuditResult, Violation } from './result.js';

export interface AuditCommandFlags extends AuditFlags {
  db: string;
  mode: OutputMode;
  details?: boolean;
  rules?: string;
  failOn: string;
  explain?: string;
  list?: boolean;
  limit: string;
  /** --tenant: only this tenant's events (src/store/lens.ts). */
  tenant?: string;
}

export async function runAuditCommand(flags: AuditCommandFlags): Promise<void> {
  const catalog = loadCatalog(flags.rules === undefined ? {} : { rulesDir: flags.rules });
  if (flags.list) return printList(catalog, flags.mode);
  if (flags.explain !== undefined) return printExplain(catalog, flags.explain, flags.param ?? [], flags.mode);
  const limit = wholeNumber('--limit', flags.limit, { hint: LIMIT_HINT });
  const plan = planAudit(catalog, auditRequest(flags, flags.failOn, limit));
  const store = await Store.open(flags.db, { readOnly: true });
  let result: AuditResult;
  let lens: Lens;
  try {
    // Read through the store's vocabulary mapping and --tenant (the audit's views and rules see
    // the packs' names and the tenant's events only).
    lens = await applyLens(store, flags.tenant === undefined ? {} : { tenant: flags.tenant });
    // --ndjson: the violations, one per line, written as each rule's are read (as query --ndjson
    // streams its rows), never all held; the counts per rule are in --json.
    const sink = flags.mode === 'ndjson' ? async (violations: Violation[]) => void (await writeJsonObjects('ndjson', [violations])) : undefined;
    result = await runAudit(store, catalog, plan, sink);
  } finally {
    store.close();
  }
  if (flags.mode === 'json') printJson({ ...(toJson(result) as object), ...lensJson(lens) });
  else if (flags.mode === 'ndjson') {
    // written while the audit ran (the sink above)
  } else if (flags.mode === 'csv') {
    // --csv: the summary table, or with --details every violation (evidence as a JSON cell).
    if (flags.details) {
      await writeOut(toCsv(['rule', 'severity', 'eventId', 'stream', 'message', 'evidence'], result.violations.map((v) => [v.rule, v.severity, v.eventId, v.stream, v.message, v.evidence])));
    } else {
      await writeOut(toCsv(['rule', 'severity', 'status', 'violations', 'examples', 'ms'], result.rules.map((r) => [r.id, r.severity, r.status, r.violations, r.examples.join(' '), r.ms])));
    }
  } else {
    await printTables(flags.mode, [summaryTable(result, flags.details ?? false)]);
    process.stdout.write(fitLines(terminalSafe(lensText(lens))));
    process.stdout.write(fitLines(terminalSafe(skippedText(result))));
    // Every violation in full, one per line (a table would cut the messages).
    if (flags.details) process.stdout.write(fitLines(terminalSafe(detailsText(result, plan))));
  }
  if (result.failed) {
    const failing = result.rules.filter((r) => r.violations > 0 && fails(r.severity, result.failOn));
    const n = failing.reduce((s, r) => s + r.violations, 0);
    throw new CheckFailed(
      flags.mode === 'json' || flags.mode === 'ndjson' ? '' : `${n} violation${n === 1 ? '' : 's'} at or above ${result.failOn} (--fail-on ${result.failOn})`,
    );
  }
}

/** What the audit read through: the tenant, the vocabulary mapping (with what `auto` matched). */
function lensJson(lens: Lens): Record<string, unknown> {
  const v = lens.vocabulary;
  return {
    ...(lens.tenant !== null ? { tenant: lens.tenant } : {}),
    ...(v ? { vocabulary: { types: v.types, fields: v.fields, automatic: v.automatic } } : {}),
  };
}

function lensText(lens: Lens): string {
  const lines: string[] = [];
  if (lens.tenant !== null) lines.push(`\nTenant: ${lens.tenant} (only its events were audited).`);
  if (lens.vocabulary) lines.push(`\nRead through the store's vocabulary mapping: ${describeVocabulary(lens.vocabulary).join(', ')}.`);
  return lines.length ? lines.join('') + '\n' : '';
}

/** The --json document (docs/architecture.md §3: rules[{id, severity, violations}], violations[{rule, eventId, stream, message}]). */
function toJson(result: AuditResult): unknown {
  return {
    store: result.store,
    events: result.events,
    window: result.window,
    failOn: result.failOn,
    failed: result.failed,
    packs: result.packs,
    rules: result.rules,
    shared: result.shared,
    violations: result.violations,
    totalMs: result.totalMs,
    totalCpuMs: result.totalCpuMs,
  };
}

const secs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`);

function summaryTable(result: AuditResult, details: boolean): TableData {
  const ran = result.rules.filter((r) => r.status === 'ran');
  const found = ran.reduce((s, r) => s + r.violations, 0);
  const skipped = result.rules.length - ran.length;
  const window = result.window.since || result.window.until ? `, window [${result.window.since ?? '…'}, ${result.window.until ?? '…'})` : '';
  const packs = result.packs.filter((p) => p.active && p.id !== 'core').map((p) => p.id);
  const summary: TableData = {
    title: `Audit of ${result.events.toLocaleString('en-US')} events${window}: ${ran.length} rule${ran.length === 1 ? '' : 's'} ran${skipped ? `, ${skipped} skipped` : ''}, ${found} violation${found === 1 ? '' : 's'}${packs.length ? ` (packs: core, ${packs.join(', ')})` : ''}`,
    columns: ['rule', 'severity', 'violations', 'examples', 'ms'],
    rows: result.rules.map((r): Cell[] =>
      r.status === 'skipped'
        ? [r.id, r.severity, 'skipped', `(${reasonNumber(result, r.reason)})`, '']
        : [r.id, r.severity, r.violations, r.examples.join(' ') + (r.violations > r.examples.length ? ' …' : ''), r.ms],
    ),
    note: `${secs(result.totalMs)} in all; shared views: ${result.shared.map((s) => `${s.id} ${secs(s.ms)}`).join(', ') || 'none'}.${result.failed ? ` Fails on ${result.failOn}.` : ''}${details || found === 0 ? '' : ' --details lists every violation.'}${marketNote(result)}`,
  };
  return summary;
}

/** On market data, which rules apply (those that ran, or could given the log's fields) and which do not. */
function marketNote(result: AuditResult): string {
  const notApplicable = result.rules.filter((r) => r.status === 'skipped' && r.reason?.startsWith('does not apply to market data'));
  if (notApplicable.length === 0) return '';
  const apply = result.rules.filter((r) => !notApplicable.includes(r)).map((r) => r.id);
  return `\nMarket data: the rules that apply are ${apply.join(', ')} (some skipped when the log lacks what they read); the ${[...new Set(notApplicable.map((r) => r.pack))].join(', ')} pack's saga rules do not apply (${notApplicable.length} skipped).`;
}

/** The distinct reasons rules were skipped, numbered in order of first use. */
function skipReasons(result: AuditResult): string[] {
  return [...new Set(result.rules.filter((r) => r.status === 'skipped').map((r) => r.reason ?? ''))];
}

function reasonNumber(result: AuditResult, reason: string | undefined): number {
  return skipReasons(result).indexOf(reason ?? '') + 1;
}

/** Why rules were skipped, in full (a table cell would cut it). */
function skippedText(result: AuditResult): string {
  const reasons = skipReasons(result);
  return reasons.length ? `Skipped:\n${reasons.map((r, i) => `  (${i + 1}) ${r}`).join('\n')}\n` : '';
}

function detailsText(result: AuditResult, plan: AuditPlan): string {
  const out: string[] = [];
  for (const r of result.rules) {
    if (r.status !== 'ran' || r.violations === 0) continue;
    out.push('', `${r.id} (${r.severity}): ${r.title}`);
    const listed = result.violations.filter((x) => x.rule === r.id);
    for (const v of listed) out.push(`  ${v.eventId ?? '-'}  ${v.stream ?? '-'}  ${v.message}`);
    if (r.truncated) out.push(`  … ${r.violations - listed.length} more (--limit ${plan.limit}; --limit 0 lists all)`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

async function printList(catalog: Catalog, mode: OutputMode): Promise<void> {
  const rules = catalog.rules.map((r) => ({ id: r.id, severity: r.severity, pack: r.pack ?? 'core', title: r.title, file: r.file }));
  if (mode === 'json') return printJson({ rules });
  await printTables(mode, [
    { title: `${rules.length} rules`, columns: ['rule', 'severity', 'pack', 'title'], rows: rules.map((r) => [r.id, r.severity, r.pack, r.title]) },
  ]);
}

async function printExplain(catalog: Catalog, id: string, given: string[], mode: OutputMode): Promise<void> {
  const rule = findRule(catalog, id, '--explain');
  // The values that would run, --param checked the same way as for a run.
  const planned = planAudit(catalog, { only: [id], params: given }).rules[0]!;
  const values = planned.values;
  const uses: { id: string; description: string; materialized: boolean; sql: string | null }[] = [];
  const add = (v: string) => {
    if (uses.some((u) => u.id === v)) return;
    const view = catalog.views.get(v);
    view?.uses.forEach(add);
    uses.push(
      view
        ? { id: v, description: view.description, materialized: view.materialize, sql: view.sql }
        : { id: v, description: GENERATED_VIEWS[v] ?? '', materialized: v === 'audit_schema_problems', sql: null },
    );
  };
  rule.uses.forEach(add);
  const doc = {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    pack: rule.pack ?? 'core',
    file: rule.file,
    description: rule.description,
    rationale: rule.rationale,
    requires: rule.requires,
    params: rule.params.map((p) => ({ name: p.name, type: p.type, default: p.default.text, value: values[p.name]!.text, description: p.description })),
    uses,
    sql: planned.sql,
  };
  if (mode === 'json') return printJson(doc);
  const lines: string[] = [];
  const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');
  // Prose is wrapped at words to a terminal's width (in a pipe, one line a paragraph, for grep);
  // a paragraph's lines after the first hang under `hang`. SQL is code: kept as written.
  const width = fitWidth();
  const prose = (text: string, first: string, hang = first) =>
    text.split('\n').flatMap((paragraph) => {
      if (width === undefined) return [first + paragraph];
      const head = wrapText(paragraph, width - textWidth(first))[0] ?? '';
      const rest = paragraph.slice(head.length).trimStart();
      return [first + head, ...(rest ? wrapText(rest, width, hang) : [])];
    }).join('\n');
  lines.push(prose(`${doc.id}: ${doc.title}`, ''));
  lines.push(prose(`severity ${doc.severity} · pack ${doc.pack} · ${doc.file}${doc.requires.length ? ` · needs ${doc.requires.join(', ')}` : ''}`, ''));
  lines.push('', 'What it checks', prose(doc.description, '  '), '', 'Why', prose(doc.rationale, '  '));
  if (doc.params.length) {
    lines.push('', 'Parameters (--param rule.name=value)');
    for (const p of doc.params) lines.push(prose(`${p.name} (${p.type}) = ${p.value}${p.value !== p.default ? ` (default ${p.default})` : ''}: ${p.description}`, '  ', '    '));
  }
  lines.push('', 'SQL', indent(doc.sql));
  if (uses.length) {
    lines.push('', 'Shared views it reads');
    for (const u of uses) {
      lines.push(prose(`${u.id}${u.materialized ? ' (computed once per audit)' : ''}: ${u.description.replaceAll('\n', ' ')}`, '  ', '    '));
      if (u.sql) lines.push(indent(indent(u.sql)));
    }
  }
  process.stdout.write(terminalSafe(lines.join('\n') + '\n'));
}
