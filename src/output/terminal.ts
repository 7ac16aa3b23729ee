/**
 * Where text leaves evtrail for a terminal: the one sanitizer, and a stdout writer that waits
 * for a slow reader.
 */

/**
 * Characters a terminal obeys instead of showing: C0 controls but tab and line feed (ESC starts
 * the sequences that clear the screen, move the cursor, set the title; CR overwrites a line),
 * DEL, C1 controls (U+0080–U+009F: 8-bit CSI, OSC) and the bidirectional overrides and isolates
 * that reorder what is shown (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C).
 */
const TERMINAL_UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a log (ids, types, streams, file names, rule messages) made harmless for a terminal:
 * each control character is shown as an escape (`\x1b`, `\u009b`) instead of being obeyed. The
 * one sanitizer of the output layer, applied where text leaves evtrail (plain tables and text,
 * ink tables, the explorer's cells, error messages). JSON text stays valid and means the same
 * (JSON.stringify already escapes C0; DEL, C1 and the bidi controls get \uXXXX).
 */
export function terminalSafe(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** terminalSafe over every string in plain data (arrays, plain objects); other values as they are. */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === 'string') return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map((v) => terminalSafeDeep(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    // defineProperty: a key named __proto__ stays a key.
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: terminalSafeDeep(v), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return value;
}

/** Writes to stdout, waiting when the reader is slower than we are (large results, pipes). */
export async function writeOut(chunk: string): Promise<void> {
  // To a terminal, nothing is obeyed (CSV included; CSV to a pipe or file is data, as it is).
  const text = process.stdout.isTTY ? terminalSafe(chunk) : chunk;
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.once('drain', done);
    process.stdout.once('close', done);
  });
}
