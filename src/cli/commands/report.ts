import { Option, type Command } from 'commander';
import type { ReportCommandFlags } from '../../report/report-command.js';
import { auditOptions, collect, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

// The flags' type lives with the command's service (less the output mode); a type-only import loads nothing.
export type ReportFlags = Omit<ReportCommandFlags, 'mode'> & { json?: boolean };

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
    const { runReportCommand } = await import('../../report/report-command.js');
    await runReportCommand({ ...flags, mode: outputMode(flags) });
  });
}
