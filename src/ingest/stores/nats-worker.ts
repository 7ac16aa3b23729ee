import { parentPort, workerData } from 'node:worker_threads';
import { readRange, type RangeRequest } from './nats-range.js';

/**
 * Worker thread for one part of a JetStream read (nats-range.ts): posts `progress` with the
 * messages read so far, then `done` with the result, or `error` with the error's name, code
 * and message (the main thread turns them into the user's one line).
 */
const post = (message: unknown) => parentPort!.postMessage(message);
readRange(workerData as RangeRequest, (rows) => post({ kind: 'progress', rows })).then(
  (result) => post({ kind: 'done', result }),
  (error: unknown) => {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    post({ kind: 'error', name: String(e?.name ?? 'Error'), code: typeof e?.code === 'string' ? e.code : undefined, message: String(e?.message ?? error) });
  },
);
