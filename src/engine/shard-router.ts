// Routes operations by account slot to shards and sends each shard's queue to the Piscina pool as
// batches: many operations per task, gathered per event-loop turn, at most one batch per shard in
// flight (so operations on one account execute in submission order). Queues are bounded: past
// shardQueueDepthMax an operation is refused with ERR_CAPACITY instead of waiting in an unbounded queue.
import { Piscina } from 'piscina';
import { CapacityError } from '../domain/errors.js';
import { batchOperationsMax } from '../domain/limits.js';
import { Batch } from './batch.js';

export interface WorkOp {
  readonly kind: number;
  readonly slot: number;
  readonly slot2: number;
  readonly chain: number;
  readonly amount: bigint;
  readonly arg: number;
  /** Called with the batch and this operation's row once the worker has executed it. */
  done(batch: Batch, row: number): void;
  fail(error: unknown): void;
}

interface Shard {
  queue: WorkOp[];
  busy: boolean;
  scheduled: boolean;
}

const spareBatchesMax = 16;

export class ShardRouter {
  readonly #pool: Piscina;
  readonly #shards: Shard[];
  readonly #queueDepthMax: number;
  readonly #onFailure: (error: unknown) => void;
  readonly #spare: Batch[] = [];
  #inFlight = 0;

  constructor(pool: Piscina, shardCount: number, queueDepthMax: number, onFailure: (error: unknown) => void) {
    this.#pool = pool;
    this.#shards = Array.from({ length: shardCount }, () => ({ queue: [], busy: false, scheduled: false }));
    this.#queueDepthMax = queueDepthMax;
    this.#onFailure = onFailure;
  }

  submit(op: WorkOp): void {
    const shard = this.#shards[op.slot % this.#shards.length] as Shard;
    if (shard.queue.length >= this.#queueDepthMax) {
      throw new CapacityError(`shard queue is full (${this.#queueDepthMax} operations); retry later`);
    }
    shard.queue.push(op);
    if (!shard.busy && !shard.scheduled) {
      shard.scheduled = true;
      setImmediate(() => this.#dispatch(shard));
    }
  }

  get queuedOperations(): number {
    let total = 0;
    for (const shard of this.#shards) total += shard.queue.length;
    return total;
  }

  get batchesInFlight(): number {
    return this.#inFlight;
  }

  /** Fails every queued operation (engine failure or close). */
  failAll(error: unknown): void {
    for (const shard of this.#shards) {
      const queue = shard.queue;
      shard.queue = [];
      for (const op of queue) op.fail(error);
    }
  }

  #dispatch(shard: Shard): void {
    shard.scheduled = false;
    if (shard.busy || shard.queue.length === 0) return;
    const ops = shard.queue.splice(0, batchOperationsMax);
    const batch = this.#fill(ops);
    shard.busy = true;
    this.#inFlight++;
    this.#pool.run(batch.buffer, { transferList: [batch.buffer] }).then(
      (returned: ArrayBuffer) => this.#finish(shard, ops, new Batch(returned)),
      (error: unknown) => {
        this.#inFlight--;
        shard.busy = false;
        for (const op of ops) op.fail(error);
        this.#onFailure(error);
      },
    );
  }

  #fill(ops: readonly WorkOp[]): Batch {
    const batch = this.#spare.pop() ?? Batch.allocate(batchOperationsMax);
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as WorkOp;
      batch.kind[i] = op.kind;
      batch.slot[i] = op.slot;
      batch.slot2[i] = op.slot2;
      batch.chain[i] = op.chain;
      batch.amount[i] = op.amount;
      batch.arg[i] = op.arg;
    }
    batch.count = ops.length;
    return batch;
  }

  #finish(shard: Shard, ops: readonly WorkOp[], batch: Batch): void {
    this.#inFlight--;
    shard.busy = false;
    for (let i = 0; i < ops.length; i++) (ops[i] as WorkOp).done(batch, i);
    if (this.#spare.length < spareBatchesMax) this.#spare.push(batch);
    if (shard.queue.length > 0) this.#dispatch(shard);
  }
}
