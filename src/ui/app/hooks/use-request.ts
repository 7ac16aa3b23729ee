import { useCallback, useEffect, useRef, useState } from 'react';
import { firstLine } from '../../../core/errors.js';
import { Cancelled, type QueryRunner, type RunOptions } from '../data/runner.js';

export interface RequestState<T> {
  /** The last result (kept while the next one loads). */
  data: T | undefined;
  loading: boolean;
  /** The last request's error, one line (and its hint). */
  error: string | undefined;
  cancelled: boolean;
}

/**
 * One screen's async reads through the app's query lane. The latest request wins: a result
 * that arrives after a newer request was made is dropped, so fast key repeats never show an
 * older page last. `onDone` runs with the result once it is state (for timings); `options`: the
 * lane's (a live store's refresh runs in the background). `initial`: data
 * read before the screen was drawn (the overview's, read while ink loaded).
 */
export function useRequest<T>(runner: QueryRunner, initial?: T): [RequestState<T>, (label: string, fn: () => Promise<T>, onDone?: (data: T) => void, options?: RunOptions) => void] {
  const [state, setState] = useState<RequestState<T>>({ data: initial, loading: false, error: undefined, cancelled: false });
  const latest = useRef(0);
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  const run = useCallback(
    (label: string, fn: () => Promise<T>, onDone?: (data: T) => void, options?: RunOptions) => {
      const n = ++latest.current;
      setState((s) => ({ ...s, loading: true, error: undefined, cancelled: false }));
      runner.run(label, fn, options).then(
        (data) => {
          if (n !== latest.current || !mounted.current) return;
          setState({ data, loading: false, error: undefined, cancelled: false });
          onDone?.(data);
        },
        (error: unknown) => {
          if (n !== latest.current || !mounted.current) return;
          const cancelled = error instanceof Cancelled;
          const hint = (error as { hint?: unknown }).hint;
          const message = cancelled ? undefined : firstLine(error) + (typeof hint === 'string' && hint ? ` (hint: ${hint})` : '');
          setState((s) => ({ ...s, loading: false, error: message, cancelled }));
        },
      );
    },
    [runner],
  );
  return [state, run];
}
