// Applies durable log records to everything derived from the log: the durable ledger mirror, the
// idempotency index, refund totals and reconciliations. The commit path and recovery both call
// `apply`, so a restarted engine derives exactly what the running one had.
import { assert } from '../domain/errors.js';
import type { LogRecord } from '../domain/log-record.js';
import type { AccountRegistry } from './account-registry.js';
import type { DurableLedger } from './durable-ledger.js';
import { keyHash } from '../domain/key-hash.js';
import { mainKeys, type IdempotencyIndex } from './idempotency-index.js';
import { KeyedOp } from './keyed-op.js';
import { keyScopeOf, type IdOf } from './record-views.js';
import type { WriteBehindMap } from './write-behind-map.js';

export interface Derived {
  readonly ledger: DurableLedger;
  readonly registry: AccountRegistry;
  readonly idempotency: IdempotencyIndex;
  /** Payment seq -> total refunded. */
  readonly refunded: WriteBehindMap<number, bigint>;
  /** Mint seq -> reconciliation seq. */
  readonly reconciled: WriteBehindMap<number, number>;
}

export class Projector {
  readonly #d: Derived;
  readonly #idOf: IdOf;

  constructor(derived: Derived) {
    this.#d = derived;
    this.#idOf = (slot) => derived.registry.idOf(slot);
  }

  apply(record: LogRecord): void {
    const { ledger } = this.#d;
    assert(record.seq === ledger.watermark + 1, 'records apply in sequence, each once');
    this.#applyEffect(record);
    ledger.watermark = record.seq;
    // An operation of the hot path: its worker took its key when it applied it.
    if (record instanceof KeyedOp) return;
    const scope = keyScopeOf(record, this.#idOf);
    if (scope === undefined) return;
    // Deposits run on the main thread and keep their keys there; accounts' keys are their shard's
    // (remember() takes them in recovery; later the workers have taken them already).
    const { idempotency } = this.#d;
    const shard = record.kind === 'deposit' ? mainKeys : idempotency.shardOfSlot(record.slot);
    idempotency.remember(scope, record.key, record.seq, record.at, keyHash(scope, record.key), shard);
  }

  #applyEffect(r: LogRecord): void {
    const { ledger } = this.#d;
    switch (r.kind) {
      case 'create':
        if (this.#d.registry.slotOf(r.id) === undefined) this.#d.registry.restore(r.slot, r.id);
        return ledger.create(r.slot);
      case 'deposit':
        ledger.reserves += r.amount;
        return;
      case 'mint':
        return ledger.moveSupply(r.slot, r.chain, r.amount);
      case 'burn':
        return ledger.moveSupply(r.slot, r.chain, -r.amount);
      case 'transfer':
        ledger.addBalance(r.slot, -r.amount);
        return ledger.addBalance(r.slot2, r.amount);
      case 'pay':
        ledger.addBalance(r.slot, -r.amount);
        ledger.clearing += r.amount;
        return;
      case 'refund':
        return this.#refund(r);
      case 'reconcile':
        return this.#reconcile(r);
      case 'setState':
        return ledger.setState(r.slot, r.ref);
      case 'void':
        return;
    }
  }

  #refund(r: LogRecord): void {
    const { ledger, refunded } = this.#d;
    ledger.clearing -= r.amount;
    assert(ledger.clearing >= 0n, 'the clearing account never goes negative');
    ledger.addBalance(r.slot, r.amount);
    refunded.set(r.ref, (refunded.get(r.ref) ?? 0n) + r.amount);
  }

  /** A reconciliation rolls its mint back and frees the mint's key, which it carries in `key`. */
  #reconcile(r: LogRecord): void {
    this.#d.ledger.moveSupply(r.slot, r.chain, -r.amount);
    this.#d.reconciled.set(r.ref, r.seq);
    if (r.key !== '') this.#d.idempotency.forget(this.#idOf(r.slot), r.key, r.ref, this.#d.idempotency.shardOfSlot(r.slot));
  }
}
