import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

export function registerSeal(program: Command): void {
  const command = program
    .command('seal')
    .description('verify the store, then write a manifest of it (counts, chain head, source hashes) signed with an Ed25519 key')
    .option('--key <file>', 'the Ed25519 private key (PEM), e.g. from evtrail keygen')
    .option('--out <file>', 'where to write the manifest, e.g. seal.json')
    .option('--json', 'print one JSON document on stdout');
  dbOption(command).action(async (flags: { db: string; key?: string; out?: string; json?: boolean }) => {
    const { runSealCommand } = await import('../../integrity/seal-command.js');
    await runSealCommand({ ...flags, mode: outputMode(flags) });
  });
}
