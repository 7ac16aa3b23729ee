import { Option, type Command } from 'commander';
import type { AuditOptions } from '../../audit/audit.js';
import { auditOptions, dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type AuditFlags = Omit<AuditOptions, 'limit' | 'sink'> & OutputFlags & {
  limit: string;
  details?: boolean;
  explain?: string;
  list?: boolean;
};

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
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, valueFlag, wholeNumberFlag }, { runAudit, listRules, explainRule }, render, { LIMIT_HINT }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../audit/audit.js'), import('../../audit/render.js'), import('../../audit/plan.js'),
    ]);
    const mode = outputMode(flags);
    const { limit, explain } = parseFlags(z.object({
      limit: wholeNumberFlag('--limit', { hint: LIMIT_HINT }),
      explain: valueFlag('--explain', 'e.g. --explain saga-incomplete (evtrail audit --list shows the rules)').optional(),
    }), flags);
    if (flags.list) return render.renderRuleList(mode, listRules(flags));
    if (explain !== undefined) return render.renderExplanation(mode, explainRule({ ...flags, id: explain, params: flags.param ?? [] }));
    const run = await runAudit({ ...flags, limit, sink: render.violationSink(mode) });
    await render.renderAudit(mode, run, flags.details ?? false);
    const failure = render.auditFailure(mode, run.result);
    if (failure) throw failure;
  });
}
