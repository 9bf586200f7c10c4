// The first seqs of the log's most recent entries, in order, so that finding the entry that holds a
// recent record (a replay of a recent key) is a binary search in memory instead of a reverse LMDB
// cursor, which cost ~2.5 µs per replay. Older records fall back to the cursor. The newest entries'
// encoded bytes are held too: a replay of a key from the last second or so (a client's retry, the
// bench's duplicates) then decodes its record from memory. Reading it from LMDB cost ~3.3 µs a
// replay here: a read transaction renewed after nearly every commit, and a copy of the whole entry.
import { assert } from '../domain/errors.js';

export class RecentEntryKeys {
  readonly #keys: Float64Array;
  readonly #mask: number;
  /** Bytes of the newest entries, at their key's ring position modulo this ring's size. */
  readonly #bytes: Array<Uint8Array | undefined>;
  readonly #bytesMask: number;
  /** Index of the oldest key held. */
  #start = 0;
  #length = 0;

  /**
   * Holds the last 2^capacityLog2 entry keys (at 128 records an entry, 2^16 cover ~8M records) and
   * the bytes of the last 2^bytesLog2 entries (2^10 hold ~130,000 records in ~13 MB: an encoded
   * entry keeps the bound it was allocated with, ~12 KB for 128 mints, of which ~8 KB is used).
   */
  constructor(capacityLog2 = 16, bytesLog2 = 10) {
    assert(capacityLog2 >= 1, 'the ring of entry keys holds two keys or more');
    assert(capacityLog2 <= 24, 'the ring of entry keys has a sane size');
    assert(bytesLog2 >= 0, 'the ring of entry bytes holds one entry or more');
    assert(bytesLog2 <= capacityLog2, 'entry bytes are held only for keys held');
    this.#keys = new Float64Array(2 ** capacityLog2);
    this.#mask = this.#keys.length - 1;
    this.#bytes = new Array<Uint8Array | undefined>(2 ** bytesLog2).fill(undefined);
    this.#bytesMask = this.#bytes.length - 1;
  }

  /**
   * Notes a new entry and its encoded bytes (never changed afterwards); keys come in ascending
   * order. Returns the bytes of the entry it stops holding to make room, if any.
   */
  push(key: number, bytes: Uint8Array): Uint8Array | undefined {
    assert(this.#length === 0 || key > this.#at(this.#length - 1), 'log entries are keyed in ascending order');
    if (this.#length === this.#keys.length) {
      this.#start = (this.#start + 1) & this.#mask;
      this.#length--;
    }
    const position = (this.#start + this.#length) & this.#mask;
    this.#keys[position] = key;
    // The ring of bytes divides the ring of keys, so an entry's bytes stay until an entry that
    // many newer is pushed.
    const dropped = this.#bytes[position & this.#bytesMask];
    this.#bytes[position & this.#bytesMask] = bytes;
    this.#length++;
    return dropped;
  }

  /** The greatest key at or before `seq`, or undefined when `seq` is before the oldest key held. */
  atOrBefore(seq: number): number | undefined {
    const index = this.indexAtOrBefore(seq);
    return index < 0 ? undefined : this.#at(index);
  }

  /**
   * Index (0 = the oldest held) of the greatest key at or before `seq`, or -1: one search, for a
   * caller that wants both the key (keyAt) and the bytes (bytesAt).
   */
  indexAtOrBefore(seq: number): number {
    if (this.#length === 0 || seq < this.#at(0)) return -1;
    let low = 0;
    let high = this.#length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#at(middle) <= seq) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  keyAt(index: number): number {
    assert(index >= 0 && index < this.#length, 'an index of a key held');
    return this.#at(index);
  }

  /** The bytes of the entry at `index` (from indexAtOrBefore) when it is one of the newest held. */
  bytesAt(index: number): Uint8Array | undefined {
    if (index < 0 || index < this.#length - this.#bytes.length) return undefined;
    return this.#bytes[((this.#start + index) & this.#mask) & this.#bytesMask];
  }

  #at(index: number): number {
    return this.#keys[(this.#start + index) & this.#mask] ?? 0;
  }
}
