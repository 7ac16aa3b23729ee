/** How a command's output is written: chosen once from its flags and whether stdout is a terminal. */

export interface OutputFlags {
  json?: boolean;
  csv?: boolean;
  /** One JSON object per line, streamed (query, replay, audit, rejects). */
  ndjson?: boolean;
}

export type OutputMode = 'json' | 'ndjson' | 'csv' | 'tty' | 'plain';

/** The modes that write JSON: one document, or one object per line. */
export type JsonMode = 'json' | 'ndjson';

export function isJsonMode(mode: OutputMode): mode is JsonMode {
  return mode === 'json' || mode === 'ndjson';
}

/** --ndjson / --json / --csv win; otherwise a terminal gets ink rendering and a pipe plain text. */
export function outputMode(flags: OutputFlags): OutputMode {
  if (flags.ndjson) return 'ndjson';
  if (flags.json) return 'json';
  if (flags.csv) return 'csv';
  return process.stdout.isTTY ? 'tty' : 'plain';
}

