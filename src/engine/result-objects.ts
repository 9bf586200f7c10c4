// The result objects of the hot-path operations, made with `new` rather than as object literals.
// V8 gives each object literal in optimized code an allocation site, and decides per site, at the
// first young-generation collection that sees enough of its objects, whether to allocate them in
// the old generation from then on ("pretenuring"). A burst of calls that all wait (the cold start,
// a slow commit) makes one answer literal look long-lived; every answer after it was then made in
// the old generation and died there, which in a run at 50,000 calls a second was half of what the
// full collections freed. A class instance has no allocation site, so it is never pretenured.
// Own properties, their order and values are those of the literals they replace (the public
// result types in domain/outcomes.ts); only the prototype differs.
import type { BurnResult, DepositResult, MintResult, PayResult, RefundResult, TransferResult } from '../domain/outcomes.js';

/** What every applied result begins with, in this order. */
class AppliedAnswer {
  [field: string]: unknown;
  readonly ok = true;
  readonly createdAt: number;
  readonly replayed: boolean;

  constructor(createdAt: number, replayed: boolean) {
    this.createdAt = createdAt;
    this.replayed = replayed;
  }
}

export class MintAnswer extends AppliedAnswer implements MintResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly mintId: string,
    readonly account: string,
    readonly amount: bigint,
    readonly chain: string,
  ) {
    super(createdAt, replayed);
  }
}

export class BurnAnswer extends AppliedAnswer implements BurnResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly burnId: string,
    readonly account: string,
    readonly amount: bigint,
    readonly chain: string,
  ) {
    super(createdAt, replayed);
  }
}

export class TransferAnswer extends AppliedAnswer implements TransferResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly transferId: string,
    readonly from: string,
    readonly to: string,
    readonly amount: bigint,
  ) {
    super(createdAt, replayed);
  }
}

export class PayAnswer extends AppliedAnswer implements PayResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly transactionId: string,
    readonly account: string,
    readonly amount: bigint,
  ) {
    super(createdAt, replayed);
  }
}

export class RefundAnswer extends AppliedAnswer implements RefundResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly transactionId: string,
    readonly originalTransactionId: string,
    readonly account: string,
    readonly amount: bigint,
  ) {
    super(createdAt, replayed);
  }
}

export class DepositAnswer extends AppliedAnswer implements DepositResult {
  constructor(
    createdAt: number,
    replayed: boolean,
    readonly depositId: string,
    readonly amount: bigint,
  ) {
    super(createdAt, replayed);
  }
}
