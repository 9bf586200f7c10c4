// The work specs of the hot-path calls (mint and burn, transfer, pay), made with `new` rather than
// as object literals: a spec lives as long as its call, and V8 may decide from one burst of waiting
// calls to allocate a literal's every later object in the old generation (result-objects.ts says
// why). A class instance has no allocation site, so it is never pretenured.
import type { OpKind } from '../domain/op-kind.js';
import type { WorkSpec } from './pending-op.js';

export class SupplySpec implements WorkSpec {
  constructor(
    readonly kind: OpKind,
    readonly slot: number,
    readonly chain: string,
    readonly amount: bigint,
    readonly key: string,
    readonly scope: string,
  ) {}
}

export class TransferSpec implements WorkSpec {
  readonly kind = 'transfer';

  constructor(
    readonly slot: number,
    readonly slot2: number,
    readonly amount: bigint,
    readonly key: string,
    readonly scope: string,
  ) {}
}

export class PaySpec implements WorkSpec {
  readonly kind = 'pay';

  constructor(
    readonly slot: number,
    readonly amount: bigint,
    readonly key: string,
    readonly scope: string,
  ) {}
}
