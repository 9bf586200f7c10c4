// One operation on its way through a shard queue, a worker and the commit pipeline. It is the
// router's work item and the pipeline's waiter at once, with its behaviour on the prototype: the hot
// path allocates this object and its promise, not a set of closures.
import { assert } from '../domain/errors.js';
import type { LogRecord } from '../domain/log-record.js';
import type { OpKind } from '../domain/op-kind.js';
import type { RefusalCode } from '../domain/outcomes.js';
import type { Batch } from './batch.js';
import type { Durable } from './commit-pipeline.js';
import type { WorkOp } from './shard-router.js';

/** The parameters of one operation executed by a worker. */
export interface WorkSpec {
  readonly kind: OpKind;
  readonly slot: number;
  readonly slot2?: number;
  readonly chain?: string;
  readonly amount?: bigint;
  readonly key?: string;
  readonly ref?: number;
  /** setState: the new state code. */
  readonly arg?: number;
}

export interface Refused {
  readonly refused: RefusalCode;
  readonly retryAfterMs: number;
}

/** A durable record, or a refusal (which changed nothing). */
export type WorkOutcome = LogRecord | Refused;

/** Turns a worker's row into a record for the pipeline, or an answer. */
export interface Settler {
  settle(op: PendingOp, batch: Batch, row: number): void;
}

export class PendingOp implements WorkOp, Durable {
  readonly kind: number;
  readonly slot: number;
  readonly slot2: number;
  readonly chain: number;
  readonly amount: bigint;
  readonly arg: number;
  readonly spec: WorkSpec;
  readonly #settler: Settler;
  #resolve: (outcome: WorkOutcome) => void = noop;
  #reject: (error: unknown) => void = noop;
  #record: LogRecord | undefined;

  constructor(spec: WorkSpec, kindCode: number, chainIndex: number, settler: Settler) {
    this.kind = kindCode;
    this.slot = spec.slot;
    this.slot2 = spec.slot2 ?? -1;
    this.chain = chainIndex;
    this.amount = spec.amount ?? 0n;
    this.arg = spec.arg ?? -1;
    this.spec = spec;
    this.#settler = settler;
  }

  /** The outcome (a durable record or a refusal), or the error that stopped the operation. */
  outcome(): Promise<WorkOutcome> {
    return new Promise<WorkOutcome>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get record(): LogRecord {
    assert(this.#record !== undefined, 'an operation reaches the pipeline with its record');
    return this.#record;
  }

  /** The worker applied it: wait for durability with this record. */
  applied(record: LogRecord): void {
    this.#record = record;
  }

  done(batch: Batch, row: number): void {
    this.#settler.settle(this, batch, row);
  }

  refused(outcome: Refused): void {
    this.#resolve(outcome);
  }

  /** Durable: answer with the record. */
  resolve(): void {
    this.#resolve(this.record);
  }

  fail(error: unknown): void {
    this.#reject(error);
  }

  reject(error: unknown): void {
    this.#reject(error);
  }
}

function noop(): void {}
