// A Bloom filter of the idempotency keys written to disk, so that a key missing from memory costs a
// disk read only when it may really be there (new keys, the common case, never do). False positives
// cost one read; a "no" is certain. Fixed size, double hashing over the two lanes of the key hash.
import { keyHashHigh, keyHashLow } from '../domain/key-hash.js';

const bitsLog2 = 24;
const hashes = 4;

export class KeyFilter {
  readonly #bits = new Uint32Array((1 << bitsLog2) / 32);
  #added = 0;

  add(hash: number): void {
    const h1 = keyHashLow(hash);
    const h2 = secondHash(hash);
    for (let i = 0; i < hashes; i++) {
      const bit = (h1 + i * h2) >>> (32 - bitsLog2);
      this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
    this.#added++;
  }

  mayContain(hash: number): boolean {
    if (this.#added === 0) return false;
    const h1 = keyHashLow(hash);
    const h2 = secondHash(hash);
    for (let i = 0; i < hashes; i++) {
      const bit = (h1 + i * h2) >>> (32 - bitsLog2);
      if (((this.#bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  get added(): number {
    return this.#added;
  }
}

/** An odd step for double hashing, mixed from both lanes (the high lane has only 21 bits). */
function secondHash(hash: number): number {
  let b = Math.imul(keyHashHigh(hash) ^ keyHashLow(hash), 0x5bd1e995);
  b ^= b >>> 15;
  return (Math.imul(b, 0x2c1b3c6d) | 1) >>> 0;
}
