import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.js';
import type { WatchSetup } from '../../watch/session.js';
import { dbOption } from '../options.js';
import { WATCH_ONLY_OPTIONS, watchOptions } from '../watch-flags.js';

/** The flags as commander gives them (a type-only import loads nothing); the watch's are watch's (../watch-flags.ts). */
type UiFlags = Partial<Omit<WatchSetup, 'db' | 'intervalMs' | 'clock' | 'settle' | 'command'>> & {
  db: string;
  interval: string;
  clock: string;
  settle?: string[];
  screen?: 'overview' | 'timeline' | 'replay' | 'trace' | 'audit' | 'sql' | 'schemas';
  tenant?: string;
  watch?: string[];
};

export function registerUi(program: Command): void {
  const command = program
    .command('ui')
    .description('the interactive explorer: overview, timeline, replay, trace, audit, SQL and schemas (in a terminal; also `evtrail` alone)')
    .addOption(new Option('--screen <name>', 'the screen to open on').choices(['overview', 'timeline', 'replay', 'trace', 'audit', 'sql', 'schemas']))
    .option('--tenant <id>', "show only this tenant's events (Marten's tenant_id, or tenant / tenantId in meta)")
    // --watch: `evtrail watch` run inside the explorer (src/watch/session.ts); the flags after it
    // are watch's, for the sources it follows.
    .option('--watch <source...>', 'follow these log files or this event store URL into --db while exploring it (as evtrail watch does): the screens move with the log, alerts fill the audit screen');
  watchOptions(command, true);
  dbOption(command).action(async (flags: UiFlags) => {
    if (!flags.watch) {
      const watchOnly = WATCH_ONLY_OPTIONS.find((k) => flags[k] !== undefined);
      if (watchOnly || flags.map?.length) throw new UserError(`--${watchOnly ?? 'map'} is for --watch`, 'evtrail ui --watch SOURCE --db FILE (the explorer over a store another command wrote takes only --db, --screen, --tenant)');
    }
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UserError('evtrail ui needs a terminal (its input and output are not both a TTY)', flags.watch ? 'run it in a terminal; scripts follow a log with evtrail watch --json' : 'run it in a terminal; scripts get the same answers from evtrail info / query / audit / trace --json');
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
    const lens = flags.tenant === undefined ? {} : { tenant: flags.tenant };
    if (flags.watch) {
      // The watcher first (its flags checked, the store opened or created read-write), then the
      // explorer reading beside it in this process.
      const [{ parseFlags }, { watchSetupSchema }, { startLiveSession }] = await Promise.all([import('../flags.js'), import('../watch-schema.js'), import('../../ui/app/boot.js')]);
      const { interval, clock, settle } = parseFlags(watchSetupSchema, flags);
      const session = await startLiveSession(flags.watch, { ...flags, map: flags.map ?? [], intervalMs: interval, clock, settle, command: 'ui' }, lens);
      const { runUi } = await import('../../ui/app/run.js');
      await runUi(session, flags.db, flags.screen);
      return;
    }
    // DuckDB first: the store opens and the overview's reads run on DuckDB's threads while ink
    // and the app load on this one.
    const { startSession } = await import('../../ui/app/boot.js');
    const session = startSession(flags.db, lens);
    const { runUi } = await import('../../ui/app/run.js');
    await runUi(session, flags.db, flags.screen);
  });
}
