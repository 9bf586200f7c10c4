// A double-ended queue on a ring of slots that grows by doubling: each shard's queue of operations.
// An array used as a queue (push, then splice from the front) reallocated its backing store once per
// batch as it emptied and refilled.
import { assert } from '../domain/errors.js';

const capacityLog2Max = 26;

export class Deque<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #length = 0;

  constructor(capacityLog2 = 10) {
    this.#items = new Array<T | undefined>(1 << capacityLog2).fill(undefined);
  }

  get length(): number {
    return this.#length;
  }

  push(value: T): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = value;
    this.#length++;
  }

  /** Puts `values` back at the front, in their order (they come before everything queued). */
  unshiftAll(values: readonly T[]): void {
    while (this.#length + values.length > this.#items.length) this.#grow();
    const mask = this.#items.length - 1;
    for (let i = values.length - 1; i >= 0; i--) {
      this.#head = (this.#head - 1) & mask;
      this.#items[this.#head] = values[i];
      this.#length++;
    }
  }

  /** Moves up to `max` values from the front into target[0..n) and returns n. */
  takeInto(target: Array<T | undefined>, max: number): number {
    const n = Math.min(max, this.#length, target.length);
    const mask = this.#items.length - 1;
    for (let i = 0; i < n; i++) {
      target[i] = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) & mask;
    }
    this.#length -= n;
    return n;
  }

  /** Empties the queue, returning what it held, front first. */
  drain(): T[] {
    const all: Array<T | undefined> = new Array<T | undefined>(this.#length);
    this.takeInto(all, this.#length);
    return all as T[];
  }

  #grow(): void {
    const log2 = Math.log2(this.#items.length) + 1;
    assert(log2 <= capacityLog2Max, 'a deque stays within its largest size');
    const items = new Array<T | undefined>(1 << log2).fill(undefined);
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & mask];
    this.#items = items;
    this.#head = 0;
  }
}
