// Piscina entry point: executes one batch against shared memory. The batch lives in shared memory, so
// nothing is returned: the main thread reads the outputs in place.
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { assert } from '../../domain/errors.js';
import { Batch } from '../batch.js';
import { Executor } from './executor.js';
import type { WorkerInit } from './worker-data.js';

const init = Piscina.workerData as WorkerInit;
assert(init.buffer instanceof SharedArrayBuffer, 'workers receive the shared memory');
const executor = new Executor(init, threadId);

export default function runBatch(buffer: SharedArrayBuffer): number {
  const batch = new Batch(buffer);
  try {
    executor.execute(batch);
  } catch (error) {
    // The operation in flight stays as it is, locks included, for the main thread to repair from
    // its thread-table row; this thread continues on a fresh row.
    executor.abandonRow();
    throw error;
  }
  return batch.count;
}
