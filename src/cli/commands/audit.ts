import { Option, type Command } from 'commander';
import type { AuditCommandFlags } from '../../audit/audit-command.js';
import { auditOptions, dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

// The flags' type lives with the command's service (less the output mode); a type-only import loads nothing.
export type AuditFlags = Omit<AuditCommandFlags, 'mode'> & { json?: boolean; ndjson?: boolean; csv?: boolean };

export function registerAudit(program: Command): void {
  const command = auditOptions(
    program.command('audit').description('run the rule catalog (built-in rules and --rules DIR) as SQL over the store; exit 1 on violations at or above --fail-on (default: error)'),
  )
    .addOption(new Option('--fail-on <severity>', 'the lowest severity whose violations make the exit code 1').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--tenant <id>', "audit only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    .option('--details', 'list every violation, not only the summary')
    .option('--limit <n>', 'violations listed per rule (the counts are always exact); 0 lists all', '1000')
    .option('--explain <rule>', 'show what a rule checks, why, its parameters and its SQL (no store needed)')
    .option('--list', 'list the rules of the catalog (no store needed)')
    .option('--json', 'print one JSON document on stdout')
    .option('--ndjson', 'print the violations, one JSON object per line (--limit per rule applies)')
    .option('--csv', 'print the summary as CSV; with --details, every violation');
  dbOption(command).action(async (flags: AuditFlags) => {
    const { runAuditCommand } = await import('../../audit/audit-command.js');
    await runAuditCommand({ ...flags, mode: outputMode(flags) });
  });
}
