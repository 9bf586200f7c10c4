// Goal: the bench's main-thread CPU reading counts this thread's own work and not another thread's;
// method: busy-loop here and in a worker thread, and compare the readings before and after each.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuNanos } from '../dist/cli/thread-cpu.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

describe.runIf(process.platform === 'linux')('threadCpuNanos', () => {
  it('grows by about the time this thread spent on the CPU', () => {
    const before = threadCpuNanos() ?? Number.NaN;
    spin(60);
    const after = threadCpuNanos() ?? Number.NaN;
    expect(after - before).toBeGreaterThanOrEqual(40e6);
    expect(after - before).toBeLessThan(10e9);
  });

  it('does not count another thread busy meanwhile', { timeout: 20_000 }, async () => {
    const before = threadCpuNanos() ?? Number.NaN;
    const worker = new Worker('const end = Date.now() + 300; while (Date.now() < end) {}', { eval: true });
    await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    const after = threadCpuNanos() ?? Number.NaN;
    // The worker ran ~300 ms of CPU; this thread only waited for it (and started it).
    expect(after - before).toBeLessThan(200e6);
  });
});
