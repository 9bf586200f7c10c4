// A Bloom filter of the idempotency keys written to disk, so that a key missing from memory costs a
// disk read only when it may really be there (new keys, the common case, never do). False positives
// cost one read; a "no" is certain. It is a ring of stages of equal size, each holding a set number
// of keys at 16 bits each: a full stage is followed by another, so the rate of false positives stays
// low as keys reach the disk (a fixed filter of 16M bits answered "maybe" for a third of new keys
// past 6M). Blocked: a key's bits all lie in one 64-byte block of a stage, so asking a stage costs
// one cache miss, not one per bit. The block is picked by the hash's top bits, the order in which a
// checkpoint hands over its keys (the key table's slots run in hash order), so adding them walks
// each stage from start to end instead of missing the cache once per key.
//
// Keys leave it with their expiry: a stage notes the earliest and latest expiry of the keys added to
// it; once the latest has passed (the caller adds a margin) the stage retires: it is no longer asked,
// is cleared in paced steps, and takes new keys again. The caller also moves new keys to another
// stage once the current one's keys expire over a set span, so that a stage retires soon after its
// keys' TTL. So the filter holds the keys that may still be live, not every key ever written. Its
// stages were first sized to double, as a scalable Bloom filter that only grows; a ring of such
// stages filled again was held up by its smallest stages (one of 65,536 keys filled in a fraction of
// a second, found no stage free, and took millions: most new keys then looked up on disk).
import { assert } from '../domain/errors.js';
import { keyHashHigh, keyHashLow } from '../domain/key-hash.js';
import { idempotencyFilterKeysDefault, idempotencyFilterStageKeys } from '../domain/limits.js';

/** Keys of a stage (log2): 8M, 16 MiB. Tests make it small, so that stages fill and retire. */
export const filterStageKeysLog2 = Math.log2(idempotencyFilterStageKeys);
const stageKeysLog2Min = 6;
const bitsPerKeyLog2 = 4;
const hashes = 8;
/** 512 bits (16 words) per block: one cache line. */
const blockWordsLog2 = 4;
const blockBitsLog2 = blockWordsLog2 + 5;
const hashBits = 53;

/**
 * Stages laid out in one shared buffer: the worker executing a shard's batch asks the filter too
 * (only the main thread adds). Once all are laid out, a free stage takes the new keys, or with none
 * they are spread over every stage, whose rate of false positives then rises: by default eight
 * stages hold ~67M keys (2^23 * 8) in 128 MiB, mapped as keys touch their pages (the option
 * idempotencyFilterKeys sets how many).
 */
const sharedStagesDefault = idempotencyFilterKeysDefault / idempotencyFilterStageKeys;
/** The retired stages' mask has 31 bits; a filter of its own (no workers: tests) may lay out that many. */
const stagesMax = 31;
/** Once the current stage is full and no other can take keys, it looks again every this share of a stage's keys. */
const overfullRetryShareLog2 = 4;
/**
 * Header words of the shared layout: the stages laid out so far, the mask of retired ones, a
 * stage's keys (log2), and the stages there is room for.
 */
const header = { stages: 0, retired: 1, stageKeysLog2: 2, room: 3 } as const;
const headerWords = 16;

interface Stage {
  readonly bits: Uint32Array<ArrayBufferLike>;
  /** 2^(53 - block index bits): dividing a hash by it leaves the index of its block. */
  readonly blockDivisor: number;
  readonly keys: number;
  added: number;
  /** The earliest and latest expiry of the keys added since the stage was last (re)filled. */
  earliestExpiry: number;
  latestExpiry: number;
  /** Retired: not asked; its words below `cleared` are zero (all of them once it is free). */
  retired: boolean;
  cleared: number;
}

function stageWords(keysLog2: number): number {
  return 2 ** (keysLog2 + bitsPerKeyLog2 - 5);
}

function stage(bits: Uint32Array<ArrayBufferLike>, keysLog2: number): Stage {
  const bitsLog2 = keysLog2 + bitsPerKeyLog2;
  assert(bits.length === stageWords(keysLog2), 'a filter stage has its size');
  return {
    bits,
    blockDivisor: 2 ** (hashBits - (bitsLog2 - blockBitsLog2)),
    keys: 2 ** keysLog2,
    added: 0,
    earliestExpiry: Number.POSITIVE_INFINITY,
    latestExpiry: Number.NEGATIVE_INFINITY,
    retired: false,
    cleared: 0,
  };
}

/** Bytes of the shared layout: a 64-byte header (see `header`), then every stage's words. */
function sharedBytes(keysLog2: number, stages: number): number {
  return 4 * (headerWords + stages * stageWords(keysLog2));
}

export class KeyFilter {
  readonly #stages: Stage[] = [];
  /** The stage keys are added to; undefined before the first, or once it retired. */
  #current: Stage | undefined;
  #added = 0;
  /** Shared: the header (see `header`), then the stages' words. */
  readonly #shared: Uint32Array<SharedArrayBuffer> | undefined;

  readonly #keysLog2: number;
  /** The stages it may lay out. */
  readonly #room: number;

  /**
   * A filter of its own, or (`shared`) one laid out in shared memory for the workers to read, with
   * room for `stages` stages of 2^`stageKeysLog2` keys (a filter of its own may lay out 31).
   */
  constructor(shared = false, stageKeysLog2 = filterStageKeysLog2, stages = sharedStagesDefault) {
    assert(Number.isInteger(stageKeysLog2), 'a stage of a power of two keys');
    assert(stageKeysLog2 >= stageKeysLog2Min, 'a stage of at least a few blocks');
    assert(stageKeysLog2 <= filterStageKeysLog2, 'a stage no larger than the default');
    assert(Number.isInteger(stages), 'a whole number of stages');
    assert(stages >= 1, 'one stage or more');
    assert(stages <= stagesMax, 'no more stages than the mask of retired ones has bits');
    this.#keysLog2 = stageKeysLog2;
    this.#room = shared ? stages : stagesMax;
    this.#shared = shared ? new Uint32Array(new SharedArrayBuffer(sharedBytes(stageKeysLog2, stages))) : undefined;
    if (this.#shared !== undefined) {
      this.#shared[header.stageKeysLog2] = stageKeysLog2;
      this.#shared[header.room] = stages;
    }
  }

  /** A worker's view of a shared filter: it only asks (mayContain). */
  static attach(buffer: SharedArrayBuffer): KeyFilter {
    const words = new Uint32Array(buffer);
    const keysLog2 = words[header.stageKeysLog2] ?? 0;
    const room = words[header.room] ?? 0;
    const filter = new KeyFilter(false, keysLog2);
    assert(buffer.byteLength === sharedBytes(keysLog2, room), "a shared filter's memory has its layout's size");
    const length = stageWords(keysLog2);
    for (let i = 0; i < room; i++) {
      const offset = headerWords + i * length;
      filter.#stages.push(stage(words.subarray(offset, offset + length), keysLog2));
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
    if (current === undefined || (current.added >= current.keys && (current.added - current.keys) % (current.keys >>> overfullRetryShareLog2) === 0)) {
      current = this.#nextStage() ?? current;
    }
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
    if (expiresAt < current.earliestExpiry) current.earliestExpiry = expiresAt;
    if (expiresAt > current.latestExpiry) current.latestExpiry = expiresAt;
    this.#added++;
  }

  /**
   * The stage to fill next: a free one (its pages are mapped already), else a new one while there
   * is room, else a retired one whose clearing is cut short (its stale bits only cost false
   * positives), else the stage in use with the fewest keys: more keys are live than the filter was
   * sized for, and spread over every stage its false positives rise the least (measured, as a share
   * of new keys: 0.09% at 10M keys held, 0.27% at 30M, 0.65% at 64M; past its size 5.7% at 100M,
   * 31% at 150M, 91% at 250M).
   */
  #nextStage(): Stage | undefined {
    const freeOrNew = this.#freeOrNewStage();
    if (freeOrNew !== undefined) return freeOrNew;
    const retired = this.#retiredStage(false);
    if (retired !== undefined) return this.#reuse(retired);
    let fewest: Stage | undefined;
    for (const s of this.#stages) if (fewest === undefined || s.added < fewest.added) fewest = s;
    this.#current = fewest;
    return fewest;
  }

  /** A free stage reused, or a new one laid out while there is room (either becomes the current), or undefined. */
  #freeOrNewStage(): Stage | undefined {
    const free = this.#retiredStage(true);
    if (free !== undefined) return this.#reuse(free);
    return this.#stages.length < this.#room ? this.#newStage() : undefined;
  }

  #retiredStage(cleared: boolean): Stage | undefined {
    return this.#stages.find((s) => s.retired && (s.cleared === s.bits.length) === cleared);
  }

  #reuse(s: Stage): Stage {
    s.retired = false;
    s.cleared = 0;
    s.added = 0;
    s.earliestExpiry = Number.POSITIVE_INFINITY;
    s.latestExpiry = Number.NEGATIVE_INFINITY;
    this.#current = s;
    // Like a new stage, seen by the workers with the next batch's message: a key added now is
    // evicted from memory only after its write, many batches later.
    this.#publishRetired();
    return s;
  }

  #newStage(): Stage {
    const length = stageWords(this.#keysLog2);
    let bits: Uint32Array<ArrayBufferLike>;
    if (this.#shared === undefined) bits = new Uint32Array(length);
    else {
      const offset = headerWords + this.words;
      bits = this.#shared.subarray(offset, offset + length);
    }
    const created = stage(bits, this.#keysLog2);
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
    for (const s of this.#stages) {
      if (s.retired || s.added === 0 || s.latestExpiry > cutoffMs) continue;
      s.retired = true;
      s.cleared = 0;
      retired++;
      if (s === this.#current) this.#current = undefined;
    }
    this.#publishRetired();
    return retired;
  }

  /**
   * Moves the keys to come to a free or new stage once the current one's keys expire over
   * `spanMs` or more: a stage retires only when its newest key expired, so the keys it holds past
   * their TTL are at most about that span's worth. Returns whether it moved them.
   */
  rotateAfter(spanMs: number): boolean {
    const current = this.#current;
    if (current === undefined || current.latestExpiry - current.earliestExpiry < spanMs) return false;
    this.#freeOrNewStage();
    return this.#current !== current;
  }

  /**
   * Clears up to `wordsMax` words of retired stages; returns whether any are left to clear. Only
   * words that are set are written: a page no key touched stays unmapped.
   */
  clearRetired(wordsMax: number): boolean {
    assert(Number.isInteger(wordsMax), 'a clearing step clears whole words');
    assert(wordsMax > 0, 'a clearing step clears some words');
    let budget = wordsMax;
    for (const s of this.#stages) {
      if (!s.retired || s.cleared === s.bits.length) continue;
      if (budget === 0) return true;
      const end = Math.min(s.bits.length, s.cleared + budget);
      const bits = s.bits;
      for (let i = s.cleared; i < end; i++) if (bits[i] !== 0) bits[i] = 0;
      budget -= end - s.cleared;
      s.cleared = end;
      if (end < s.bits.length) return true;
    }
    return false;
  }

  /** The workers' copy of the stages' retired flags: bit i for stage i, in the shared header. */
  #publishRetired(): void {
    if (this.#shared === undefined) return;
    let mask = 0;
    this.#stages.forEach((s, i) => (mask |= s.retired ? 1 << i : 0));
    this.#shared[header.retired] = mask;
  }

  mayContain(hash: number): boolean {
    const view = this.#view;
    const inUse = view === undefined ? this.#stages.length : (view[header.stages] ?? 0);
    if (inUse === 0) return false;
    // A view's stages carry no flags of their own: it reads them from the header.
    const retired = view === undefined ? 0 : (view[header.retired] ?? 0);
    const h2 = secondHash(hash);
    for (let i = 0; i < inUse; i++) {
      const s = this.#stages[i] as Stage;
      if (s.retired || (retired & (1 << i)) !== 0) continue;
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

  /** Stages laid out so far (a free stage takes keys again before a new one is laid out). */
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
