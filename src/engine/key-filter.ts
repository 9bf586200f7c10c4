// A Bloom filter of the idempotency keys written to disk, so that a key missing from memory costs a
// disk read only when it may really be there (new keys, the common case, never do). False positives
// cost one read; a "no" is certain. It grows as a scalable Bloom filter: a stage holds a set number
// of keys at 16 bits each, and a full stage is followed by one twice its size, so the rate of false
// positives stays low however many keys reach the disk (0.10% at 2.5M keys, 0.32% at 15M, measured;
// a fixed filter of 16M bits answered "maybe" for a third of new keys past 6M). Blocked: a key's
// bits all lie in one 64-byte block of a stage, so asking a stage costs one cache miss, not one per
// bit (at 15M keys a new key's lookup walked four stages of up to 8 misses each, and the engine
// slowed as the disk index grew). The block is picked by the hash's top bits, the order in which a
// checkpoint hands over its keys (the key table's slots run in hash order), so adding them walks
// each stage from start to end instead of missing the cache once per key.
import { assert } from '../domain/errors.js';
import { keyHashHigh, keyHashLow } from '../domain/key-hash.js';

const firstStageKeysLog2 = 20;
const bitsPerKeyLog2 = 4;
const hashes = 8;
/** 512 bits (16 words) per block: one cache line. */
const blockWordsLog2 = 4;
const blockBitsLog2 = blockWordsLog2 + 5;
/** 2^31 bits (256 MiB) per stage is plenty; a block index then takes 22 of the hash's 53 bits. */
const stageBitsLog2Max = 31;
const hashBits = 53;

/**
 * Stages laid out in one shared buffer: the worker executing a shard's batch asks the filter too
 * (only the main thread adds). Past the last, it keeps adding to the last stage, whose rate of
 * false positives then rises: six stages hold ~66M keys (2^20 * 63) in 126 MiB, mapped lazily.
 */
const stagesMax = 6;

interface Stage {
  readonly bits: Uint32Array<ArrayBufferLike>;
  /** 2^(53 - block index bits): dividing a hash by it leaves the index of its block. */
  readonly blockDivisor: number;
  readonly keys: number;
  added: number;
}

function stageBitsLog2(index: number): number {
  return Math.min(stageBitsLog2Max, firstStageKeysLog2 + index + bitsPerKeyLog2);
}

function stage(bits: Uint32Array<ArrayBufferLike>, index: number): Stage {
  const bitsLog2 = stageBitsLog2(index);
  assert(bits.length === 2 ** (bitsLog2 - 5), 'a filter stage has the size of its index');
  return { bits, blockDivisor: 2 ** (hashBits - (bitsLog2 - blockBitsLog2)), keys: 2 ** (firstStageKeysLog2 + index), added: 0 };
}

/** Bytes of the shared layout: a 64-byte header (the stage count), then every stage's words. */
function sharedBytes(): number {
  let words = 16;
  for (let i = 0; i < stagesMax; i++) words += 2 ** (stageBitsLog2(i) - 5);
  return 4 * words;
}

export class KeyFilter {
  readonly #stages: Stage[] = [];
  #added = 0;
  /** Shared: the stage count in word 0, then the stages' words. */
  readonly #shared: Uint32Array<SharedArrayBuffer> | undefined;

  /** A filter of its own, or (`shared`) one laid out in shared memory for the workers to read. */
  constructor(shared = false) {
    this.#shared = shared ? new Uint32Array(new SharedArrayBuffer(sharedBytes())) : undefined;
  }

  /** A worker's view of a shared filter: it only asks (mayContain). */
  static attach(buffer: SharedArrayBuffer): KeyFilter {
    const filter = new KeyFilter();
    const words = new Uint32Array(buffer);
    let offset = 16;
    for (let i = 0; i < stagesMax; i++) {
      const length = 2 ** (stageBitsLog2(i) - 5);
      filter.#stages.push(stage(words.subarray(offset, offset + length), i));
      offset += length;
    }
    filter.#view = words;
    return filter;
  }

  /** A worker's view: the stages in use are read from the shared header at every question. */
  #view: Uint32Array<SharedArrayBuffer> | undefined;

  get buffer(): SharedArrayBuffer {
    assert(this.#shared !== undefined, 'only a shared filter hands out its memory');
    return this.#shared.buffer;
  }

  add(hash: number): void {
    let current = this.#stages[this.#stages.length - 1];
    if (current === undefined || (current.added >= current.keys && this.#stages.length < this.#stagesMax)) {
      current = this.#newStage();
    }
    const h2 = secondHash(hash);
    const base = blockOf(current, hash);
    for (let i = 0; i < hashes; i++) {
      const bit = bitInBlock(h2, i);
      const word = base + (bit >>> 5);
      current.bits[word] = (current.bits[word] ?? 0) | (1 << (bit & 31));
    }
    current.added++;
    this.#added++;
  }

  get #stagesMax(): number {
    return this.#shared === undefined ? Number.POSITIVE_INFINITY : stagesMax;
  }

  #newStage(): Stage {
    const index = this.#stages.length;
    const length = 2 ** (stageBitsLog2(index) - 5);
    let bits: Uint32Array<ArrayBufferLike>;
    if (this.#shared === undefined) bits = new Uint32Array(length);
    else {
      const offset = 16 + this.#stages.reduce((words, s) => words + s.bits.length, 0);
      bits = this.#shared.subarray(offset, offset + length);
    }
    const created = stage(bits, index);
    this.#stages.push(created);
    // Published after the stage exists; the workers see it with the next batch's message.
    if (this.#shared !== undefined) this.#shared[0] = this.#stages.length;
    return created;
  }

  mayContain(hash: number): boolean {
    const inUse = this.#view === undefined ? this.#stages.length : (this.#view[0] ?? 0);
    if (inUse === 0) return false;
    const h2 = secondHash(hash);
    for (let i = 0; i < inUse; i++) {
      const s = this.#stages[i] as Stage;
      if (stageHas(s.bits, blockOf(s, hash), h2)) return true;
    }
    return false;
  }

  get added(): number {
    return this.#added;
  }
}

function stageHas(bits: Uint32Array<ArrayBufferLike>, base: number, h2: number): boolean {
  for (let i = 0; i < hashes; i++) {
    const bit = bitInBlock(h2, i);
    if (((bits[base + (bit >>> 5)] ?? 0) & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/** The first word of the key's block in a stage: the top bits of the hash. */
function blockOf(stage: Stage, hash: number): number {
  return Math.floor(hash / stage.blockDivisor) << blockWordsLog2;
}

/** The i-th bit of the key within its block: the top 9 bits of a multiply-xorshift of (h2, i). */
function bitInBlock(h2: number, i: number): number {
  let x = Math.imul(h2 ^ Math.imul(i + 1, 0x9e3779b9), 0x85ebca6b);
  x ^= x >>> 13;
  return Math.imul(x, 0xc2b2ae35) >>> (32 - blockBitsLog2);
}

/** The seed of a key's bits within its block, mixed from both lanes (the high lane has only 21
 * bits, and its top ones pick the block). */
function secondHash(hash: number): number {
  let b = Math.imul(keyHashHigh(hash) ^ keyHashLow(hash), 0x5bd1e995);
  b ^= b >>> 15;
  return (Math.imul(b, 0x2c1b3c6d) | 1) >>> 0;
}
