import { parentPort, workerData } from 'node:worker_threads';
import { readRange, type RangeRequest } from './nats-range.js';

/**
 * Worker thread for one part of a JetStream read (nats-range.ts): posts `progress` with the
 * messages read so far, then `done` with the result, or `error` with the error's name, code,
 * syscall, path and message (the main thread turns them into the user's one line).
 */
const post = (message: unknown) => parentPort!.postMessage(message);
readRange(workerData as RangeRequest, (rows) => post({ kind: 'progress', rows })).then(
  (result) => post({ kind: 'done', result }),
  (error: unknown) => {
    const e = error as { name?: unknown; code?: unknown; message?: unknown; syscall?: unknown; path?: unknown };
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    post({ kind: 'error', name: String(e?.name ?? 'Error'), code: text(e?.code), syscall: text(e?.syscall), path: text(e?.path), message: String(e?.message ?? error) });
  },
);
