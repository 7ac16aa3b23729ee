import type { Command } from 'commander';
import { dbOption, outputOptions } from '../options.js';
import { outputMode } from '../../output/mode.js';
import { CheckFailed, UserError } from '../../core/errors.js';

/** The schema commands print tables or JSON; --csv is not offered, a pipe gets plain text. */
const output = (flags: { json?: boolean }) => outputMode(flags);

/** Every schema command ends with --json (no --csv) and --db. */
const withOutput = (command: Command): Command => dbOption(outputOptions(command, false));

const PACK_REGISTRY = "the schemas (<Type>.v<N>.json); default: the packs' schemas when the log speaks their vocabulary";

export function registerSchema(program: Command): void {
  const schema = program.command('schema').description('schema evolution of JSON Schema, Avro and Protobuf versions (Confluent semantics): compat, check, infer, timeline, upcast');
  withOutput(
    schema
      .command('compat')
      .description('is a new schema (JSON Schema, Avro .avsc or Protobuf .proto) compatible with the old one (or every version in a registry, or the stored events with --against-log)? exit 1 when not')
      .option('--old <file>', 'the old (registered) schema')
      .option('--new <file>', 'the proposed schema')
      .option('--registry <dir>', 'check every type\'s versions in this folder (<Type>.v<N>.json)')
      .option('--lenient', 'JSON Schema: Confluent\'s lenient rule set (also lets through properties added to or removed from open content models, and additionalProperties narrowed or removed)')
      .option('--proto-path <dir...>', '.proto files: folders to look up imports in, after the importing file\'s own')
      .option('--mode <mode>', 'BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE', 'BACKWARD')
      .option('--against-log', 'check --new against every stored event of its type and list those it would reject')
      .option('--type <type>', 'with --against-log: the event type (default: from the file name <Type>.v<N>.json or x-evtrail-type)')
      .option('--schema-version <n>', 'with --against-log: only the events of this schema_version (default: all versions)')
      .option('--limit <n>', 'with --against-log: rejected events listed (the counts are always exact); 0 lists all', '1000'),
  ).action(async (flags: { old?: string; new?: string; registry?: string; protoPath?: string[]; lenient?: boolean; mode: string; againstLog?: boolean; type?: string; schemaVersion?: string; limit: string; db: string; json?: boolean }) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, textFlag, wholeNumberFlag }, { renderAgainstLog, renderCompat }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../schema/render.js'),
    ]);
    if (flags.againstLog) {
      // What is missing or does not go together first, then the values (--mode is not read: no pair to compare).
      if (flags.new === undefined) throw new UserError('--against-log needs --new FILE', 'evtrail schema compat --new my-schemas/OrderPlaced.v3.json --against-log');
      if (flags.old !== undefined || flags.registry !== undefined) throw new UserError('--against-log checks --new against the stored events; it cannot be combined with --old or --registry', 'drop --old/--registry');
      const [{ runAgainstLog }, { LIMIT_HINT }] = await Promise.all([import('../../schema/against-log.js'), import('../../schema/run-check.js')]);
      const { schemaVersion, limit } = parseFlags(z.object({
        schemaVersion: wholeNumberFlag('--schema-version', { hint: 'e.g. --schema-version 2' }).optional(),
        limit: wholeNumberFlag('--limit', { hint: LIMIT_HINT }),
      }), flags);
      const result = await runAgainstLog({ db: flags.db, new: flags.new, type: flags.type, version: schemaVersion ?? null, limit });
      await renderAgainstLog(output(flags), result);
      if (result.failure !== undefined) throw new CheckFailed(result.failure);
      return;
    }
    const { runCompat, parseMode } = await import('../../schema/run-compat.js');
    const { mode } = parseFlags(z.object({ mode: textFlag(parseMode) }), flags);
    const answer = runCompat({ old: flags.old, new: flags.new, registry: flags.registry, protoPath: flags.protoPath, lenient: flags.lenient, mode });
    await renderCompat(output(flags), answer);
    if (answer.failure !== undefined) throw new CheckFailed(answer.failure);
  });
  withOutput(
    schema
      .command('check')
      .description('validate every stored event against the schema of its type and version; exit 1 on any violation')
      .option('--registry <dir>', PACK_REGISTRY)
      .option('--limit <n>', 'events whose violations are listed (the counts are always exact); 0 lists all', '1000'),
  ).action(async (flags: { registry?: string; limit: string; db: string; json?: boolean }) => {
    const [{ z }, { parseFlags, wholeNumberFlag }, { runCheck, LIMIT_HINT }, { renderCheck }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../schema/run-check.js'), import('../../schema/render.js'),
    ]);
    const { limit } = parseFlags(z.object({ limit: wholeNumberFlag('--limit', { hint: LIMIT_HINT }) }), flags);
    const result = await runCheck({ db: flags.db, registry: flags.registry, limit });
    await renderCheck(output(flags), result);
    if (result.failure !== undefined) throw new CheckFailed(result.failure);
  });
  withOutput(
    schema
      .command('infer')
      .description('infer a JSON Schema per (type, version) from the stored events (types, required, enums, date-times, presence)')
      .option('--out <dir>', 'write <Type>.v<N>.json files there (a registry for check and compat)')
      .option('--force', 'overwrite files that exist in --out'),
  ).action(async (flags: { out?: string; force?: boolean; db: string; json?: boolean }) => {
    const [{ runInfer }, { renderInfer }] = await Promise.all([import('../../schema/run-infer.js'), import('../../schema/render.js')]);
    await renderInfer(output(flags), await runInfer({ db: flags.db, out: flags.out, force: flags.force }));
  });
  withOutput(
    schema
      .command('timeline')
      .description('per type, the versions seen with first and last time and counts; producers still on an old version; versions with no schema')
      .option('--registry <dir>', PACK_REGISTRY),
  ).action(async (flags: { registry?: string; db: string; json?: boolean }) => {
    const [{ runTimeline }, { renderTimeline }] = await Promise.all([import('../../schema/timeline.js'), import('../../schema/render.js')]);
    await renderTimeline(output(flags), await runTimeline({ db: flags.db, registry: flags.registry }));
  });
  withOutput(
    schema
      .command('upcast')
      .description('run upcasters over the stored history (--dry-run): events that throw or still fail the newest schema; exit 1 when any')
      .option('--upcasters <file>', 'a .js/.mjs module: export default { <Type>: { <fromVersion>: (data, event) => newData } }')
      .option('--dry-run', 'report what the upcasters make of the stored events; the store is never changed (the only mode, asked for by name)')
      .option('--registry <dir>', 'the schemas the results must pass (the newest version of each type); default: the packs\' schemas')
      .option('--limit <n>', 'events whose problems are listed (the counts are always exact); 0 lists all', '1000'),
  ).action(async (flags: { upcasters?: string; dryRun?: boolean; registry?: string; limit: string; db: string; json?: boolean }) => {
    const [{ z }, { parseFlags, featureFlag, flagOf, wholeNumberFlag }, { runUpcast, upcastersFlag, dryRunFlag }, { LIMIT_HINT }, { renderUpcast }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../schema/upcast.js'), import('../../schema/run-check.js'), import('../../schema/render.js'),
    ]);
    // In this order, all before the module is loaded or the store opened.
    const { upcasters, limit } = parseFlags(z.object({
      upcasters: featureFlag(upcastersFlag),
      dryRun: flagOf(z.boolean().optional(), dryRunFlag),
      limit: wholeNumberFlag('--limit', { hint: LIMIT_HINT }),
    }), flags);
    const result = await runUpcast({ db: flags.db, upcasters, registry: flags.registry, limit });
    await renderUpcast(output(flags), result);
    if (result.failure !== undefined) throw new CheckFailed(result.failure);
  });
  schema.exitOverride();
  schema.commands.forEach((c) => c.exitOverride());
}
