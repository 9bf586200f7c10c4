// Piscina entry point: executes batches against shared memory. They live in shared memory, so nothing
// is returned but a row count: the main thread reads the outputs in place.
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { assert } from '../../domain/errors.js';
import { Batch } from '../batch.js';
import { Executor } from './executor.js';
import type { WorkerInit } from './worker-data.js';

const init = Piscina.workerData as WorkerInit;
assert(init.buffer instanceof SharedArrayBuffer, 'workers receive the shared memory');
const executor = new Executor(init, threadId);

/**
 * Executes the batches of one task in order (the router sends every shard ready in a turn together:
 * one thread woken instead of one per shard).
 */
export default function runBatches(buffers: readonly SharedArrayBuffer[]): number {
  assert(Array.isArray(buffers) && buffers.length > 0, 'a task carries at least one batch');
  const batches = buffers.map((buffer) => new Batch(buffer));
  try {
    executor.executeAll(batches);
  } catch (error) {
    // The operation in flight stays as it is, locks included, for the main thread to repair from
    // its thread-table row; this thread continues on a fresh row.
    executor.abandonRow();
    throw error;
  }
  return batches.reduce((rows, batch) => rows + batch.count, 0);
}
