// Routes operations by account slot to shards and sends the shards' queues to the worker threads as
// batches: many operations per batch, gathered per event-loop turn, at most one batch per shard in
// flight (so operations on one account execute in submission order). The shards ready in a turn go
// out together, as one task of up to combinedRowsMax rows, to a free channel (worker-channel.ts):
// each task wakes a sleeping worker, and on this machine the wake alone costs the main thread 16 µs
// at the median (34 µs at p90). Queues are bounded: past shardQueueDepthMax an operation is refused
// with ERR_CAPACITY instead of waiting in an unbounded queue. When a task's worker dies, the engine
// repairs its batches; rows it did not finish go back to the front of their queues and execute again.
import type { Piscina } from 'piscina';
import { assert, CapacityError } from '../domain/errors.js';
import { batchOperationsMax } from '../domain/limits.js';
import { Batch } from './batch.js';
import { Deque } from './deque.js';
import { WorkerChannel, type ChannelListener } from './worker-channel.js';

export interface WorkOp {
  /** The operation kind's code (op-kind.ts). */
  readonly code: number;
  readonly slot: number;
  readonly slot2: number;
  /** The chain's index in the engine's chain list, or -1. */
  readonly chainIndex: number;
  readonly amount: bigint;
  readonly arg: number;
  /** The idempotency key's hash (0: none), what the worker does with it (batch.ts keyMode), and
   * the entry a reconciliation frees. */
  readonly keyHash: number;
  readonly keyMode: number;
  readonly keyRef: number;
  /** Called with the batch and this operation's row once the operation has executed. */
  done(batch: Batch, row: number): void;
  fail(error: unknown): void;
}

export interface RouterHooks {
  /**
   * A task failed (its worker died or threw). Repairs its batches, in the order the worker ran them,
   * and returns how many rows of each, from the first, have valid outputs; throwing fails the engine.
   */
  repair(batches: readonly Batch[], error: unknown): number[];
  /** Called once no batch is in flight while the router is paused. */
  quiescent(): void;
  /** A worker died while it ran no task (nothing to repair). */
  lost(error: unknown): void;
  fail(error: unknown): void;
}

/**
 * Rows beyond which ready shards go out as separate tasks, to run in parallel: ~0.5 ms of a worker's
 * time for plain mints. Below it, one wake-up serves them all.
 */
const combinedRowsMax = 1_024;

/**
 * How long a worker's resident task waits for work before it leaves (and lets the process exit if
 * nothing else holds it). Restarting one costs about one Piscina task, so a pause this long costs
 * nothing that matters.
 */
const residentLingerMs = 200;

interface Shard {
  readonly index: number;
  readonly queue: Deque<WorkOp>;
  busy: boolean;
  readonly batch: Batch;
  /** The operations of the batch in flight, rows [0, count): one array per shard, reused. */
  readonly ops: Array<WorkOp | undefined>;
  /** Rows of the batch in flight. */
  count: number;
  /** Main-thread steps on the shard's key table, waiting for its batch to come back. */
  readonly idle: Array<() => void>;
}

export class ShardRouter {
  readonly #shards: Shard[];
  /** One per shard, each on a thread of its own: each runs one task at a time. */
  readonly #channels: WorkerChannel[];
  /** The shards of the task each channel runs. */
  readonly #tasks: Array<Shard[] | undefined>;
  readonly #queueDepthMax: number;
  readonly #hooks: RouterHooks;
  /** Batches in flight (a task may carry several). */
  #inFlight = 0;
  #token = 0;
  #paused = false;
  /** Set by stop(): every operation still here, or handed back by a failed task, fails with it. */
  #stopReason: { readonly error: unknown } | undefined;
  #scheduled = false;
  readonly #dispatchReady = (): void => {
    this.#scheduled = false;
    this.#dispatch();
  };

  /**
   * One channel per shard. At most one task per shard is in flight, so a ready task always finds a
   * free channel; and the pool needs a thread for every channel, since a resident task left waiting
   * for a thread would hold its task back.
   */
  constructor(pool: Piscina, shardCount: number, queueDepthMax: number, hooks: RouterHooks) {
    assert(pool.maxThreads >= shardCount, 'the pool has a thread for every channel (one per shard)');
    this.#shards = Array.from({ length: shardCount }, (_, index) => ({
      index,
      queue: new Deque<WorkOp>(),
      busy: false,
      batch: Batch.allocate(batchOperationsMax),
      ops: new Array<WorkOp | undefined>(batchOperationsMax).fill(undefined),
      count: 0,
      idle: [],
    }));
    for (const shard of this.#shards) shard.batch.shard = shard.index;
    const buffers = this.#shards.map((shard) => shard.batch.buffer);
    this.#tasks = new Array<Shard[] | undefined>(shardCount).fill(undefined);
    this.#channels = Array.from({ length: shardCount }, (_, i) => new WorkerChannel(pool, buffers, residentLingerMs, this.#listener(i)));
    this.#queueDepthMax = queueDepthMax;
    this.#hooks = hooks;
  }

  /** The shard of an account slot (its queue, and its idempotency keys' table). */
  shardOf(slot: number): number {
    return slot % this.#shards.length;
  }

  /**
   * Runs `run` while no batch of `shard` is in flight: at once if none is, else as soon as its batch
   * is back, before the shard sends again. The main thread then has the shard's key table to itself.
   */
  whenIdle(shard: number, run: () => void): void {
    const state = this.#shards[shard];
    assert(state !== undefined, 'a shard that exists');
    if (!state.busy) return run();
    // Bounded by the key-table steps in progress: a few per key write, one per slow-path key.
    state.idle.push(run);
  }

  submit(op: WorkOp): void {
    if (this.#stopReason !== undefined) return op.fail(this.#stopReason.error);
    const shard = this.#shards[this.shardOf(op.slot)] as Shard;
    if (shard.queue.length >= this.#queueDepthMax) {
      throw new CapacityError(`shard queue is full (${this.#queueDepthMax} operations); retry later`);
    }
    shard.queue.push(op);
    if (!shard.busy) this.#schedule();
  }

  get queuedOperations(): number {
    let total = 0;
    for (const shard of this.#shards) total += shard.queue.length;
    return total;
  }

  get batchesInFlight(): number {
    return this.#inFlight;
  }

  /** Stops dispatching; `quiescent` is called once the batches in flight are back. */
  pause(): void {
    this.#paused = true;
    this.#checkQuiescent();
  }

  resume(): void {
    if (this.#stopReason !== undefined) return;
    this.#paused = false;
    this.#schedule();
  }

  /**
   * Before the pool is destroyed: tells the resident tasks to leave and fails, with `error`, every
   * operation queued now or later, or handed back by a task the pool's end cuts short (a failed
   * engine closes without draining). Nothing dispatches again.
   */
  stop(error: unknown): void {
    this.#stopReason = { error };
    this.#paused = true;
    for (const channel of this.#channels) channel.stop();
    this.failAll(error);
  }

  /** Fails every queued operation (engine failure). */
  failAll(error: unknown): void {
    for (const shard of this.#shards) {
      for (const op of shard.queue.drain()) op.fail(error);
    }
  }

  /** Dispatches at the next turn, so that the calls of this turn join their shards' batches. */
  #schedule(): void {
    if (this.#scheduled || this.#paused) return;
    this.#scheduled = true;
    setImmediate(this.#dispatchReady);
  }

  /** Sends every ready shard (idle, with work queued): together while they fit combinedRowsMax. */
  #dispatch(): void {
    if (this.#paused) return;
    let task: Shard[] = [];
    let rows = 0;
    for (const shard of this.#shards) {
      if (shard.busy || shard.queue.length === 0) continue;
      this.#take(shard);
      if (task.length > 0 && rows + shard.count > combinedRowsMax) {
        this.#run(task);
        task = [];
        rows = 0;
      }
      task.push(shard);
      rows += shard.count;
    }
    if (task.length > 0) this.#run(task);
  }

  /** Moves the front of a shard's queue into its batch, which is then in flight. */
  #take(shard: Shard): void {
    const count = shard.queue.takeInto(shard.ops, batchOperationsMax);
    this.#fill(shard.batch, shard.ops, count);
    shard.count = count;
    shard.busy = true;
    this.#inFlight++;
  }

  #run(task: Shard[]): void {
    let free = 0;
    while (free < this.#channels.length && (this.#channels[free] as WorkerChannel).busy) free++;
    const channel = this.#channels[free];
    assert(channel !== undefined, 'a task finds a free channel: each busy one holds a busy shard');
    this.#tasks[free] = task;
    channel.post(task.map((shard) => shard.index));
  }

  /** What channel `i` reports about its task (or its thread). */
  #listener(i: number): ChannelListener {
    const take = (): Shard[] => {
      const task = this.#tasks[i];
      assert(task !== undefined, 'a channel reports on the task it was given');
      this.#tasks[i] = undefined;
      return task;
    };
    return {
      done: () => {
        const task = take();
        this.#finishTask(task, task.map((shard) => shard.count));
      },
      failed: (error) => {
        const task = take();
        this.#recover(task, task.map((shard) => shard.batch), error);
      },
      lost: (error) => this.#hooks.lost(error),
    };
  }

  #fill(batch: Batch, ops: ReadonlyArray<WorkOp | undefined>, count: number): void {
    for (let i = 0; i < count; i++) {
      const op = ops[i] as WorkOp;
      batch.kind[i] = op.code;
      batch.slot[i] = op.slot;
      batch.slot2[i] = op.slot2;
      batch.chain[i] = op.chainIndex;
      batch.amount[i] = op.amount;
      batch.arg[i] = op.arg;
      batch.keyHash[i] = op.keyHash;
      batch.keyMode[i] = op.keyMode;
      batch.keyRef[i] = op.keyRef;
      batch.code[i] = -1;
    }
    batch.count = count;
    batch.threadRow = -1;
    batch.finished = false;
    batch.token = ++this.#token;
  }

  #recover(task: Shard[], batches: readonly Batch[], error: unknown): void {
    let finished: number[];
    try {
      finished = this.#hooks.repair(batches, error);
    } catch (repairError) {
      for (const shard of task) {
        const ops = this.#release(shard);
        for (const op of ops) op.fail(repairError);
      }
      this.#hooks.fail(repairError);
      return;
    }
    task.forEach((shard, i) => shard.queue.unshiftAll(shard.ops.slice(finished[i] ?? 0, shard.count) as WorkOp[]));
    this.#finishTask(task, finished);
    if (this.#stopReason !== undefined) this.failAll(this.#stopReason.error);
  }

  /** Rows [0, finished[i]) of each shard's batch have their outputs; the rest were requeued. */
  #finishTask(task: readonly Shard[], finished: readonly number[]): void {
    for (let i = 0; i < task.length; i++) {
      const shard = task[i] as Shard;
      const batch = shard.batch;
      const count = shard.count;
      const done = Math.min(finished[i] ?? 0, count);
      this.#free(shard);
      this.#runIdle(shard);
      // Nothing refills the shard before the dispatch below: a batch's answers are all asynchronous.
      for (let row = 0; row < done; row++) (shard.ops[row] as WorkOp).done(batch, row);
      // Dropped, so that finished operations are not kept alive by the shard until it is reused.
      shard.ops.fill(undefined, 0, count);
    }
    this.#checkQuiescent();
    this.#dispatch();
  }

  /** The steps that waited for the shard's batch; a step that throws (a bug) fails the engine. */
  #runIdle(shard: Shard): void {
    for (let steps = 0; shard.idle.length > 0; steps++) {
      assert(steps < 1_000_000, 'waiting steps run a bounded number of times');
      const run = shard.idle.shift() as () => void;
      try {
        run();
      } catch (error) {
        this.#hooks.fail(error);
      }
    }
  }

  /** The shard's batch is back: the shard may send again. */
  #free(shard: Shard): void {
    this.#inFlight--;
    shard.busy = false;
    shard.count = 0;
  }

  /** The operations of the shard's batch, which the shard then drops (a failed task). */
  #release(shard: Shard): WorkOp[] {
    const ops = shard.ops.slice(0, shard.count) as WorkOp[];
    shard.ops.fill(undefined, 0, shard.count);
    this.#free(shard);
    // The engine is failing, but what waited for the shard must not wait for ever (a key write, a close).
    this.#runIdle(shard);
    return ops;
  }

  #checkQuiescent(): void {
    if (this.#paused && this.#inFlight === 0) this.#hooks.quiescent();
  }
}
