import type { Command } from 'commander';
import { dbOption, outputOptions } from '../options.js';
import { outputMode } from '../../output/mode.js';

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
    if (flags.againstLog) {
      const { runAgainstLogCommand } = await import('../../schema/against-log.js');
      await runAgainstLogCommand({ ...flags, version: flags.schemaVersion, output: output(flags) });
      return;
    }
    const { runCompatCommand } = await import('../../schema/compat-command.js');
    await runCompatCommand({ old: flags.old, new: flags.new, registry: flags.registry, protoPath: flags.protoPath, lenient: flags.lenient, mode: flags.mode, output: output(flags) });
  });
  withOutput(
    schema
      .command('check')
      .description('validate every stored event against the schema of its type and version; exit 1 on any violation')
      .option('--registry <dir>', PACK_REGISTRY)
      .option('--limit <n>', 'events whose violations are listed (the counts are always exact); 0 lists all', '1000'),
  ).action(async (flags: { registry?: string; limit: string; db: string; json?: boolean }) => {
    const { runCheckCommand } = await import('../../schema/check-command.js');
    await runCheckCommand({ ...flags, output: output(flags) });
  });
  withOutput(
    schema
      .command('infer')
      .description('infer a JSON Schema per (type, version) from the stored events (types, required, enums, date-times, presence)')
      .option('--out <dir>', 'write <Type>.v<N>.json files there (a registry for check and compat)')
      .option('--force', 'overwrite files that exist in --out'),
  ).action(async (flags: { out?: string; force?: boolean; db: string; json?: boolean }) => {
    const { runInferCommand } = await import('../../schema/infer-command.js');
    await runInferCommand({ ...flags, output: output(flags) });
  });
  withOutput(
    schema
      .command('timeline')
      .description('per type, the versions seen with first and last time and counts; producers still on an old version; versions with no schema')
      .option('--registry <dir>', PACK_REGISTRY),
  ).action(async (flags: { registry?: string; db: string; json?: boolean }) => {
    const { runTimelineCommand } = await import('../../schema/timeline.js');
    await runTimelineCommand({ ...flags, output: output(flags) });
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
    const { runUpcastCommand } = await import('../../schema/upcast.js');
    await runUpcastCommand({ ...flags, output: output(flags) });
  });
  schema.exitOverride();
  schema.commands.forEach((c) => c.exitOverride());
}
