// Goal: the bench's scheduler readings count what they claim: the main thread's CPU its own work and
// not another thread's, the process's readings every thread's, and waits for a core only when there
// are more runnable threads than cores; method: busy-loop here and in worker threads, and compare
// the readings before and after.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { processSchedTimes, threadSchedTimes } from '../dist/cli/thread-cpu.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

/** Resolves once every worker has emitted `event`; rejects on a worker's error. */
async function eachOnce(workers: readonly Worker[], event: 'exit' | 'message'): Promise<void> {
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.once(event, resolve);
          worker.once('error', reject);
        }),
    ),
  );
}

/** This thread's CPU nanoseconds, NaN where the kernel does not tell. */
function cpuNanos(): number {
  return threadSchedTimes()?.runNanos ?? Number.NaN;
}

describe.runIf(process.platform === 'linux')('the main thread\'s CPU reading', () => {
  it('grows by about the time this thread spent on the CPU', () => {
    const before = cpuNanos();
    spin(60);
    const after = cpuNanos();
    expect(after - before).toBeGreaterThanOrEqual(40e6);
    expect(after - before).toBeLessThan(10e9);
  });

  it('does not count another thread busy meanwhile', { timeout: 20_000 }, async () => {
    const before = cpuNanos();
    await eachOnce([new Worker('const end = Date.now() + 300; while (Date.now() < end) {}', { eval: true })], 'exit');
    const after = cpuNanos();
    // The worker ran ~300 ms of CPU; this thread only waited for it (and started it).
    expect(after - before).toBeLessThan(200e6);
  });
});

describe.runIf(process.platform === 'linux')('scheduler times', () => {
  it("read this thread's run time as part of the whole process's", () => {
    const threadBefore = threadSchedTimes();
    const processBefore = processSchedTimes();
    spin(60);
    const threadAfter = threadSchedTimes();
    const processAfter = processSchedTimes();
    expect(threadBefore).toBeDefined();
    expect(processBefore).toBeDefined();
    const threadRun = (threadAfter?.runNanos ?? Number.NaN) - (threadBefore?.runNanos ?? Number.NaN);
    const processRun = (processAfter?.runNanos ?? Number.NaN) - (processBefore?.runNanos ?? Number.NaN);
    expect(threadRun).toBeGreaterThanOrEqual(40e6);
    expect(processRun).toBeGreaterThanOrEqual(threadRun);
    expect((threadAfter?.waitNanos ?? -1) - (threadBefore?.waitNanos ?? 0)).toBeGreaterThanOrEqual(0);
  });

  it('count waits for a core when more threads are runnable than there are cores', { timeout: 30_000 }, async () => {
    const before = processSchedTimes();
    // Two busy threads more than cores, for 400 ms: some must wait their turn. Each then stays alive
    // until terminated, so that the process reading below still counts it.
    const script = `const { parentPort } = require('node:worker_threads'); const end = Date.now() + 400; while (Date.now() < end) {} parentPort.postMessage('done'); parentPort.on('message', () => {});`;
    const workers = Array.from({ length: availableParallelism() + 2 }, () => new Worker(script, { eval: true }));
    try {
      await eachOnce(workers, 'message');
      const after = processSchedTimes();
      const waited = (after?.waitNanos ?? Number.NaN) - (before?.waitNanos ?? Number.NaN);
      expect(waited).toBeGreaterThan(0);
      // Their run time is counted as well: each ran a good part of its 400 ms.
      expect((after?.runNanos ?? Number.NaN) - (before?.runNanos ?? Number.NaN)).toBeGreaterThan(300e6);
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  });
});
