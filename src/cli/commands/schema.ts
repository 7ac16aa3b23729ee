import type { Command } from 'commander';
import { outputMode } from '../options.js';

export function registerSchema(program: Command): void {
  const schema = program.command('schema').description('schema evolution: compatibility of JSON Schema versions (Confluent semantics)');
  schema
    .command('compat')
    .description('is a new JSON Schema compatible with the old one (or every version in a registry)? exit 1 when not')
    .option('--old <file>', 'the old (registered) schema')
    .option('--new <file>', 'the proposed schema')
    .option('--registry <dir>', 'check every type\'s versions in this folder (<Type>.v<N>.json)')
    .option('--mode <mode>', 'BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE', 'BACKWARD')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: { old?: string; new?: string; registry?: string; mode: string; json?: boolean }) => {
      const { runCompatCommand } = await import('../../schema/compat-command.js');
      const mode = outputMode(flags);
      await runCompatCommand({ old: flags.old, new: flags.new, registry: flags.registry, mode: flags.mode, output: mode === 'csv' ? 'plain' : mode });
    });
  schema.exitOverride();
  schema.commands.forEach((c) => c.exitOverride());
}
