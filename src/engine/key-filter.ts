// A Bloom filter of the idempotency keys written to disk, so that a key missing from memory costs a
// disk read only when it may really be there (new keys, the common case, never do). False positives
// cost one read; a "no" is certain. It grows as a scalable Bloom filter: a stage holds a set number
// of keys at 16 bits each, and a full stage is followed by one twice its size, so the rate of false
// positives stays near 0.1% however many keys reach the disk (a fixed filter of 16M bits answered
// "maybe" for a third of new keys past 6M). Double hashing over the two lanes of the key hash.
import { keyHashHigh, keyHashLow } from '../domain/key-hash.js';

const firstStageKeysLog2 = 20;
const bitsPerKeyLog2 = 4;
const hashes = 8;
/** A stage's bit index is 32-bit arithmetic: 2^31 bits (256 MiB) is the largest stage. */
const stageBitsLog2Max = 31;

interface Stage {
  readonly bits: Uint32Array;
  readonly bitsLog2: number;
  readonly keys: number;
  added: number;
}

function stage(keysLog2: number): Stage {
  const bitsLog2 = Math.min(stageBitsLog2Max, keysLog2 + bitsPerKeyLog2);
  return { bits: new Uint32Array(2 ** (bitsLog2 - 5)), bitsLog2, keys: 2 ** keysLog2, added: 0 };
}

export class KeyFilter {
  readonly #stages: Stage[] = [];
  #added = 0;

  add(hash: number): void {
    let current = this.#stages[this.#stages.length - 1];
    if (current === undefined || current.added >= current.keys) {
      current = stage(firstStageKeysLog2 + this.#stages.length);
      this.#stages.push(current);
    }
    const h1 = keyHashLow(hash);
    const h2 = secondHash(hash);
    const shift = 32 - current.bitsLog2;
    for (let i = 0; i < hashes; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) >>> shift;
      current.bits[bit >>> 5] = (current.bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
    current.added++;
    this.#added++;
  }

  mayContain(hash: number): boolean {
    if (this.#added === 0) return false;
    const h1 = keyHashLow(hash);
    const h2 = secondHash(hash);
    for (const { bits, bitsLog2 } of this.#stages) if (stageHas(bits, 32 - bitsLog2, h1, h2)) return true;
    return false;
  }

  get added(): number {
    return this.#added;
  }
}

function stageHas(bits: Uint32Array, shift: number, h1: number, h2: number): boolean {
  for (let i = 0; i < hashes; i++) {
    const bit = ((h1 + Math.imul(i, h2)) >>> 0) >>> shift;
    if (((bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/** An odd step for double hashing, mixed from both lanes (the high lane has only 21 bits). */
function secondHash(hash: number): number {
  let b = Math.imul(keyHashHigh(hash) ^ keyHashLow(hash), 0x5bd1e995);
  b ^= b >>> 15;
  return (Math.imul(b, 0x2c1b3c6d) | 1) >>> 0;
}
