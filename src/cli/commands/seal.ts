import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

export function registerSeal(program: Command): void {
  const command = program
    .command('seal')
    .description('verify the store, then write a manifest of it (counts, chain head, source hashes) signed with an Ed25519 key')
    .option('--key <file>', 'the Ed25519 private key (PEM), e.g. from evtrail keygen')
    .option('--out <file>', 'where to write the manifest, e.g. seal.json')
    .option('--json', 'print one JSON document on stdout');
  dbOption(command).action(async (flags: OutputFlags & { db: string; key?: string; out?: string }) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, featureFlag }, { sealKey, sealOut, runSeal }, { renderSeal }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../integrity/run-seal.js'), import('../../integrity/render.js'),
    ]);
    // --key before --out, both before the key is read or the store opened.
    const { key, out } = parseFlags(z.object({ key: featureFlag(sealKey), out: featureFlag(sealOut) }), flags);
    renderSeal(outputMode(flags), await runSeal({ db: flags.db, key, out }));
  });
}
