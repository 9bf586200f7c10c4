// Goal: the wait-for-graph detector finds a real lock-order deadlock (and counts it once, however long
// it lasts), the bounded lock wait ends it with a timeout instead of a hang, and the engine itself
// produces no cycle under circular contention; method: two real threads taking two locks in opposite
// orders, scanned from this thread, then an engine stressed with circular transfers and detection on.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeadlockDetector } from '../dist/shm/deadlock-detector.js';
import { createViews, ShmLayout } from '../dist/shm/layout.js';
import { ThreadTable } from '../dist/shm/thread-table.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

const fixture = new URL('./fixtures/wrong-order-worker.mjs', import.meta.url);

describe('deadlock detector', () => {
  it('finds the cycle of a deliberately wrong lock order, once, and the waits time out', async () => {
    const maxAccounts = 8;
    const layout = new ShmLayout({ maxAccounts, maxPerWindow: 0 });
    const buffer = new SharedArrayBuffer(layout.totalBytes);
    const views = createViews(buffer);
    const detector = new DeadlockDetector(new ThreadTable(views, layout), layout, views);
    const run = (first: number, second: number) =>
      new Promise<{ gotSecond: boolean }>((resolve, reject) => {
        const worker = new Worker(fixture, { workerData: { buffer, maxAccounts, first, second, holdMs: 100, timeoutMs: 1500 } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    const results = Promise.all([run(1, 2), run(2, 1)]);
    let finished = false;
    void results.then(() => (finished = true));
    for (let scans = 0; !finished && scans < 1000; scans++) {
      detector.scan();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const outcome = await results;
    expect(detector.cycles).toBe(1);
    expect(outcome.filter((o) => !o.gotSecond).length).toBeGreaterThanOrEqual(1);
  });

  it('finds no cycle in the engine under circular cross-shard contention', { timeout: 30_000 }, async () => {
    const engineFixture = await freshEngine({ mintRateLimit: null, detectDeadlocks: true });
    try {
      const { engine } = engineFixture;
      const ids = ['a', 'b', 'c'];
      await seedAccounts(engine, ids);
      for (const id of ids) await engine.mint({ account: id, amount: 1_000_000n, chain: 'base', idempotencyKey: `s-${id}` });
      const ring = Array.from({ length: 6000 }, (_, i) =>
        engine.transfer({ from: ids[i % 3] as string, to: ids[(i + 1 + (i % 2)) % 3] as string, amount: 1n, idempotencyKey: `t${i}` }),
      );
      expect((await Promise.all(ring)).every((r) => r.ok)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const metrics = engine.metrics();
      expect(metrics.deadlockCycles).toBe(0);
      expect(metrics.locks.timeouts).toBe(0);
      expect(metrics.locks.acquisitions).toBeGreaterThanOrEqual(12_000);
    } finally {
      await engineFixture.dispose();
    }
  });
});
