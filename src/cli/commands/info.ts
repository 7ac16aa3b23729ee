import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

export function registerInfo(program: Command): void {
  const command = program
    .command('info')
    .description('what the store holds: sources, counts, time range, types, streams, rejects')
    .option('--json', 'print one JSON document');
  dbOption(command).action(async (flags: { db: string; json?: boolean }) => {
    const [{ Store }, { storeInfo }, { printJson }, { printTables }, { infoTables }] = await Promise.all([
      import('../../store/store.js'),
      import('../../info/info.js'),
      import('../../output/json.js'),
      import('../../output/table.js'),
      import('../../info/info-view.js'),
    ]);
    const store = await Store.open(flags.db, { readOnly: true });
    try {
      const info = await storeInfo(store);
      const mode = outputMode(flags);
      if (mode === 'json') printJson(info);
      else await printTables(mode === 'csv' ? 'plain' : mode, infoTables(info));
    } finally {
      store.close();
    }
  });
}
