import { Option, type Command } from 'commander';
import type { ReportOptions } from '../../report/report.js';
import { auditOptions, collect, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type ReportFlags = Omit<ReportOptions, 'target' | 'samples'> & { out?: string; samples: string; json?: boolean };

export function registerReport(program: Command): void {
  const command = auditOptions(
    program
      .command('report')
      .description('write an audit report (scope, integrity, audit with evidence, schemas, traces): .html, .md, .json or .xml (JUnit), hashed and optionally signed')
      .option('--out <file>', 'the report file; its extension picks the format: .html, .md, .json, .xml (JUnit)')
      .option('--trace <id>', 'include the trace of this id (event id, stream, order id, correlation id); repeatable', collect)
      .option('--key <file>', 'sign the report with this Ed25519 private key (PEM); evtrail verify --report --pubkey checks it'),
  )
    .addOption(new Option('--fail-on <severity>', 'exit 1 (after writing) when rules at or above this severity found violations; without it the findings never fail report').choices(['error', 'warning', 'info', 'none']))
    .option('--tenant <id>', "report only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta); the integrity check covers the whole store")
    .option('--samples <n>', 'violations shown per rule as evidence (the counts are always exact)', '5')
    .option('--no-verify', 'leave out the integrity check of the store')
    .option('--json', 'print what was written as one JSON document');
  dbOption(command).action(async (flags: ReportFlags) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, featureFlag, valueFlag, wholeNumberFlag }, { runReport, reportTarget }, { renderReportSummary, reportFailure }, { PRIVATE_KEY_HINT }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../report/report.js'), import('../../report/summary-render.js'), import('../../integrity/keys.js'),
    ]);
    const mode = outputMode(flags);
    const { out: target, samples, trace, key } = parseFlags(z.object({
      out: featureFlag(reportTarget),
      key: valueFlag('--key', PRIVATE_KEY_HINT).optional(),
      samples: wholeNumberFlag('--samples', { min: 1, max: 1000, hint: 'violations shown per rule as evidence, e.g. --samples 5' }),
      trace: z.array(valueFlag('--trace', 'e.g. --trace ord-00000042 (an event id, stream, order id or correlation id)')).optional(),
    }), flags);
    const written = await runReport({ ...flags, target, samples, ...(trace === undefined ? {} : { trace }), ...(key === undefined ? {} : { key }) });
    renderReportSummary(mode, written);
    const failure = reportFailure(mode, written);
    if (failure) throw failure;
  });
}
