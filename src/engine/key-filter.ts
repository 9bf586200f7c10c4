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
//
// Keys leave it with their expiry: a stage notes the latest expiry of the keys added to it, and once
// that has passed (the caller adds a margin) the stage is retired: no longer asked, cleared in paced steps, and
// filled again when a new stage is needed. So the filter holds the keys that may still be live, not
// every key ever written: a shared filter's six stages hold ~66M keys, and past that its false
// positives climb (measured: 0.5% at 66M keys, 3.4% at 100M, 23% at 150M, 73% at 250M), each a
// round trip to the main thread and a disk read.
import { assert } from '../domain/errors.js';
import { keyHashHigh, keyHashLow } from '../domain/key-hash.js';

/** Keys of the first stage (log2); later stages double. Tests make it small, so that stages fill and retire. */
export const filterFirstStageKeysLog2 = 20;
const firstStageKeysLog2Min = 6;
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
 * (only the main thread adds). Once all are laid out, a retired stage takes the new keys, or with
 * none the current stage keeps taking them, and its rate of false positives then rises: six stages
 * hold ~66M keys (2^20 * 63) in 126 MiB, mapped lazily (a retired stage is cleared, so its pages
 * stay mapped).
 */
const stagesMax = 6;
/** A filter of its own (no workers) grows without this cap; the retired stages' mask has 31 bits. */
const privateStagesMax = 31;
/** Header words of the shared layout: the stages laid out so far, the mask of retired ones, the first stage's size. */
const header = { stages: 0, retired: 1, firstStageKeysLog2: 2 } as const;
const headerWords = 16;

interface Stage {
  readonly bits: Uint32Array<ArrayBufferLike>;
  /** 2^(53 - block index bits): dividing a hash by it leaves the index of its block. */
  readonly blockDivisor: number;
  readonly keys: number;
  added: number;
  /** The latest expiry of the keys added since the stage was last (re)filled. */
  latestExpiry: number;
  /** Retired: not asked; its words below `cleared` are zero (all of them once it is free). */
  retired: boolean;
  cleared: number;
}

function stageBitsLog2(first: number, index: number): number {
  return Math.min(stageBitsLog2Max, first + index + bitsPerKeyLog2);
}

function stageWords(first: number, index: number): number {
  return 2 ** (stageBitsLog2(first, index) - 5);
}

function stage(bits: Uint32Array<ArrayBufferLike>, first: number, index: number): Stage {
  const bitsLog2 = stageBitsLog2(first, index);
  assert(bits.length === 2 ** (bitsLog2 - 5), 'a filter stage has the size of its index');
  return {
    bits,
    blockDivisor: 2 ** (hashBits - (bitsLog2 - blockBitsLog2)),
    keys: 2 ** (first + index),
    added: 0,
    latestExpiry: Number.NEGATIVE_INFINITY,
    retired: false,
    cleared: 0,
  };
}

/** Bytes of the shared layout: a 64-byte header (see `header`), then every stage's words. */
function sharedBytes(first: number): number {
  let words = headerWords;
  for (let i = 0; i < stagesMax; i++) words += stageWords(first, i);
  return 4 * words;
}

export class KeyFilter {
  readonly #stages: Stage[] = [];
  /** The stage keys are added to; undefined before the first, or once it retired. */
  #current: Stage | undefined;
  /** Bit i: stage i is retired (mirrored in the shared header for the workers). */
  #retiredMask = 0;
  #added = 0;
  /** Shared: the header (see `header`), then the stages' words. */
  readonly #shared: Uint32Array<SharedArrayBuffer> | undefined;

  readonly #first: number;

  /** A filter of its own, or (`shared`) one laid out in shared memory for the workers to read. */
  constructor(shared = false, firstStageKeysLog2 = filterFirstStageKeysLog2) {
    assert(Number.isInteger(firstStageKeysLog2), 'a first stage of a power of two keys');
    assert(firstStageKeysLog2 >= firstStageKeysLog2Min, 'a first stage of at least a few blocks');
    assert(firstStageKeysLog2 <= filterFirstStageKeysLog2, 'a first stage no larger than the default');
    this.#first = firstStageKeysLog2;
    this.#shared = shared ? new Uint32Array(new SharedArrayBuffer(sharedBytes(firstStageKeysLog2))) : undefined;
    if (this.#shared !== undefined) this.#shared[header.firstStageKeysLog2] = firstStageKeysLog2;
  }

  /** A worker's view of a shared filter: it only asks (mayContain). */
  static attach(buffer: SharedArrayBuffer): KeyFilter {
    const words = new Uint32Array(buffer);
    const first = words[header.firstStageKeysLog2] ?? 0;
    const filter = new KeyFilter(false, first);
    assert(buffer.byteLength === sharedBytes(first), "a shared filter's memory has its layout's size");
    let offset = headerWords;
    for (let i = 0; i < stagesMax; i++) {
      const length = stageWords(first, i);
      filter.#stages.push(stage(words.subarray(offset, offset + length), first, i));
      offset += length;
    }
    filter.#view = words;
    return filter;
  }

  /** A worker's view: the stages laid out and the retired ones are read from the shared header at every question. */
  #view: Uint32Array<SharedArrayBuffer> | undefined;

  get buffer(): SharedArrayBuffer {
    assert(this.#shared !== undefined, 'only a shared filter hands out its memory');
    return this.#shared.buffer;
  }

  /** Notes a key written to disk, live until `expiresAt` (ms since the epoch). */
  add(hash: number, expiresAt: number): void {
    assert(this.#view === undefined, "a worker's view only asks");
    assert(!Number.isNaN(expiresAt), 'a key added to the filter has an expiry');
    let current = this.#current;
    if (current === undefined || current.added >= current.keys) current = this.#nextStage() ?? current;
    assert(current !== undefined, 'a filter always has a stage to add to');
    assert(!current.retired, 'keys go to a stage in use');
    const h2 = secondHash(hash);
    const base = blockOf(current, hash);
    for (let i = 0; i < hashes; i++) {
      const bit = bitInBlock(h2, i);
      const word = base + (bit >>> 5);
      current.bits[word] = (current.bits[word] ?? 0) | (1 << (bit & 31));
    }
    current.added++;
    if (expiresAt > current.latestExpiry) current.latestExpiry = expiresAt;
    this.#added++;
  }

  get #stagesMax(): number {
    return this.#shared === undefined ? privateStagesMax : stagesMax;
  }

  /**
   * The stage to fill next: the largest free one (its pages are mapped already), else a new one
   * while there is room, else the largest retired one whose clearing is cut short (its stale bits
   * only cost false positives), else none (the current one takes more than it was sized for).
   */
  #nextStage(): Stage | undefined {
    const free = this.#largestRetired(true);
    if (free !== undefined) return this.#reuse(free);
    if (this.#stages.length < this.#stagesMax) return this.#newStage();
    const retired = this.#largestRetired(false);
    return retired === undefined ? undefined : this.#reuse(retired);
  }

  #largestRetired(cleared: boolean): Stage | undefined {
    let best: Stage | undefined;
    for (const s of this.#stages) {
      if (!s.retired || (s.cleared === s.bits.length) !== cleared) continue;
      if (best === undefined || s.keys > best.keys) best = s;
    }
    return best;
  }

  #reuse(s: Stage): Stage {
    s.retired = false;
    s.cleared = 0;
    s.added = 0;
    s.latestExpiry = Number.NEGATIVE_INFINITY;
    this.#current = s;
    // Like a new stage, seen by the workers with the next batch's message: a key added now is
    // evicted from memory only after its write, many batches later.
    this.#publishRetired(this.#retiredMask & ~(1 << this.#stages.indexOf(s)));
    return s;
  }

  #newStage(): Stage {
    const index = this.#stages.length;
    const length = stageWords(this.#first, index);
    let bits: Uint32Array<ArrayBufferLike>;
    if (this.#shared === undefined) bits = new Uint32Array(length);
    else {
      const offset = headerWords + this.words;
      bits = this.#shared.subarray(offset, offset + length);
    }
    const created = stage(bits, this.#first, index);
    this.#stages.push(created);
    this.#current = created;
    // Published after the stage exists; the workers see it with the next batch's message.
    if (this.#shared !== undefined) this.#shared[header.stages] = this.#stages.length;
    return created;
  }

  /**
   * Retires every stage whose keys all expired by `cutoffMs`: it is asked no more (a worker that
   * has not seen that yet may still ask it while it is cleared, and answering "no" for keys that
   * expired is right). Returns the number retired.
   */
  retireExpiredBy(cutoffMs: number): number {
    let retired = 0;
    let mask = this.#retiredMask;
    for (let i = 0; i < this.#stages.length; i++) {
      const s = this.#stages[i] as Stage;
      if (s.retired || s.added === 0 || s.latestExpiry > cutoffMs) continue;
      s.retired = true;
      s.cleared = 0;
      mask |= 1 << i;
      retired++;
      if (s === this.#current) this.#current = undefined;
    }
    this.#publishRetired(mask);
    return retired;
  }

  /** Clears up to `wordsMax` words of retired stages; returns whether any are left to clear. */
  clearRetired(wordsMax: number): boolean {
    assert(Number.isInteger(wordsMax), 'a clearing step clears whole words');
    assert(wordsMax > 0, 'a clearing step clears some words');
    let budget = wordsMax;
    for (const s of this.#stages) {
      if (!s.retired || s.cleared === s.bits.length) continue;
      if (budget === 0) return true;
      const end = Math.min(s.bits.length, s.cleared + budget);
      s.bits.fill(0, s.cleared, end);
      budget -= end - s.cleared;
      s.cleared = end;
      if (end < s.bits.length) return true;
    }
    return false;
  }

  #publishRetired(mask: number): void {
    this.#retiredMask = mask;
    if (this.#shared !== undefined) this.#shared[header.retired] = mask;
  }

  mayContain(hash: number): boolean {
    const view = this.#view;
    const inUse = view === undefined ? this.#stages.length : (view[header.stages] ?? 0);
    if (inUse === 0) return false;
    const retired = view === undefined ? this.#retiredMask : (view[header.retired] ?? 0);
    const h2 = secondHash(hash);
    for (let i = 0; i < inUse; i++) {
      if ((retired & (1 << i)) !== 0) continue;
      const s = this.#stages[i] as Stage;
      if (stageHas(s.bits, blockOf(s, hash), h2)) return true;
    }
    return false;
  }

  /** Keys added since the filter was made. */
  get added(): number {
    return this.#added;
  }

  /** Keys in the stages still asked (what was added, less what retired). */
  get held(): number {
    let held = 0;
    for (const s of this.#stages) if (!s.retired) held += s.added;
    return held;
  }

  /** Words of the stages laid out so far. */
  get words(): number {
    return this.#stages.reduce((words, s) => words + s.bits.length, 0);
  }

  /** Stages laid out so far (a free stage is filled again before a new one is laid out). */
  get stages(): number {
    return this.#stages.length;
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
