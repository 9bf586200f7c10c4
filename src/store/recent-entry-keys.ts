// The first seqs of the log's most recent entries, in order, so that finding the entry that holds a
// recent record (a replay of a recent key) is a binary search in memory instead of a reverse LMDB
// cursor, which cost ~2.5 µs per replay. Older records fall back to the cursor.
import { assert } from '../domain/errors.js';

export class RecentEntryKeys {
  readonly #keys: Float64Array;
  readonly #mask: number;
  /** Index of the oldest key held. */
  #start = 0;
  #length = 0;

  /** Holds the last 2^capacityLog2 entry keys (at 128 records an entry, 2^16 cover ~8M records). */
  constructor(capacityLog2 = 16) {
    assert(capacityLog2 >= 1 && capacityLog2 <= 24, 'the ring of entry keys has a sane size');
    this.#keys = new Float64Array(2 ** capacityLog2);
    this.#mask = this.#keys.length - 1;
  }

  /** Notes a new entry; keys come in ascending order. */
  push(key: number): void {
    assert(this.#length === 0 || key > this.#at(this.#length - 1), 'log entries are keyed in ascending order');
    if (this.#length === this.#keys.length) {
      this.#start = (this.#start + 1) & this.#mask;
      this.#length--;
    }
    this.#keys[(this.#start + this.#length) & this.#mask] = key;
    this.#length++;
  }

  /** The greatest key at or before `seq`, or undefined when `seq` is before the oldest key held. */
  atOrBefore(seq: number): number | undefined {
    if (this.#length === 0 || seq < this.#at(0)) return undefined;
    let low = 0;
    let high = this.#length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#at(middle) <= seq) low = middle;
      else high = middle - 1;
    }
    return this.#at(low);
  }

  #at(index: number): number {
    return this.#keys[(this.#start + index) & this.#mask] ?? 0;
  }
}
