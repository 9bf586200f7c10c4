// The parameters of a hot-path call (mint and burn, transfer, pay) between its argument checks and
// its operation. The engine keeps one CallSpec and refills it for every call: the operation copies
// the fields it needs before the call returns (pending-op.ts), so a spec per call was 72 bytes of
// garbage a call. Filled only after the checks have read every argument (a getter on an argument
// may call the engine again, and that call refills the spec); a call that must keep its parameters
// past its own turn takes a copy().
import type { OpKind } from '../domain/op-kind.js';
import type { WorkSpec } from './pending-op.js';

export class CallSpec implements WorkSpec {
  kind: OpKind = 'mint';
  slot = -1;
  /** -1: no second account (what PendingOp reads for an absent slot2). */
  slot2 = -1;
  /** '': no chain (what PendingOp reads for an absent chain). */
  chain = '';
  amount = 0n;
  key = '';
  scope = '';

  /** A mint or a burn of `amount` on `chain` by the account in `slot` (id `scope`). */
  supply(kind: OpKind, slot: number, chain: string, amount: bigint, key: string, scope: string): this {
    return this.#fill(kind, slot, -1, chain, amount, key, scope);
  }

  transfer(slot: number, slot2: number, amount: bigint, key: string, scope: string): this {
    return this.#fill('transfer', slot, slot2, '', amount, key, scope);
  }

  pay(slot: number, amount: bigint, key: string, scope: string): this {
    return this.#fill('pay', slot, -1, '', amount, key, scope);
  }

  /** The same parameters in an object of their own. */
  copy(): CallSpec {
    return new CallSpec().#fill(this.kind, this.slot, this.slot2, this.chain, this.amount, this.key, this.scope);
  }

  #fill(kind: OpKind, slot: number, slot2: number, chain: string, amount: bigint, key: string, scope: string): this {
    this.kind = kind;
    this.slot = slot;
    this.slot2 = slot2;
    this.chain = chain;
    this.amount = amount;
    this.key = key;
    this.scope = scope;
    return this;
  }
}
