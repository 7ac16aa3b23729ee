import { parentPort, workerData } from 'node:worker_threads';
import { hashRecordsFile, type HashRequest } from './event-hashes.js';

/**
 * Worker thread of EventHasher (event-hashes.ts): hashes each block file it is sent into the
 * shared `seq,hash` file (its descriptor is the main thread's: one process), one block at a
 * time, and answers each with what it found (HashedRecords), or the error's message.
 */
const { fd } = workerData as { fd: number };
parentPort!.on('message', (request: HashRequest) => {
  try {
    parentPort!.postMessage({ job: request.job, hashed: hashRecordsFile(request.file, request.above, fd) });
  } catch (error) {
    parentPort!.postMessage({ error: String((error as Error)?.message ?? error) });
  }
});
