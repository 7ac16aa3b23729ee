/**
 * How `info`'s answer is shown, and only that, from what ./run-info.ts returns: --json one
 * document, --csv each table (./info-view.ts) as CSV, else the tables and, in text on a
 * terminal, the next steps on stderr (`db` is the --db given, so they can be pasted).
 */
import { printJson } from '../output/json.js';
import type { OutputMode } from '../output/mode.js';
import { printTables, toCsv } from '../output/table.js';
import { dbArg, printNextSteps, shellWord } from '../output/next-steps.js';
import type { StoreInfo } from './info.js';
import { infoTables } from './info-view.js';

export async function renderInfo(mode: OutputMode, info: StoreInfo, db: string): Promise<void> {
  if (mode === 'json') {
    printJson(info);
    return;
  }
  if (mode === 'csv') {
    process.stdout.write(infoTables(info).map((t) => toCsv(t.columns, t.rows)).join('\n'));
    return;
  }
  await printTables(mode, infoTables(info));
  const stream = info.topStreams[0]?.stream;
  if (info.events > 0) {
    const dbFlag = dbArg(db);
    printNextSteps([
      [`evtrail replay --at end-1m${dbFlag}`, 'the state a minute before the last event'],
      ...(stream ? [[`evtrail trace ${shellWord(stream)}${dbFlag}`, 'why its busiest stream did what it did'] as [string, string]] : []),
      [`evtrail audit${dbFlag}`, 'what broke the rules'],
      [`evtrail ui${dbFlag}`, 'explore it in the terminal'],
    ]);
  }
}
