// Routes operations by account slot to shards and sends each shard's queue to the Piscina pool as
// batches: many operations per task, gathered per event-loop turn, at most one batch per shard in
// flight (so operations on one account execute in submission order). Queues are bounded: past
// shardQueueDepthMax an operation is refused with ERR_CAPACITY instead of waiting in an unbounded
// queue. When a batch's worker dies, the engine repairs the batch; rows it did not finish go back to
// the front of their queue and execute again.
import type { Piscina } from 'piscina';
import { CapacityError } from '../domain/errors.js';
import { batchOperationsMax } from '../domain/limits.js';
import { Batch } from './batch.js';
import { Deque } from './deque.js';

export interface WorkOp {
  /** The operation kind's code (op-kind.ts). */
  readonly code: number;
  readonly slot: number;
  readonly slot2: number;
  /** The chain's index in the engine's chain list, or -1. */
  readonly chainIndex: number;
  readonly amount: bigint;
  readonly arg: number;
  /** Called with the batch and this operation's row once the operation has executed. */
  done(batch: Batch, row: number): void;
  fail(error: unknown): void;
}

export interface RouterHooks {
  /**
   * A batch's task failed (its worker died or threw). Repairs the batch and returns how many of its
   * rows, from the first, have valid outputs; throwing fails the engine.
   */
  repair(batch: Batch, error: unknown): number;
  /** Called once no batch is in flight while the router is paused. */
  quiescent(): void;
  fail(error: unknown): void;
}

interface Shard {
  readonly queue: Deque<WorkOp>;
  busy: boolean;
  scheduled: boolean;
  batch: Batch | undefined;
  /** The operations of the batch in flight, rows [0, count): one array per shard, reused. */
  readonly ops: Array<WorkOp | undefined>;
}

export class ShardRouter {
  readonly #pool: Piscina;
  readonly #shards: Shard[];
  readonly #queueDepthMax: number;
  readonly #hooks: RouterHooks;
  #inFlight = 0;
  #token = 0;
  #paused = false;

  constructor(pool: Piscina, shardCount: number, queueDepthMax: number, hooks: RouterHooks) {
    this.#pool = pool;
    this.#shards = Array.from({ length: shardCount }, () => ({
      queue: new Deque<WorkOp>(),
      busy: false,
      scheduled: false,
      batch: undefined,
      ops: new Array<WorkOp | undefined>(batchOperationsMax).fill(undefined),
    }));
    this.#queueDepthMax = queueDepthMax;
    this.#hooks = hooks;
  }

  submit(op: WorkOp): void {
    const shard = this.#shards[op.slot % this.#shards.length] as Shard;
    if (shard.queue.length >= this.#queueDepthMax) {
      throw new CapacityError(`shard queue is full (${this.#queueDepthMax} operations); retry later`);
    }
    shard.queue.push(op);
    this.#schedule(shard);
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
    this.#paused = false;
    for (const shard of this.#shards) this.#schedule(shard);
  }

  /** Fails every queued operation (engine failure). */
  failAll(error: unknown): void {
    for (const shard of this.#shards) {
      for (const op of shard.queue.drain()) op.fail(error);
    }
  }

  #schedule(shard: Shard): void {
    if (shard.busy || shard.scheduled || shard.queue.length === 0 || this.#paused) return;
    shard.scheduled = true;
    setImmediate(() => this.#dispatch(shard));
  }

  #dispatch(shard: Shard): void {
    shard.scheduled = false;
    if (shard.busy || shard.queue.length === 0 || this.#paused) return;
    const count = shard.queue.takeInto(shard.ops, batchOperationsMax);
    shard.batch ??= Batch.allocate(batchOperationsMax);
    const batch = this.#fill(shard.batch, shard.ops, count);
    shard.busy = true;
    this.#inFlight++;
    this.#pool.run(batch.buffer).then(
      () => this.#finish(shard, batch, count, count),
      (error: unknown) => this.#recover(shard, batch, count, error),
    );
  }

  #fill(batch: Batch, ops: ReadonlyArray<WorkOp | undefined>, count: number): Batch {
    for (let i = 0; i < count; i++) {
      const op = ops[i] as WorkOp;
      batch.kind[i] = op.code;
      batch.slot[i] = op.slot;
      batch.slot2[i] = op.slot2;
      batch.chain[i] = op.chainIndex;
      batch.amount[i] = op.amount;
      batch.arg[i] = op.arg;
      batch.code[i] = -1;
    }
    batch.count = count;
    batch.threadRow = -1;
    batch.token = ++this.#token;
    return batch;
  }

  #recover(shard: Shard, batch: Batch, count: number, error: unknown): void {
    const ops = shard.ops.slice(0, count) as WorkOp[];
    let finished: number;
    try {
      finished = this.#hooks.repair(batch, error);
    } catch (repairError) {
      this.#inFlight--;
      shard.busy = false;
      shard.ops.fill(undefined, 0, count);
      for (const op of ops) op.fail(repairError);
      this.#hooks.fail(repairError);
      return;
    }
    shard.queue.unshiftAll(ops.slice(finished));
    this.#finish(shard, batch, count, finished);
  }

  /** Rows [0, finished) of the batch of `count` rows have their outputs; the rest were requeued. */
  #finish(shard: Shard, batch: Batch, count: number, finished: number): void {
    this.#inFlight--;
    shard.busy = false;
    const ops = shard.ops;
    for (let i = 0; i < finished; i++) (ops[i] as WorkOp).done(batch, i);
    // Dropped, so that finished operations are not kept alive by the shard until it is reused.
    ops.fill(undefined, 0, count);
    this.#checkQuiescent();
    if (shard.queue.length > 0 && !this.#paused) this.#dispatch(shard);
  }

  #checkQuiescent(): void {
    if (this.#paused && this.#inFlight === 0) this.#hooks.quiescent();
  }
}
