import type { Command } from 'commander';
import type { VerifyCommandFlags } from '../../integrity/verify-command.js';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

export type VerifyFlags = Omit<VerifyCommandFlags, 'mode'> & { json?: boolean };

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('recompute the hash chain and compare it with the stored one; exit 1 if anything differs')
    .option('--source [paths...]', 'also read the sources again and compare: files (paths: where they are now, matched by file name), event stores read once as ingest reads them (a postgres:// or nats:// argument gives the credentials)')
    .option('--manifest <file>', 'compare the store with a seal written by evtrail seal (needs --pubkey)')
    .option('--pubkey <file>', 'the Ed25519 public key that signed the seal or the report')
    .option('--report <file>', 'check a report written by evtrail report (its hash; its signature with --pubkey) instead of the store')
    .option('--json', 'print one JSON document on stdout');
  dbOption(command).action(async (flags: VerifyFlags) => {
    const { runVerifyCommand } = await import('../../integrity/verify-command.js');
    await runVerifyCommand({ ...flags, mode: outputMode(flags) });
  });
}
