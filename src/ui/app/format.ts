/** Pure text helpers for the app's views (tested without a terminal). */
import { terminalSafe } from '../../output/terminal.js';

const BARS = '▁▂▃▄▅▆▇█';

/** Counts as a one-line bar chart; an empty slice is a space, any event at least ▁. */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  if (max === 0) return ' '.repeat(counts.length);
  return counts.map((c) => (c === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((c / max) * (BARS.length - 1) + 0.5))] ?? ' ')).join('');
}

/** Text cut to `width` columns with an ellipsis (line breaks become spaces, control characters shown escaped). */
export function fit(text: string, width: number): string {
  const one = terminalSafe(text.replace(/\r?\n/g, ' '));
  if (width <= 0) return '';
  return one.length > width ? one.slice(0, Math.max(0, width - 1)) + '…' : one;
}

/**
 * Text cut to `width` columns in the middle ("order-…00042"): for names whose end tells them
 * apart (streams, ids), where cutting the end would show the same prefix on every row.
 */
export function fitMiddle(text: string, width: number): string {
  const one = terminalSafe(text.replace(/\r?\n/g, ' '));
  if (width <= 0) return '';
  if (one.length <= width) return one;
  if (width === 1) return '…';
  // The end gets the larger half: it is the part that differs.
  const tail = Math.ceil((width - 1) / 2);
  return one.slice(0, width - 1 - tail) + '…' + one.slice(one.length - tail);
}

/**
 * Counts re-binned to `n` bins, each taking its share of the bins it overlaps: the same span
 * at another width (a sparkline after a resize, until the exact counts are read again).
 */
export function resample(counts: readonly number[], n: number): number[] {
  const m = counts.length;
  if (n <= 0) return [];
  if (m === 0) return Array.from({ length: n }, () => 0);
  if (m === n) return [...counts];
  const out = Array.from({ length: n }, () => 0);
  for (let j = 0; j < n; j++) {
    const lo = (j * m) / n;
    const hi = ((j + 1) * m) / n;
    for (let i = Math.floor(lo); i < Math.min(m, Math.ceil(hi)); i++) out[j]! += counts[i]! * (Math.min(hi, i + 1) - Math.max(lo, i));
  }
  return out;
}

/** `fit` and padded to exactly `width` columns. */
export function cell(text: string, width: number): string {
  return fit(text, width).padEnd(width);
}

/** An ISO time shortened for a list: the time of day when the log spans one day. */
export function shortTime(iso: string | null, oneDay: boolean): string {
  if (iso === null) return '(no time)';
  return oneDay ? iso.slice(11, 23) : iso.slice(0, 23).replace('T', ' ');
}

export const count = (n: number): string => n.toLocaleString('en-US');

export type JsonToken = { text: string; kind: 'key' | 'string' | 'number' | 'literal' | 'punct' };

/** Pretty JSON as lines of coloured tokens (keys, strings, numbers, literals). */
export function jsonLines(value: unknown): JsonToken[][] {
  const text = terminalSafe(JSON.stringify(value, null, 2) ?? 'null');
  return text.split('\n').map((line) => {
    const tokens: JsonToken[] = [];
    const re = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(true|false|null)|([^"\d\-tfn]+|.)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      if (m[1] !== undefined) {
        if (m[2] !== undefined) tokens.push({ text: m[1], kind: 'key' }, { text: m[2], kind: 'punct' });
        else tokens.push({ text: m[1], kind: 'string' });
      } else if (m[3] !== undefined) tokens.push({ text: m[3], kind: 'number' });
      else if (m[4] !== undefined) tokens.push({ text: m[4], kind: 'literal' });
      else tokens.push({ text: m[0], kind: 'punct' });
    }
    return tokens;
  });
}

/** A window of `height` items that keeps `cursor` in view, moved as little as possible. */
export function scrollWindow(total: number, cursor: number, height: number, top: number): number {
  if (height <= 0 || total <= height) return 0;
  let t = Math.min(Math.max(0, top), total - height);
  if (cursor < t) t = cursor;
  if (cursor >= t + height) t = cursor - height + 1;
  return t;
}
