import type { Command } from 'commander';
import { outputMode } from '../../output/mode.js';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 key pair for seal and report: NAME.pem (private, 0600) and NAME.pub')
    .option('--out <name>', 'the pair\'s file name without extension, e.g. audit-key')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: { out?: string; json?: boolean }) => {
      const { runKeygenCommand } = await import('../../integrity/keygen-command.js');
      await runKeygenCommand({ ...flags, mode: outputMode(flags) });
    });
}
