// Piscina entry point: one resident task per thread (resident-task.ts) executes the batches posted
// to it against shared memory. They live in shared memory, so nothing is answered but the task's
// number: the main thread reads the outputs in place.
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { assert } from '../../domain/errors.js';
import { Batch } from '../batch.js';
import { Executor } from './executor.js';
import { serveResident, type ResidentStart } from './resident-task.js';
import type { WorkerInit } from './worker-data.js';

const init = Piscina.workerData as WorkerInit;
assert(init.buffer instanceof SharedArrayBuffer, 'workers receive the shared memory');
const executor = new Executor(init, threadId);

/** Serves a resident task; returns how many tasks it served. */
export default function serve(start: ResidentStart): number {
  assert(start.mailbox instanceof SharedArrayBuffer, 'a resident task receives its mailbox');
  assert(Array.isArray(start.batches) && start.batches.length > 0, 'a resident task receives the batch buffers');
  const batches = start.batches.map((buffer) => new Batch(buffer));
  return serveResident(start, batches, runBatches);
}

/**
 * Executes the batches of one task in order (the router sends every shard ready in a turn together:
 * one thread woken instead of one per shard).
 */
function runBatches(batches: Batch[]): void {
  try {
    executor.executeAll(batches);
  } catch (error) {
    // The operation in flight stays as it is, locks included, for the main thread to repair from
    // its thread-table row; this thread continues on a fresh row.
    executor.abandonRow();
    throw error;
  }
}
