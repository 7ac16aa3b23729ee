/**
 * How an audit is shown, and only that, from the data ./audit.ts returns, through the output
 * layer: --json one document, --ndjson the violations one per line (written by `violationSink`
 * while the audit runs), --csv the summary (with --details every violation), a table in a
 * terminal or as text (with --details every violation in full); --list and --explain likewise.
 * `auditFailure` is the one line that says why the run fails (exit 1).
 */
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { writeJsonObjects } from '../output/json-rows.js';
import { fitLines, fitWidth, printTables, textWidth, toCsv, wrapText, type Cell, type TableData } from '../output/table.js';
import { terminalSafe, writeOut } from '../output/terminal.js';
import { CheckFailed } from '../core/errors.js';
import type { Lens } from '../store/lens.js';
import { describeVocabulary } from '../packs/vocabulary-map.js';
import type { AuditRun, ListedRule, RuleExplanation } from './audit.js';
import { fails, type AuditPlan } from './plan.js';
import type { AuditResult, Violation, ViolationSink } from './result.js';

/** --ndjson: each rule's violations written as they are read; other modes print at the end. */
export function violationSink(mode: OutputMode): ViolationSink | undefined {
  return mode === 'ndjson' ? async (violations: Violation[]) => void (await writeJsonObjects('ndjson', [violations])) : undefined;
}

export async function renderAudit(mode: OutputMode, run: AuditRun, details: boolean): Promise<void> {
  const { result, plan, lens } = run;
  if (mode === 'json') printJson({ ...(toJson(result) as object), ...lensJson(lens) });
  else if (mode === 'ndjson') {
    // written while the audit ran (violationSink)
  } else if (mode === 'csv') {
    // --csv: the summary table, or with --details every violation (evidence as a JSON cell).
    if (details) {
      await writeOut(toCsv(['rule', 'severity', 'eventId', 'stream', 'message', 'evidence'], result.violations.map((v) => [v.rule, v.severity, v.eventId, v.stream, v.message, v.evidence])));
    } else {
      await writeOut(toCsv(['rule', 'severity', 'status', 'violations', 'examples', 'ms'], result.rules.map((r) => [r.id, r.severity, r.status, r.violations, r.examples.join(' '), r.ms])));
    }
  } else {
    await printTables(mode, [summaryTable(result, details)]);
    process.stdout.write(fitLines(terminalSafe(lensText(lens))));
    process.stdout.write(fitLines(terminalSafe(skippedText(result))));
    // Every violation in full, one per line (a table would cut the messages).
    if (details) process.stdout.write(fitLines(terminalSafe(detailsText(result, plan))));
  }
}

/** Exit 1 when a rule at or above --fail-on found violations (the line on stderr; none with --json / --ndjson). */
export function auditFailure(mode: OutputMode, result: AuditResult): CheckFailed | undefined {
  if (!result.failed) return undefined;
  const failing = result.rules.filter((r) => r.violations > 0 && fails(r.severity, result.failOn));
  const n = failing.reduce((s, r) => s + r.violations, 0);
  return new CheckFailed(mode === 'json' || mode === 'ndjson' ? '' : `${n} violation${n === 1 ? '' : 's'} at or above ${result.failOn} (--fail-on ${result.failOn})`);
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

/** --list: the catalog's rules. */
export async function renderRuleList(mode: OutputMode, rules: ListedRule[]): Promise<void> {
  if (mode === 'json') return printJson({ rules });
  await printTables(mode, [
    { title: `${rules.length} rules`, columns: ['rule', 'severity', 'pack', 'title'], rows: rules.map((r) => [r.id, r.severity, r.pack, r.title]) },
  ]);
}

/** --explain: one rule, as prose a terminal's width wide (in a pipe one line a paragraph), and its SQL as written. */
export function renderExplanation(mode: OutputMode, doc: RuleExplanation): void {
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
  if (doc.uses.length) {
    lines.push('', 'Shared views it reads');
    for (const u of doc.uses) {
      lines.push(prose(`${u.id}${u.materialized ? ' (computed once per audit)' : ''}: ${u.description.replaceAll('\n', ' ')}`, '  ', '    '));
      if (u.sql) lines.push(indent(indent(u.sql)));
    }
  }
  process.stdout.write(terminalSafe(lines.join('\n') + '\n'));
}
