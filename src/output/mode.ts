/** How a command's output is written: chosen once from its flags and whether stdout is a terminal. */

export interface OutputFlags {
  json?: boolean;
  csv?: boolean;
}

export type OutputMode = 'json' | 'csv' | 'tty' | 'plain';

/** --json / --csv win; otherwise a terminal gets ink rendering and a pipe plain text. */
export function outputMode(flags: OutputFlags): OutputMode {
  if (flags.json) return 'json';
  if (flags.csv) return 'csv';
  return process.stdout.isTTY ? 'tty' : 'plain';
}

