import type { Command } from 'commander';
import { outputMode, type OutputFlags } from '../../output/mode.js';

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('create an Ed25519 key pair for seal and report: NAME.pem (private, 0600) and NAME.pub')
    .option('--out <name>', 'the pair\'s file name without extension, e.g. audit-key')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: OutputFlags & { out?: string }) => {
      // Loaded when the command runs, so --help loads no zod.
      const [{ z }, { parseFlags, featureFlag }, { keygenBase, runKeygen }, { renderKeygen }] = await Promise.all([
        import('zod'), import('../flags.js'), import('../../integrity/run-keygen.js'), import('../../integrity/render.js'),
      ]);
      const { out } = parseFlags(z.object({ out: featureFlag(keygenBase) }), flags);
      renderKeygen(outputMode(flags), runKeygen({ base: out }));
    });
}
