// Goal: a worker channel runs every task posted to it exactly once and answers it, while its
// resident task leaves when idle and comes back, its thread dies (in a task or between tasks) or
// throws, and when it is stopped; and an engine left open lets its process exit. Method: real
// Piscina threads serving the engine's resident loop with a stand-in executor that counts each
// batch's executions in the batch itself (test/fixtures/resident-worker.mjs), posts timed to race
// the resident's leaving, and a child process that leaves an engine open.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { Batch } from '../dist/engine/batch.js';
import { WorkerChannel } from '../dist/engine/worker-channel.js';

const fixture = new URL('./fixtures/resident-worker.mjs', import.meta.url).href;
const waitMs = 10_000;

type Event = { kind: 'done' } | { kind: 'failed' | 'lost'; error: unknown };

/** A channel whose reports queue up until the test takes them, each within waitMs. */
class Reports {
  readonly #events: Event[] = [];
  #wake: (() => void) | undefined;
  readonly listener = {
    done: () => this.#push({ kind: 'done' }),
    failed: (error: unknown) => this.#push({ kind: 'failed', error }),
    lost: (error: unknown) => this.#push({ kind: 'lost', error }),
  };

  async next(): Promise<Event> {
    const deadline = Date.now() + waitMs;
    while (this.#events.length === 0) {
      if (Date.now() > deadline) throw new Error('no report within the wait');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.#events.shift() as Event;
  }

  get pending(): number {
    return this.#events.length;
  }

  #push(event: Event): void {
    this.#events.push(event);
    this.#wake?.();
  }
}

let pool: Piscina | undefined;
afterEach(async () => {
  await pool?.destroy();
  pool = undefined;
});

function setUp(threads: number, shards: number, lingerMs: number) {
  pool = new Piscina({ filename: fixture, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
  const batches = Array.from({ length: shards }, () => Batch.allocate(4));
  const reports = new Reports();
  const channel = new WorkerChannel(pool, batches.map((b) => b.buffer), lingerMs, reports.listener);
  return { pool, batches, reports, channel };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker channel', () => {
  it('runs every task exactly once while its resident task leaves and comes back', { timeout: 60_000 }, async () => {
    // Pauses around the linger time, so that posts land just before, during and after a leave.
    const plan = fc.sample(fc.tuple(fc.subarray([0, 1, 2], { minLength: 1 }), fc.integer({ min: 0, max: 4 })), { seed: 7, numRuns: 300 });
    const { pool, batches, reports, channel } = setUp(1, 3, 2);
    const expected = [0, 0, 0];
    for (const [shards, pauseMs] of plan) {
      channel.post(shards);
      expect(channel.busy).toBe(true);
      expect(await reports.next()).toEqual({ kind: 'done' });
      expect(channel.busy).toBe(false);
      for (const shard of shards) expected[shard] = (expected[shard] ?? 0) + 1;
      if (pauseMs > 0) await sleep(pauseMs);
    }
    expect(batches.map((b) => b.seq[0])).toEqual(expected);
    // Resident tasks that left on their own (the race was exercised), and no report but answers.
    expect(pool.completed).toBeGreaterThan(20);
    expect(reports.pending).toBe(0);
  });

  it('fails the task of a thread that exits in it, and runs the next on a new thread', async () => {
    const { pool, batches, reports, channel } = setUp(1, 1, 5_000);
    const first = pool.threads[0]?.threadId;
    const batch = batches[0] as Batch;
    batch.kind[0] = 1;
    channel.post([0]);
    const report = await reports.next();
    expect(report.kind).toBe('failed');
    expect(String((report as { error: unknown }).error)).toMatch(/exited/);
    batch.kind[0] = 0;
    channel.post([0]);
    expect(await reports.next()).toEqual({ kind: 'done' });
    expect(batch.seq[0]).toBe(1);
    expect(pool.threads[0]?.threadId).not.toBe(first);
  });

  it('fails a task that throws with its error, and keeps serving on the same thread', async () => {
    const { pool, batches, reports, channel } = setUp(1, 1, 5_000);
    const batch = batches[0] as Batch;
    batch.kind[0] = 2;
    channel.post([0]);
    const report = await reports.next();
    expect(report.kind).toBe('failed');
    expect(String((report as { error: unknown }).error)).toMatch(/planted failure/);
    batch.kind[0] = 0;
    channel.post([0]);
    expect(await reports.next()).toEqual({ kind: 'done' });
    // The same resident task answered both: none has ended.
    expect(pool.completed).toBe(0);
  });

  it('reports a thread that dies between tasks as lost, then serves again', async () => {
    const { pool, reports, channel } = setUp(1, 1, 5_000);
    channel.post([0]);
    expect(await reports.next()).toEqual({ kind: 'done' });
    await pool.threads[0]?.terminate();
    expect((await reports.next()).kind).toBe('lost');
    channel.post([0]);
    expect(await reports.next()).toEqual({ kind: 'done' });
  });

  it('reports a task answered just before its thread exits as done, then the thread as lost', async () => {
    // The answer and the thread's end arrive through two ports, in either order; this thread is
    // held while both come, so that they are taken in one turn (where the older handle, the
    // thread's, tends to go first).
    const hold = new Int32Array(new SharedArrayBuffer(4));
    for (let round = 0; round < 10; round++) {
      const { pool, batches, reports, channel } = setUp(1, 1, 5_000);
      (batches[0] as Batch).kind[0] = 3;
      channel.post([0]);
      Atomics.wait(hold, 0, 0, 50);
      expect(await reports.next()).toEqual({ kind: 'done' });
      expect((await reports.next()).kind).toBe('lost');
      expect(reports.pending).toBe(0);
      await pool.destroy();
    }
  });

  it('lets its resident task return when stopped, without reporting a loss', async () => {
    const { pool, reports, channel } = setUp(1, 1, 5_000);
    channel.post([0]);
    expect(await reports.next()).toEqual({ kind: 'done' });
    channel.stop();
    const deadline = Date.now() + waitMs;
    while (pool.completed === 0 && Date.now() < deadline) await sleep(5);
    expect(pool.completed).toBe(1);
    expect(() => channel.post([0])).toThrow(/stopped/);
    expect(reports.pending).toBe(0);
  });
});

describe('an engine left open', () => {
  it('lets its process exit once its work is done', { timeout: 30_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'shardmint-left-open-'));
    try {
      const script = `
        import { MintEngine } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
        const engine = await MintEngine.open({ path: ${JSON.stringify(dir)}, workers: 2, maxAccounts: 64, durability: 'none', mintRateLimit: null });
        await engine.createAccount('a');
        await engine.depositReserves({ amount: 1000n, idempotencyKey: 'r' });
        await Promise.all(Array.from({ length: 50 }, (_, i) => engine.mint({ account: 'a', amount: 1n, chain: 'ethereum', idempotencyKey: 'k' + i })));
        console.log('minted', String(await engine.balance('a')));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('minted 50');
      // A child still alive at the timeout is killed: status null, signal SIGTERM.
      expect(child.signal).toBeNull();
      expect(child.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
