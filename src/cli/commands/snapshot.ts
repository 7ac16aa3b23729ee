import type { Command } from 'commander';
import type { SnapshotOptions } from '../../replay/replay.js';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them (a type-only import loads nothing). */
type SnapshotFlags = Omit<SnapshotOptions, 'every'> & OutputFlags & { every: string };

export function registerSnapshot(program: Command): void {
  const command = program
    .command('snapshot')
    .description('keep a projection\'s state every N events in the store, so replay --at starts from the nearest one')
    .requiredOption('--projection <name>', 'orders, streams, positions, or a projection module (./my-projection.mjs or .ts)')
    .option('--every <n>', 'a snapshot every n seq (every, 2 × every, … up to the last event)', '1000000')
    .option('--upcasters <module>', 'upcast every event before a custom projection (as replay --upcasters); the snapshots are keyed by the upcasters\' code too')
    .option('--json', 'print { projection, every, snapshots: [{ seq, entities }] }')
    .option('--csv', 'print CSV')
    .addHelpText('after', `
Examples:
  evtrail snapshot --projection orders --every 1000000
  evtrail snapshot --projection ./my-projection.mjs --every 500000

Snapshots are keyed by a hash of the projection's code: after the code changes, replay ignores
them (with a note) until they are made again. Making them again replaces the projection's old ones.`);
  dbOption(command).action(async (flags: SnapshotFlags) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, wholeNumberFlag }, { runSnapshot }, { renderSnapshots }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../replay/replay.js'), import('../../replay/render.js'),
    ]);
    const mode = outputMode(flags);
    const { every } = parseFlags(z.object({ every: wholeNumberFlag('--every', { min: 1, hint: 'e.g. --every 1000000' }) }), flags);
    await renderSnapshots(mode, await runSnapshot({ ...flags, every: BigInt(every) }));
  });
}
