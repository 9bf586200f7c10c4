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
  /** Keyed operations: the key's scope, the primary account's id (saves looking it up again). */
  readonly scope?: string;
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

/**
 * Once its worker applied it, the operation is its own log record (one object per operation, not
 * two): the record fields are written once, by applied(), and never change after. How it answers is
 * its subclass's: a keyed operation of the hot path answers its caller (keyed-op.ts), any other
 * operation resolves its outcome promise (OutcomeOp). Fields only one of them needs stay off the
 * other: the hot path allocates one of these per call, and every field is 8 bytes of it.
 */
export abstract class PendingOp implements WorkOp, Durable, LogRecord {
  // The worker's inputs (WorkOp).
  readonly code: number;
  readonly chainIndex: number;
  readonly arg: number;
  /** Set by the engine for keyed operations: what the worker does with the key (batch.ts keyMode). */
  keyHash = 0;
  keyMode = 0;
  keyRef = 0;
  // The log record (LogRecord), complete once applied() ran.
  seq = 0;
  readonly kind: OpKind;
  readonly slot: number;
  slot2: number;
  readonly amount: bigint;
  readonly chain: string;
  readonly key: string;
  ref: number;
  at = 0;
  protected readonly settler: Settler;

  constructor(spec: WorkSpec, kindCode: number, chainIndex: number, settler: Settler) {
    this.code = kindCode;
    this.chainIndex = chainIndex;
    this.arg = spec.arg ?? -1;
    this.kind = spec.kind;
    this.slot = spec.slot;
    this.slot2 = spec.slot2 ?? -1;
    this.amount = spec.amount ?? 0n;
    this.chain = spec.chain ?? '';
    this.key = spec.key ?? '';
    this.ref = spec.ref ?? -1;
    this.settler = settler;
  }

  /** A record's account id is set for account creations only, which do not go through a worker. */
  get id(): string {
    return '';
  }

  /** The operation's parameters: the op carries them all (the caller's spec object is not kept,
   * so it dies young instead of being traced for as long as the operation is in flight). */
  get spec(): WorkSpec {
    return this;
  }

  get record(): LogRecord {
    assert(this.seq > 0, 'an operation reaches the pipeline once applied');
    return this;
  }

  /** The worker applied it as `seq` at `at`; setState also learns the state it left (`slot2`). */
  applied(seq: number, at: number, previousState: number): void {
    assert(this.seq === 0, 'an operation is applied once');
    this.seq = seq;
    this.at = at;
    if (this.kind === 'setState') {
      this.slot2 = previousState;
      this.ref = this.arg;
    }
  }

  done(batch: Batch, row: number): void {
    this.settler.settle(this, batch, row);
  }

  /** The worker refused it. (Not named `refused`: outcomes tell a refusal by `'refused' in outcome`,
   * and this object is also the record of an applied operation.) */
  abstract declined(outcome: Refused): void;

  /** Durable: answer with the record. */
  abstract resolve(): void;

  /** The router could not run it (WorkOp): its engine stopped, or a repair failed. */
  abstract fail(error: unknown): void;

  /** It ended with an error after it ran: the pipeline could not make it durable (Durable), or
   * the engine refused its row (a lock timeout, the key memory full). */
  abstract reject(error: unknown): void;
}

/** An operation whose caller awaits its outcome: a durable record or a refusal. */
export class OutcomeOp extends PendingOp {
  #resolve: (outcome: WorkOutcome) => void = noop;
  #reject: (error: unknown) => void = noop;

  /** The outcome (a durable record or a refusal), or the error that stopped the operation. */
  outcome(): Promise<WorkOutcome> {
    return new Promise<WorkOutcome>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  declined(outcome: Refused): void {
    this.#resolve(outcome);
  }

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
