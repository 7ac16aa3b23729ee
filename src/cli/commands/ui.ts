import { Option, type Command } from 'commander';
import { UserError } from '../../core/errors.js';
import type { WatchSessionFlags } from '../../watch/session.js';
import { collect, dbOption } from '../options.js';

type UiFlags = Partial<Omit<WatchSessionFlags, 'db'>> & {
  db: string;
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
    .option('--watch <source...>', 'follow these log files or this event store URL into --db while exploring it (as evtrail watch does): the screens move with the log, alerts fill the audit screen')
    .option('--preset <name>', '--watch: as for ingest')
    .option('--format <format>', '--watch: as for ingest (ndjson or csv)')
    .option('--map <field=path>', '--watch: as for ingest (repeatable)', collect, [])
    .option('--config <file>', '--watch: ingest settings (default: ./evtrail.config.json when present)')
    .option('--schema <name>', '--watch postgres://: the schema of the store\'s table')
    .option('--table <[schema.]name>', '--watch postgres://: the table or view to read (--preset table)')
    .option('--stream <name>', '--watch nats://: the JetStream stream')
    .option('--subject <filter>', '--watch nats://: only messages on these subjects')
    .option('--only <ids>', '--watch: raise only these rules', collect)
    .option('--rules <dir>', '--watch: also run the rules in this folder')
    .option('--pack <ids>', '--watch: run these packs\' rules even when the log does not speak their vocabulary', collect)
    .option('--param <rule.key=value>', '--watch: set a rule parameter (repeatable)', collect)
    .option('--interval <duration>', '--watch: how often to look for new events when there were none', '250ms')
    .option('--clock <clock>', '--watch: what a timeout is measured against (live, log, wall; see evtrail watch --help)', 'live');
  dbOption(command).action(async (flags: UiFlags) => {
    if (!flags.watch) {
      const watchOnly = (['preset', 'format', 'config', 'schema', 'table', 'stream', 'subject', 'only', 'rules', 'pack', 'param'] as const).find((k) => flags[k] !== undefined);
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
      const { startLiveSession } = await import('../../ui/app/boot.js');
      const session = await startLiveSession(flags.watch, { ...flags, map: flags.map ?? [], interval: flags.interval ?? '250ms', clock: flags.clock ?? 'live' }, lens);
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
