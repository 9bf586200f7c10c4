// A map whose recent entries live in memory and whose changes are written to the store in bulk at
// checkpoints, off the commit path. Entries not yet written are "dirty" and never evicted; written
// ones are evicted oldest first when the map passes its cap, and read back from the store on demand.
import { assert } from '../domain/errors.js';

export class WriteBehindMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #dirty = new Set<K>();
  readonly #load: (key: K) => V | undefined;
  readonly #cap: number;

  constructor(load: (key: K) => V | undefined, cap: number) {
    assert(cap > 0, 'a write-behind map has a positive cap');
    this.#load = load;
    this.#cap = cap;
  }

  get(key: K): V | undefined {
    const held = this.#entries.get(key);
    if (held !== undefined || this.#entries.has(key)) return held;
    return this.#load(key);
  }

  set(key: K, value: V): void {
    // Re-inserting moves the key to the young end, keeping insertion order close to age order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#dirty.add(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The changes since the last call, oldest first; they count as written from now on. */
  takeDirty(): Array<[K, V]> {
    const changes: Array<[K, V]> = [];
    for (const key of this.#dirty) changes.push([key, this.#entries.get(key) as V]);
    this.#dirty.clear();
    return changes;
  }

  /**
   * Evicts written entries from the old end: all while over the cap, then those `stale` says may go,
   * stopping at the first that may not. Scans at most `scanMax` entries.
   */
  evict(stale: (key: K, value: V) => boolean, scanMax: number): void {
    let scanned = 0;
    for (const [key, value] of this.#entries) {
      if (scanned++ >= scanMax) return;
      if (this.#dirty.has(key)) continue;
      if (this.#entries.size > this.#cap || stale(key, value)) this.#entries.delete(key);
      else return;
    }
  }
}
