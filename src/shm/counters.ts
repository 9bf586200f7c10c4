// Global money counters in shared memory. Checked updates use a compare-and-swap loop so that the
// check and the update are one atomic step across threads.
//
// Ordering rule (why the sequence number is taken where it is): every prefix of the log must keep
// supply <= reserves and every chain's supply >= 0. So a mint raises total supply (checked against
// reserves) BEFORE taking its sequence number and raises its chain's supply AFTER; a burn lowers its
// chain's supply (checked >= 0) BEFORE taking its sequence number and lowers total supply AFTER; a
// deposit takes its sequence number BEFORE raising reserves. Whatever a checked update observed was
// then published by an operation with a smaller sequence number.
import { globalSlot, type ShmLayout } from './layout.js';

const casAttemptsMax = 1_000_000;

export class Counters {
  readonly #i64: BigInt64Array;
  readonly #layout: ShmLayout;

  constructor(i64: BigInt64Array, layout: ShmLayout) {
    this.#i64 = i64;
    this.#layout = layout;
  }

  /** Takes the next operation sequence number (1, 2, 3, ...). */
  nextSequence(): number {
    return Number(Atomics.add(this.#i64, this.#layout.globalIndex64(globalSlot.sequence), 1n)) + 1;
  }

  /** Adds to total supply unless the result would pass `ceiling`; returns whether it did. */
  tryRaiseSupply(amount: bigint, ceiling: bigint): boolean {
    return this.#tryAdd(this.#layout.globalIndex64(globalSlot.supply), amount, ceiling);
  }

  lowerSupply(amount: bigint): void {
    Atomics.sub(this.#i64, this.#layout.globalIndex64(globalSlot.supply), amount);
  }

  raiseChainSupply(chainIndex: number, amount: bigint): void {
    Atomics.add(this.#i64, this.#layout.chainSupplyIndex64(chainIndex), amount);
  }

  /** Subtracts from a chain's supply unless it would go negative; returns whether it did. */
  tryLowerChainSupply(chainIndex: number, amount: bigint): boolean {
    return this.#tryAdd(this.#layout.chainSupplyIndex64(chainIndex), -amount, 0n, true);
  }

  raiseClearing(amount: bigint): void {
    Atomics.add(this.#i64, this.#layout.globalIndex64(globalSlot.clearing), amount);
  }

  lowerClearing(amount: bigint): void {
    Atomics.sub(this.#i64, this.#layout.globalIndex64(globalSlot.clearing), amount);
  }

  raiseReserves(amount: bigint): void {
    Atomics.add(this.#i64, this.#layout.globalIndex64(globalSlot.reserves), amount);
  }

  read(slot: number): bigint {
    return Atomics.load(this.#i64, this.#layout.globalIndex64(slot));
  }

  readChainSupply(chainIndex: number): bigint {
    return Atomics.load(this.#i64, this.#layout.chainSupplyIndex64(chainIndex));
  }

  store(slot: number, value: bigint): void {
    Atomics.store(this.#i64, this.#layout.globalIndex64(slot), value);
  }

  storeChainSupply(chainIndex: number, value: bigint): void {
    Atomics.store(this.#i64, this.#layout.chainSupplyIndex64(chainIndex), value);
  }

  #tryAdd(index: number, delta: bigint, bound: bigint, boundIsFloor = false): boolean {
    const i64 = this.#i64;
    for (let attempt = 0; attempt < casAttemptsMax; attempt++) {
      const current = Atomics.load(i64, index);
      const next = current + delta;
      if (boundIsFloor ? next < bound : next > bound) return false;
      if (Atomics.compareExchange(i64, index, current, next) === current) return true;
    }
    throw new Error(`shardmint internal assertion failed: counter CAS did not settle in ${casAttemptsMax} attempts`);
  }
}
