import { parentPort, workerData } from 'node:worker_threads';
import { readBlock, type BlockRequest } from './block-records.js';

/**
 * Worker thread of BlockReader (block-records.ts): reads each block file it is sent, writing
 * event hashes into the shared `seq,hash` file (its descriptor is the main thread's: one
 * process), one block at a time, and answers each with its digest and count, or the error's
 * message.
 */
const { fd } = workerData as { fd: number };
parentPort!.on('message', (request: BlockRequest) => {
  try {
    parentPort!.postMessage({ job: request.job, records: readBlock(request, fd) });
  } catch (error) {
    parentPort!.postMessage({ job: request.job, error: String((error as Error)?.message ?? error) });
  }
});
