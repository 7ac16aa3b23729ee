import { useState } from 'react';
import { scrollWindow } from '../format.js';

export interface ListState {
  cursor: number;
  top: number;
}

export type ListMove = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

/** Where a move puts the cursor of a list of `total` items shown `height` at a time (pure). */
export function moveList(s: ListState, m: ListMove, total: number, height: number): ListState {
  if (total === 0) return { cursor: 0, top: 0 };
  const page = Math.max(1, height);
  const target = { up: s.cursor - 1, down: s.cursor + 1, pageUp: s.cursor - page, pageDown: s.cursor + page, first: 0, last: total - 1 }[m];
  const cursor = Math.min(total - 1, Math.max(0, target));
  return { cursor, top: scrollWindow(total, cursor, height, s.top) };
}

/** A cursor over an in-memory list (rules, violations, results): the state half of a list view. */
export function useList(total: number, height: number) {
  const [state, setState] = useState<ListState>({ cursor: 0, top: 0 });
  const cursor = Math.min(state.cursor, Math.max(0, total - 1));
  const top = scrollWindow(total, cursor, height, state.top);
  return {
    cursor,
    top,
    move: (m: ListMove) => setState(moveList({ cursor, top }, m, total, height)),
    reset: () => setState({ cursor: 0, top: 0 }),
  };
}

/** The list move a key asks for (arrows, j/k, PgUp/PgDn, g/G, Home/End). */
export function listMoveOf(input: string, key: { upArrow: boolean; downArrow: boolean; pageUp: boolean; pageDown: boolean; home: boolean; end: boolean; ctrl: boolean }): ListMove | undefined {
  if (key.upArrow || input === 'k') return 'up';
  if (key.downArrow || input === 'j') return 'down';
  if (key.pageUp || (key.ctrl && input === 'b')) return 'pageUp';
  if (key.pageDown || (key.ctrl && input === 'f') || input === ' ') return 'pageDown';
  if (key.home || input === 'g') return 'first';
  if (key.end || input === 'G') return 'last';
  return undefined;
}
