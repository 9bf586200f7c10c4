// Entries keyed by sequence number within a sliding window [base, base + capacity): a ring of slots
// indexed by seq & mask. The commit pipeline holds every applied operation here until its group is
// written; a Map did the same with a hash-table insert and delete per operation, and rehashed its
// backing store as a thousand entries came and went.
import { assert } from '../domain/errors.js';

const capacityLog2Max = 26;

export class SeqRing<T> {
  #slots: Array<T | undefined>;
  #mask: number;
  /** The lowest sequence number that may be held; take() advances it. */
  #base: number;
  #size = 0;
  #highest: number;

  constructor(base: number, capacityLog2 = 12) {
    this.#slots = new Array<T | undefined>(1 << capacityLog2).fill(undefined);
    this.#mask = (1 << capacityLog2) - 1;
    this.#base = base;
    this.#highest = base - 1;
  }

  get size(): number {
    return this.#size;
  }

  has(seq: number): boolean {
    return seq >= this.#base && seq <= this.#highest && this.#slots[seq & this.#mask] !== undefined;
  }

  set(seq: number, value: T): void {
    assert(seq >= this.#base, 'a sequence number is held at or after the base');
    assert(!this.has(seq), 'a sequence number is held once');
    while (seq - this.#base > this.#mask) this.#grow();
    this.#slots[seq & this.#mask] = value;
    this.#size++;
    if (seq > this.#highest) this.#highest = seq;
  }

  /** Removes and returns the entry at the base, advancing the base; undefined if the base is not held. */
  takeBase(): T | undefined {
    const i = this.#base & this.#mask;
    const value = this.#slots[i];
    if (value === undefined) return undefined;
    this.#slots[i] = undefined;
    this.#size--;
    this.#base++;
    return value;
  }

  get base(): number {
    return this.#base;
  }

  *values(): IterableIterator<T> {
    for (let seq = this.#base; seq <= this.#highest; seq++) {
      const value = this.#slots[seq & this.#mask];
      if (value !== undefined) yield value;
    }
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#size = 0;
    this.#highest = this.#base - 1;
  }

  #grow(): void {
    const log2 = Math.log2(this.#mask + 1) + 1;
    assert(log2 <= capacityLog2Max, 'the ring stays within its largest size');
    const old = this.#slots;
    const oldMask = this.#mask;
    this.#slots = new Array<T | undefined>(1 << log2).fill(undefined);
    this.#mask = (1 << log2) - 1;
    for (let seq = this.#base; seq <= this.#highest; seq++) this.#slots[seq & this.#mask] = old[seq & oldMask];
  }
}
