import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode } from '../../output/mode.js';

export function registerInfo(program: Command): void {
  const command = program
    .command('info')
    .description('what the store holds: sources, counts, time range, types, streams, rejects')
    .option('--json', 'print one JSON document')
    .option('--csv', 'print each table as CSV, the tables separated by an empty line');
  dbOption(command).action(async (flags: { db: string; json?: boolean; csv?: boolean }) => {
    const [{ Store }, { storeInfo }, { printJson }, { printTables, toCsv }, { infoTables }] = await Promise.all([
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
      else if (mode === 'csv') process.stdout.write(infoTables(info).map((t) => toCsv(t.columns, t.rows)).join('\n'));
      else {
        await printTables(mode, infoTables(info));
        const { dbArg, printNextSteps, shellWord } = await import('../../output/next-steps.js');
        const db = dbArg(flags.db);
        const stream = info.topStreams[0]?.stream;
        if (info.events > 0) {
          printNextSteps([
            [`evtrail replay --at end-1m${db}`, 'the state a minute before the last event'],
            ...(stream ? [[`evtrail trace ${shellWord(stream)}${db}`, 'why its busiest stream did what it did'] as [string, string]] : []),
            [`evtrail audit${db}`, 'what broke the rules'],
            [`evtrail ui${db}`, 'explore it in the terminal'],
          ]);
        }
      }
    } finally {
      store.close();
    }
  });
}
