// Goal: a router stopped while a task is in flight (a failed engine closes without draining) fails
// every operation it still has, queued, submitted later or handed back when the pool's end cuts the
// task short, with the stop's error, and never dispatches again (a post to a stopped channel would
// throw out of the event loop); method: the real router over real Piscina threads serving the
// stand-in executor of the channel tests, a task held in its worker while the router is stopped and
// the pool destroyed, with the engine's repair-and-resume hooks.
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../dist/engine/batch.js';
import { ShardRouter, type WorkOp } from '../dist/engine/shard-router.js';

const fixture = new URL('./fixtures/resident-worker.mjs', import.meta.url).href;

let pool: Piscina | undefined;
afterEach(async () => {
  await pool?.destroy();
  pool = undefined;
});

type Ending = { done: true } | { error: unknown };

/** An operation for the stand-in executor: `holdMs` keeps its batch in the worker that long. */
function op(slot: number, holdMs: number, endings: Map<number, Ending>): WorkOp {
  return {
    code: 0,
    slot,
    slot2: -1,
    chainIndex: 0,
    amount: 1n,
    arg: holdMs,
    keyHash: 0,
    keyMode: 0,
    keyRef: 0,
    done: (_batch: Batch, _row: number) => endings.set(slot, { done: true }),
    fail: (error: unknown) => endings.set(slot, { error }),
  };
}

describe('router stop', () => {
  it('fails what it still holds with the stop error and dispatches nothing after', { timeout: 30_000 }, async () => {
    pool = new Piscina({ filename: fixture, minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
    const endings = new Map<number, Ending>();
    const failures: unknown[] = [];
    const router: ShardRouter = new ShardRouter(pool, 1, 100, {
      // As the engine's supervisor: nothing of a cut task finished; the router resumes once quiet.
      repair: (batches) => batches.map(() => 0),
      quiescent: () => router.resume(),
      lost: () => undefined,
      fail: (error) => failures.push(error),
    });
    router.submit(op(1, 400, endings));
    router.submit(op(2, 0, endings));
    const deadline = Date.now() + 10_000;
    while (router.batchesInFlight === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(router.batchesInFlight).toBe(1);
    // Queued behind the batch in flight, then the stop, then a late one.
    router.submit(op(3, 0, endings));
    const closing = new Error('engine closing');
    router.stop(closing);
    expect(endings.get(3)).toEqual({ error: closing });
    router.submit(op(4, 0, endings));
    expect(endings.get(4)).toEqual({ error: closing });
    await pool.destroy();
    pool = undefined;
    for (const until = Date.now() + 10_000; endings.size < 4 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 5));
    // The cut task's operations come back through the repair, and fail instead of queueing again.
    expect(endings.get(1)).toEqual({ error: closing });
    expect(endings.get(2)).toEqual({ error: closing });
    expect(router.queuedOperations).toBe(0);
    expect(router.batchesInFlight).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toEqual([]);
  });
});
