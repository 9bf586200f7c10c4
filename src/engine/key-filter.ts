// A Bloom filter of the idempotency keys written to disk, so that a key missing from memory costs a
// disk read only when it may really be there (new keys, the common case, never do). False positives
// cost one read; a "no" is certain. Fixed size, double hashing over two FNV-1a hashes.
const bitsLog2 = 24;
const hashes = 4;

export class KeyFilter {
  readonly #bits = new Uint32Array((1 << bitsLog2) / 32);
  #added = 0;

  add(key: string): void {
    const [h1, h2] = hashPair(key);
    for (let i = 0; i < hashes; i++) {
      const bit = (h1 + i * h2) >>> (32 - bitsLog2);
      this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
    this.#added++;
  }

  mayContain(key: string): boolean {
    if (this.#added === 0) return false;
    const [h1, h2] = hashPair(key);
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

function hashPair(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  b ^= b >>> 15;
  return [a >>> 0, (Math.imul(b, 0x2c1b3c6d) | 1) >>> 0];
}
