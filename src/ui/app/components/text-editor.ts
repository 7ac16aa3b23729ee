/**
 * A multi-line editor's state and keys (pure): the text and a cursor (an offset into it).
 * ← → move by a character (across line breaks), home / ctrl-a and end / ctrl-e to the start and
 * end of the cursor's line, ↑ ↓ to the line above / below (the caller uses them for history on
 * the first / last line), backspace deletes before the cursor, ctrl-d at it, ctrl-k to the end
 * of the line, ctrl-u clears; typed and pasted text goes in at the cursor.
 */
import type { Key } from 'ink';

export interface TextState {
  text: string;
  /** 0…text.length. */
  cursor: number;
}

/** The cursor's line and column. */
export function cursorPlace(s: TextState): { line: number; column: number } {
  const before = s.text.slice(0, s.cursor);
  const line = before.split('\n').length - 1;
  return { line, column: s.cursor - (before.lastIndexOf('\n') + 1) };
}

const lineStart = (text: string, cursor: number) => text.lastIndexOf('\n', cursor - 1) + 1;
const lineEnd = (text: string, cursor: number) => {
  const i = text.indexOf('\n', cursor);
  return i < 0 ? text.length : i;
};

/** The cursor one line up or down, at the same column or the line's end; null past the first / last line. */
export function verticalMove(s: TextState, step: -1 | 1): TextState | null {
  const { text, cursor } = s;
  const start = lineStart(text, cursor);
  const column = cursor - start;
  if (step < 0) {
    if (start === 0) return null;
    const prevStart = lineStart(text, start - 1);
    return { text, cursor: Math.min(prevStart + column, start - 1) };
  }
  const end = lineEnd(text, cursor);
  if (end === text.length) return null;
  const nextStart = end + 1;
  return { text, cursor: Math.min(nextStart + column, lineEnd(text, nextStart)) };
}

/** The state after a key that moves or edits; undefined for a key the editor leaves alone. */
export function editText(s: TextState, input: string, key: Key): TextState | undefined {
  const { text, cursor } = s;
  const at = (c: number): TextState => ({ text, cursor: Math.max(0, Math.min(text.length, c)) });
  const replace = (from: number, to: number, by: string): TextState => ({ text: text.slice(0, from) + by + text.slice(to), cursor: from + by.length });
  if (key.leftArrow && !key.meta) return at(cursor - 1);
  if (key.rightArrow && !key.meta) return at(cursor + 1);
  if (key.home || (key.ctrl && input === 'a')) return at(lineStart(text, cursor));
  if (key.end || (key.ctrl && input === 'e')) return at(lineEnd(text, cursor));
  // Terminals send backspace as DEL, which ink reports as delete: both delete backwards.
  if (key.backspace || key.delete) return cursor > 0 ? replace(cursor - 1, cursor, '') : s;
  if (key.ctrl && input === 'd') return cursor < text.length ? replace(cursor, cursor + 1, '') : s;
  if (key.ctrl && input === 'k') {
    // At the end of a line it joins the next one (as in emacs).
    const end = lineEnd(text, cursor);
    return replace(cursor, end === cursor ? Math.min(text.length, cursor + 1) : end, '');
  }
  if (key.ctrl && input === 'u') return { text: '', cursor: 0 };
  if (key.ctrl || key.meta || key.escape || key.tab || key.return || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return undefined;
  const typed = input.replace(/\r\n?/g, '\n').replace(/[\x00-\x09\x0b-\x1f\x7f]/g, '');
  return typed ? replace(cursor, cursor, typed) : undefined;
}

/** The first of `rows` lines shown: the last ones, or from the cursor's line when it is above them. */
export function editorWindow(lineCount: number, cursorLine: number, rows: number): number {
  return Math.max(0, Math.min(cursorLine, lineCount - rows));
}
