// Account lock acquire + release: uncontended, and contended by a second thread on the same lock.
import { Worker } from 'node:worker_threads';
import type { Bench } from 'tinybench';
import { AccountLocks } from '../dist/shm/locks.js';

const contender = `
const { workerData } = require('node:worker_threads');
const i32 = new Int32Array(workerData.buffer);
while (Atomics.load(i32, 1) === 0) {
  if (Atomics.compareExchange(i32, 0, 0, 2 << 1) === 0) { for (let i = 0; i < 20; i++); Atomics.store(i32, 0, 0); }
}`;

export function register(bench: Bench): () => Promise<void> {
  const free = new Int32Array(new SharedArrayBuffer(64));
  const mine = new AccountLocks(free, 1);
  bench.add('lock: uncontended acquire + release', () => {
    mine.acquire(0, performance.now() + 1000);
    mine.release(0);
  });
  const buffer = new SharedArrayBuffer(64);
  const shared = new Int32Array(buffer);
  const locks = new AccountLocks(shared, 1);
  const worker = new Worker(contender, { eval: true, workerData: { buffer } });
  bench.add('lock: contended acquire + release (one other thread)', () => {
    if (!locks.acquire(0, performance.now() + 1000)) throw new Error('lock timeout in benchmark');
    locks.release(0);
  });
  return async () => {
    Atomics.store(shared, 1, 1);
    await worker.terminate();
  };
}
