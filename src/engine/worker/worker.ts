// Piscina entry point: executes one batch against shared memory and hands the buffer back.
import { threadId } from 'node:worker_threads';
import { Piscina, move } from 'piscina';
import { assert } from '../../domain/errors.js';
import { Batch } from '../batch.js';
import { Executor } from './executor.js';
import type { WorkerInit } from './worker-data.js';

const init = Piscina.workerData as WorkerInit;
assert(init.buffer instanceof SharedArrayBuffer, 'workers receive the shared memory');
const executor = new Executor(init, threadId);

export default function runBatch(buffer: ArrayBuffer): unknown {
  const batch = new Batch(buffer);
  executor.execute(batch);
  return move(buffer);
}
