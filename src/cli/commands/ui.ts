import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { dbOption } from '../options.js';

export function registerUi(program: Command): void {
  const command = program
    .command('ui')
    .description('the interactive explorer: overview, timeline, replay, trace, audit, SQL and schemas (in a terminal; also `evtrail` alone)')
    .addOption(new Option('--screen <name>', 'the screen to open on').choices(['overview', 'timeline', 'replay', 'trace', 'audit', 'sql', 'schemas']))
    .option('--tenant <id>', "show only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)");
  dbOption(command).action(async (flags: { db: string; screen?: 'overview' | 'timeline' | 'replay' | 'trace' | 'audit' | 'sql' | 'schemas'; tenant?: string }) => {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UserError('evtrail ui needs a terminal (its input and output are not both a TTY)', 'run it in a terminal; scripts get the same answers from evtrail info / query / audit / trace --json');
    }
    // chalk reads the colour level once, when ink loads it: NO_COLOR must be seen before.
    if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
    // ink draws only the last frame when it believes it runs in CI (is-in-ci reads CI once, on
    // load), which would leave a terminal blank; a user at a terminal is never that.
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    // React and its reconciler in their production builds: about half the code to load, and the
    // development checks are for the app's authors (its tests run them).
    process.env.NODE_ENV ??= 'production';
    // DuckDB first: the store opens and the overview's reads run on DuckDB's threads while ink
    // and the app load on this one.
    const { startSession } = await import('../../ui/app/boot.js');
    const session = startSession(flags.db, flags.tenant === undefined ? {} : { tenant: flags.tenant });
    const { runUi } = await import('../../ui/app/run.js');
    await runUi(session, flags.db, flags.screen);
  });
}
