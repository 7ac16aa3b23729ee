/** `evtrail snapshot`: a projection's state every N events, kept in the store (./snapshots.ts). */
import type { OutputMode } from '../output/mode.js';
import { printJson } from '../output/json.js';
import { exactInteger, exactIntegerText } from '../output/json-values.js';
import { printTables } from '../output/table.js';
import { wholeNumber } from '../core/flags.js';
import { MACROS_SQL } from '../store/macros.js';
import { Store } from '../store/store.js';
import { resolveProjection, resolveUpcasters } from './replay.js';
import { makeSnapshots } from './snapshots.js';

export interface SnapshotFlags {
  db: string;
  projection: string;
  every: string;
  mode: OutputMode;
  /** Upcasters applied before a custom projection; the snapshots are keyed by their code too. */
  upcasters?: string;
}

export async function runSnapshotCommand(flags: SnapshotFlags): Promise<void> {
  const every = BigInt(wholeNumber('--every', flags.every, { min: 1, hint: 'e.g. --every 1000000' }));
  const projection = await resolveProjection(flags.projection, await resolveUpcasters(flags.upcasters, flags.projection));
  const store = await Store.open(flags.db, {});
  try {
    await store.run(MACROS_SQL);
    const made = await makeSnapshots(store, projection, every);
    const name = projection.def.name;
    if (flags.mode === 'json') {
      // seq a number, as in every --json (a string only beyond 2^53: ../output/json-values.ts).
      printJson({ projection: name, every: exactInteger(every), snapshots: made.map((m) => ({ ...m, seq: exactIntegerText(m.seq) })) });
      return;
    }
    await printTables(flags.mode, [
      {
        title: `snapshots of ${name} every ${every} events`,
        columns: ['seq', 'entities'],
        rows: made.map((m) => [m.seq, m.entities]),
        note: made.length === 0 ? `none: the store has fewer than ${every} events` : `${made.length} snapshot${made.length === 1 ? '' : 's'}`,
      },
    ]);
  } finally {
    store.close();
  }
}
