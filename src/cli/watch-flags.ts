/**
 * The flags a watch takes, shared by `evtrail watch` and `evtrail ui --watch` (both run the same
 * setup, src/watch/session.ts `openWatch`): declared once (`watchOptions`) and read once
 * (`watchSetupSchema`), so the two commands cannot drift apart.
 *
 * `watchOptions` is commander only (loaded for --help); `watchSetupSchema` is zod and is loaded
 * inside the actions (`await import('../watch-flags.js')`), so --help loads no zod.
 */
import type { Command } from 'commander';
import { collect } from './options.js';

/**
 * The watch's source and rule options, and its --interval, --clock and --settle. For `ui` each
 * help text says it is for --watch; otherwise the texts are the same.
 */
export function watchOptions(command: Command, forUi: boolean): Command {
  // scope: which sources an option is for ('' every source).
  const help = (scope: string, text: string) => (forUi ? `--watch${scope ? ` ${scope}` : ''}: ${text}` : scope ? `${scope}: ${text}` : text);
  return command
    .option('--preset <name>', help('', 'as for ingest: canonical, cloudevents, lobster; messagedb, marten, emmett, table; nats: canonical or cloudevents'))
    .option('--format <format>', help('', 'as for ingest: ndjson or csv (files that grow)'))
    .option('--map <field=path>', help('', 'as for ingest (repeatable)'), collect, [])
    .option('--config <file>', help('', 'ingest settings (default: ./evtrail.config.json when present)'))
    .option('--schema <name>', help('postgres://', 'the schema of the store\'s table'))
    .option('--table <[schema.]name>', help('postgres://', 'the table or view to read (--preset table)'))
    .option('--stream <name>', help('nats://', 'the JetStream stream'))
    .option('--subject <filter>', help('nats://', 'only messages on these subjects'))
    .option('--only <ids>', help('', 'raise only these rules (comma-separated, or repeated)'), collect)
    .option('--rules <dir>', help('', 'also run the rules (*.sql with a header) in this folder'))
    .option('--pack <ids>', help('', 'run these packs\' rules even when the log does not speak their vocabulary'), collect)
    .option('--param <rule.key=value>', help('', 'set a rule parameter (repeatable)'), collect)
    .option('--interval <duration>', help('', 'how often to look for new events when there were none'), '250ms')
    .option('--clock <clock>', help('', 'what a timeout (a stuck saga) and --settle are measured against: live (the log\'s end, running on with the wall clock while nothing comes), log (the log\'s end only, as audit), wall'), 'live')
    .option('--settle <[rule=]duration>', help('', 'how long a finding that a later event can withdraw (compensation-missing: 2s) must hold, on --clock, before it is raised (repeatable)'), collect);
}

/** The option names `watchOptions` declares without a default (ui refuses them without --watch). */
export const WATCH_ONLY_OPTIONS = ['preset', 'format', 'config', 'schema', 'table', 'stream', 'subject', 'only', 'rules', 'pack', 'param', 'settle'] as const;
