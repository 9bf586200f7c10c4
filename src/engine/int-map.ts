// A map from non-negative int32 keys that are hash bits to objects: open addressing with linear probing and
// backward-shift deletion over an Int32Array of keys and an array of values. The in-flight keys of
// the engine are set and deleted once per operation; a Map rebuilt its backing store under that churn
// (about 180 bytes of garbage per operation), this allocates only when it grows.
import { assert } from '../domain/errors.js';

const emptyKey = -1;
const capacityLog2Min = 6;
const capacityLog2Max = 28;

export class IntMap<V> {
  #keys: Int32Array;
  #values: Array<V | undefined>;
  #mask: number;
  #size = 0;

  constructor(capacityLog2 = 10) {
    assert(capacityLog2 >= capacityLog2Min, 'an int map starts at its smallest size or more');
    assert(capacityLog2 <= capacityLog2Max, 'an int map starts at its largest size or less');
    this.#keys = new Int32Array(1 << capacityLog2).fill(emptyKey);
    this.#values = new Array<V | undefined>(1 << capacityLog2).fill(undefined);
    this.#mask = (1 << capacityLog2) - 1;
  }

  get size(): number {
    return this.#size;
  }

  get(key: number): V | undefined {
    const i = this.#find(key);
    return i < 0 ? undefined : this.#values[i];
  }

  has(key: number): boolean {
    return this.#find(key) >= 0;
  }

  set(key: number, value: V): void {
    assert(Number.isInteger(key), 'an int map key is an integer');
    assert(key >= 0 && key <= 0x7fff_ffff, 'an int map key is within 0 and 2^31-1');
    let i = this.#home(key);
    for (let probes = 0; this.#keys[i] !== emptyKey; i = (i + 1) & this.#mask, probes++) {
      assert(probes <= this.#mask, 'an int map always has an empty slot');
      if (this.#keys[i] === key) {
        this.#values[i] = value;
        return;
      }
    }
    this.#keys[i] = key;
    this.#values[i] = value;
    this.#size++;
    if (this.#size * 2 > this.#mask + 1) this.#grow();
  }

  delete(key: number): boolean {
    const at = this.#find(key);
    if (at < 0) return false;
    this.#deleteAt(at);
    return true;
  }

  /**
   * Deletes `key`'s entry only if its value is `value`: one probe where get() and then delete()
   * took two (the engine releases an in-flight key once per operation).
   */
  deleteIf(key: number, value: V): boolean {
    const at = this.#find(key);
    if (at < 0 || this.#values[at] !== value) return false;
    this.#deleteAt(at);
    return true;
  }

  #deleteAt(at: number): void {
    let hole = at;
    this.#size--;
    // Backward shift: pull later entries of the cluster into the hole unless they are home already.
    for (let j = (hole + 1) & this.#mask, probes = 0; this.#keys[j] !== emptyKey; j = (j + 1) & this.#mask) {
      assert(probes++ <= this.#mask, 'a cluster ends at an empty slot');
      const home = this.#home(this.#keys[j] ?? emptyKey);
      const staysPut = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (staysPut) continue;
      this.#keys[hole] = this.#keys[j] ?? emptyKey;
      this.#values[hole] = this.#values[j];
      hole = j;
    }
    this.#keys[hole] = emptyKey;
    this.#values[hole] = undefined;
  }

  #find(key: number): number {
    for (let i = this.#home(key), probes = 0; this.#keys[i] !== emptyKey; i = (i + 1) & this.#mask, probes++) {
      if (this.#keys[i] === key) return i;
      if (probes > this.#mask) break;
    }
    return -1;
  }

  /** Keys are expected to be hash bits already (evenly spread), so their low bits place them. */
  #home(key: number): number {
    return key & this.#mask;
  }

  #grow(): void {
    const log2 = Math.log2(this.#mask + 1) + 1;
    assert(log2 <= capacityLog2Max, 'an int map stays within its largest size');
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Int32Array(1 << log2).fill(emptyKey);
    this.#values = new Array<V | undefined>(1 << log2).fill(undefined);
    this.#mask = (1 << log2) - 1;
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? emptyKey;
      if (key !== emptyKey) this.set(key, values[i] as V);
    }
  }
}
