// The in-memory idempotency-key table: open addressing with linear probing over typed arrays, keyed
// by the 53-bit key hash. A Map of key strings to entry objects held every live key's string and
// object on the heap, which the garbage collector then walked on every scavenge; here a key costs 25
// bytes outside the heap's object graph. Key strings are not kept: an entry names the log record of
// its key, and `matches(seq)` confirms the key against that record whenever two hashes are equal.
// A shard's table lives in shared memory (KeyTable.shared / attach): the worker running the shard's
// batch probes it by hash alone and adds the keys it takes, and the main thread does the rest between
// the shard's batches; its counters live in that memory too, and it never grows.
import { assert } from '../domain/errors.js';
import type { KeyChanges } from '../store/store.js';

const empty = 0;
const live = 1;
/** Freed by a reconciliation: held until purge() after its deletion is written (the disk may
 * hold the key until then). Entries leave with no tombstones: a purge moves later ones back (#purgeSlots). */
const freed = 2;
const stateMask = 3;
const dirtyBit = 4;

export const keyTableLoadMax = 0.7;
const loadMax = keyTableLoadMax;
const capacityLog2Min = 10;
const capacityLog2Max = 28;
const evictionBuckets = 4_096;
/** Slots sampled for the eviction cutoff: the oldest quarter of a million keys is found within ~1%. */
const evictionSampleSlots = 65_536;

/** The header of a table: its counters and expiry bounds, as doubles. */
const field = { used: 0, live: 1, dirty: 2, freed: 3, earliestExpiry: 4, insertedEarliest: 5 } as const;
const headerFields = 8;
/** A shared table refuses new keys (full) past this load: probes grow long, and one slot must stay empty. */
const sharedLoadMax = 0.9;

/** Bytes of a shared table of 2^log2 slots: the header, then hash, seq and expiry doubles, then state bytes. */
export function sharedTableBytes(log2: number): number {
  return headerFields * 8 + 25 * 2 ** log2;
}

function sharedLog2(bytes: number): number {
  const log2 = Math.log2((bytes - headerFields * 8) / 25);
  assert(Number.isInteger(log2), 'a shared key table has a power-of-two size');
  return log2;
}

/** lookup(): the key is surely not live (expired, or freed here): do not look further. */
export const keyAbsent = -1;
/** lookup(): the key is not in memory: it may be on disk. */
export const keyNotHeld = 0;
/** probe(): entries of the hash are there, but a worker cannot settle them (see probe()). */
export const keyCheck = -2;

/** Confirms that the log record `seq` carries the key being looked for (hashes can collide). */
export type KeyMatch = (seq: number) => boolean;

export class KeyTable {
  #mask = 0;
  /** 2^(53 - log2 capacity): dividing a 53-bit hash by it leaves its top bits. */
  #homeDivisor = 1;
  #hash: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #seq: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #expires: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #state: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  /**
   * The counters and expiry bounds (see `field`), in an array: a shared table keeps them in its
   * shared memory, where the worker executing its shard's batch inserts and counts.
   */
  #h: Float64Array<ArrayBufferLike> = new Float64Array(headerFields);
  /** (hash, seq) pairs of replaced entries, deleted from disk with the next changes. */
  #staleOnDisk: number[] = [];
  /** The earliest expiry a running purge has kept so far. */
  #scanEarliest = Number.POSITIVE_INFINITY;
  /** Shared tables never grow: their memory was handed to the workers. */
  #fixed = false;
  /** Advances on every growth and every takeChanges(): a paused purge must not go on after either. */
  #epoch = 0;
  /** Reused by takeChanges: a slice of a few thousand changes every turn of a checkpoint. */
  #out = { hash: new Float64Array(0), seq: new Float64Array(0), expiresAt: new Float64Array(0) };

  /**
   * `capacityLog2` is the starting size; the table grows only past its load limit, which stops the
   * engine for a moment (hundreds of milliseconds at a million keys), so size it for the keys
   * expected. The arrays are zero-filled lazily by the OS: slots never written cost no memory.
   */
  constructor(capacityLog2 = 16) {
    assert(capacityLog2 >= capacityLog2Min, 'the key table starts at its smallest size or more');
    assert(capacityLog2 <= capacityLog2Max, 'the key table starts at its largest size or less');
    this.#allocate(capacityLog2);
  }

  /**
   * A table in shared memory, for one shard: the worker executing the shard's batch probes and
   * inserts (probe(), add(), free()), the main thread does the rest while no batch of the shard is
   * in flight. It never grows, so it starts with every entry of `from` (recovery rebuilt those in
   * a table of its own) and room for `capacityLog2` slots at least.
   */
  static shared(capacityLog2: number, from?: KeyTable): KeyTable {
    const log2 = Math.max(capacityLog2, from === undefined ? 0 : Math.log2(from.capacity));
    assert(log2 <= capacityLog2Max, 'a shared key table stays within the largest size');
    const table = new KeyTable(capacityLog2Min);
    table.#attach(new SharedArrayBuffer(sharedTableBytes(log2)));
    table.#h.fill(0);
    table.#earliestExpiry = Number.POSITIVE_INFINITY;
    table.#insertedEarliest = Number.POSITIVE_INFINITY;
    if (from !== undefined) from.#forEach((hash, seq, expires, flags) => table.#place(hash, seq, expires, flags));
    return table;
  }

  /** A worker's view of a shared table (the memory of `KeyTable.shared(...).buffer`). */
  static attach(buffer: SharedArrayBuffer): KeyTable {
    const table = new KeyTable(capacityLog2Min);
    table.#attach(buffer);
    return table;
  }

  /** The shared memory of a shared table (to hand to the workers). */
  get buffer(): SharedArrayBuffer {
    const buffer = this.#h.buffer;
    assert(buffer instanceof SharedArrayBuffer, 'only a shared key table hands out its memory');
    return buffer;
  }

  #forEach(visit: (hash: number, seq: number, expires: number, flags: number) => void): void {
    for (let i = 0; i <= this.#mask; i++) {
      const flags = this.#state[i] ?? empty;
      if ((flags & stateMask) !== empty) visit(this.#hash[i] ?? 0, this.#seq[i] ?? 0, this.#expires[i] ?? 0, flags);
    }
  }

  /** Live keys held (freed ones not counted). */
  get size(): number {
    return this.#live;
  }

  /** Entries changed since their last takeChanges(). */
  get dirtyCount(): number {
    return this.#dirty;
  }

  /** The live entry's seq, keyAbsent, or keyNotHeld. */
  lookup(hash: number, nowMs: number, matches: KeyMatch): number {
    const i = this.#find(hash, matches);
    if (i < 0) return keyNotHeld;
    // The table holds a key's newest entry, so an expired or freed one settles it.
    const isLive = ((this.#state[i] ?? empty) & stateMask) === live && (this.#expires[i] ?? 0) > nowMs;
    return isLive ? (this.#seq[i] ?? 0) : keyAbsent;
  }

  /**
   * A shard table's answer with the key confirmed (main thread): its newest entry of the key, which
   * settles it when live and unexpired (the seq), or expired or freed (keyAbsent); keyNotHeld when
   * memory holds no entry of the key. A shard table may hold a dead entry of a key and a newer live
   * one: add() never replaces, since a worker cannot tell a key from another of the same hash.
   */
  lookupNewest(hash: number, nowMs: number, matches: KeyMatch): number {
    let newest = -1;
    for (let i = this.#home(hash), probes = 0; probes <= this.#mask; i = (i + 1) & this.#mask, probes++) {
      const state = (this.#state[i] ?? empty) & stateMask;
      if (state === empty) break;
      if (this.#hash[i] !== hash || !matches(this.#seq[i] ?? 0)) continue;
      if (newest < 0 || (this.#seq[i] ?? 0) > (this.#seq[newest] ?? 0)) newest = i;
    }
    if (newest < 0) return keyNotHeld;
    const isLive = ((this.#state[newest] ?? empty) & stateMask) === live && (this.#expires[newest] ?? 0) > nowMs;
    return isLive ? (this.#seq[newest] ?? 0) : keyAbsent;
  }

  /**
   * A worker's probe, by hash alone (it cannot read log records): the seq of the one live,
   * unexpired entry of the hash, to be confirmed against its record; keyCheck when entries of the
   * hash are there but not exactly one live one (an expired or freed key, or hashes that collide),
   * for the main thread to settle; keyNotHeld when there is none.
   */
  probe(hash: number, nowMs: number): number {
    let found = keyNotHeld;
    for (let i = this.#home(hash), probes = 0; probes <= this.#mask; i = (i + 1) & this.#mask, probes++) {
      const state = (this.#state[i] ?? empty) & stateMask;
      if (state === empty) return found;
      if (this.#hash[i] !== hash) continue;
      const isLive = state === live && (this.#expires[i] ?? 0) > nowMs;
      if (!isLive || found !== keyNotHeld) return keyCheck;
      found = this.#seq[i] ?? 0;
    }
    return found;
  }

  /**
   * Inserts an entry unless one with the same hash and seq is there (a repair may add what its dead
   * worker had added). Never replaces: the newest entry of a key is the one that counts. Counts
   * first and marks the slot last, so that a worker dying half-way leaves at worst a count too high.
   */
  add(hash: number, seq: number, expiresAt: number, state: number = live): void {
    assert(seq > 0, 'a key names a log record');
    assert(!this.full, 'a key is added to a table with room for it');
    let i = this.#home(hash);
    for (let probes = 0; ; probes++) {
      assert(probes <= this.#mask, 'the key table always has an empty slot');
      const flags = this.#state[i] ?? empty;
      if ((flags & stateMask) === empty) break;
      if (this.#hash[i] === hash && this.#seq[i] === seq) return;
      i = (i + 1) & this.#mask;
    }
    this.#used++;
    if (state === live) this.#live++;
    else this.#freed++;
    this.#dirty++;
    this.#hash[i] = hash;
    this.#seq[i] = seq;
    this.#expires[i] = expiresAt;
    if (expiresAt < this.#earliestExpiry) this.#earliestExpiry = expiresAt;
    if (expiresAt < this.#insertedEarliest) this.#insertedEarliest = expiresAt;
    this.#state[i] = state | dirtyBit;
    // Recovery fills a table of its own first, which grows; a shared one never does (full).
    if (this.#used > this.#capacity * loadMax && !this.#fixed) this.#grow();
  }

  /**
   * Frees the entry (hash, seq) of a reconciled operation, so its key can execute again; an entry
   * evicted to disk is held freed, so that its deletion is written and it stays freed meanwhile.
   */
  free(hash: number, seq: number, expiresAt: number): void {
    for (let i = this.#home(hash), probes = 0; probes <= this.#mask; i = (i + 1) & this.#mask, probes++) {
      const flags = this.#state[i] ?? empty;
      if ((flags & stateMask) === empty) break;
      if (this.#hash[i] !== hash || this.#seq[i] !== seq) continue;
      if ((flags & stateMask) === live) {
        this.#live--;
        this.#freed++;
        this.#write(i, hash, seq, this.#expires[i] ?? 0, freed);
      }
      return;
    }
    this.add(hash, seq, expiresAt, freed);
  }

  /** A shared table past its load limit takes no new keys until a purge makes room. */
  get full(): boolean {
    return this.#fixed && this.#used >= (this.#mask + 1) * sharedLoadMax;
  }

  /** Holds a key's newest record (replacing an older entry of the same key), to be written. */
  remember(hash: number, seq: number, expiresAt: number, matches: KeyMatch): void {
    assert(seq > 0, 'a key names a log record');
    const i = this.#find(hash, matches);
    if (i >= 0) {
      const old = this.#seq[i] ?? 0;
      // The replaced entry may be on disk, where it would outlive this one: delete it there.
      if (old !== seq) this.#staleOnDisk.push(hash, old);
      if (((this.#state[i] ?? empty) & stateMask) === freed) {
        this.#live++;
        this.#freed--;
      }
      return this.#write(i, hash, seq, expiresAt, live);
    }
    this.#insert(hash, seq, expiresAt, live);
  }

  /**
   * Frees the key whose entry names `seq` (a reconciled mint), so it can execute again. Returns
   * false when the table holds no entry of that key (the caller then looks on disk).
   */
  forget(hash: number, seq: number, matches: KeyMatch): boolean {
    const i = this.#find(hash, matches);
    if (i < 0) return false;
    if (this.#seq[i] === seq && ((this.#state[i] ?? empty) & stateMask) === live) {
      this.#live--;
      this.#freed++;
      this.#write(i, hash, seq, this.#expires[i] ?? 0, freed);
    }
    return true;
  }

  /** Holds a freed entry for a key known only on disk, so its deletion is written and it stays freed. */
  holdFreed(hash: number, seq: number, expiresAt: number): void {
    this.#insert(hash, seq, expiresAt, freed);
  }

  /** The slot of the key's entry (live or freed), or -1. */
  #find(hash: number, matches: KeyMatch): number {
    for (let i = this.#home(hash), probes = 0; probes <= this.#mask; i = (i + 1) & this.#mask, probes++) {
      const state = (this.#state[i] ?? empty) & stateMask;
      if (state === empty) return -1;
      if (this.#hash[i] === hash && matches(this.#seq[i] ?? 0)) return i;
    }
    return -1;
  }

  #insert(hash: number, seq: number, expiresAt: number, state: number): void {
    let i = this.#home(hash);
    for (let probes = 0; ((this.#state[i] ?? empty) & stateMask) !== empty; probes++) {
      assert(probes <= this.#mask, 'the key table always has an empty slot');
      i = (i + 1) & this.#mask;
    }
    this.#used++;
    if (state === live) this.#live++;
    else this.#freed++;
    this.#write(i, hash, seq, expiresAt, state);
    if (this.#used > this.#capacity * loadMax && !this.#fixed) this.#grow();
  }

  /**
   * The entries changed in slots [from, from + slots), plus (from slot 0) the replaced entries to
   * delete on disk; they count as written from now on. A checkpoint walks the table range by range.
   * The arrays are the table's own, reused: valid until the next call (the store copies them out).
   */
  takeChanges(from = 0, slots = this.#mask + 1): KeyChanges {
    this.#epoch++;
    const to = Math.min(this.#mask + 1, from + slots);
    const stale = from === 0 ? this.#staleOnDisk : [];
    if (from === 0) this.#staleOnDisk = [];
    // Room for every slot of the range, so that the range is walked once.
    const changes = this.#changesOut(stale.length / 2 + (to - from));
    let n = 0;
    // Deletions of replaced entries first: a key re-held under the same seq is then put back after.
    for (let j = 0; j < stale.length; j += 2, n++) {
      changes.hash[n] = stale[j] ?? 0;
      changes.seq[n] = stale[j + 1] ?? 0;
      changes.expiresAt[n] = Number.NaN;
    }
    for (let i = from; i < to; i++) {
      const flags = this.#state[i] ?? empty;
      if ((flags & dirtyBit) === 0) continue;
      const state = flags & stateMask;
      changes.hash[n] = this.#hash[i] ?? 0;
      changes.seq[n] = this.#seq[i] ?? 0;
      changes.expiresAt[n] = state === freed ? Number.NaN : (this.#expires[i] ?? 0);
      // A freed key stays freed until purge(), after its deletion is written.
      this.#state[i] = state;
      n++;
    }
    this.#dirty -= n - stale.length / 2;
    assert(this.#dirty >= 0, 'a dirty entry is taken once');
    return { count: n, ...changes };
  }

  /** The output arrays of takeChanges, grown to hold `count` entries. */
  #changesOut(count: number): { hash: Float64Array; seq: Float64Array; expiresAt: Float64Array } {
    if (this.#out.hash.length < count) {
      const length = 2 ** Math.ceil(Math.log2(count));
      this.#out = { hash: new Float64Array(length), seq: new Float64Array(length), expiresAt: new Float64Array(length) };
    }
    return this.#out;
  }

  /** Slots in the table (takeChanges ranges are in slots; growing re-places every entry). */
  get capacity(): number {
    return this.#mask + 1;
  }

  /**
   * Call after the changes taken are written. Drops freed keys and written entries that expired,
   * then, while more than `keep` live keys are held, about the oldest written ones (they stay on
   * disk). In place, cluster by cluster: no second table is built, nothing is sorted. A
   * generator: when it evicts, it first pauses after each of the cutoff's two sampled passes (which
   * change nothing), then after about `slotsPerStep` slots of its scan, so the caller can spread it
   * over turns; a paused purge ends early if the table grows or changes are taken meanwhile.
   */
  purge(nowMs: number, keep: number, slotsPerStep = Number.POSITIVE_INFINITY): Generator<void, void> {
    return this.#purge(nowMs, keep, slotsPerStep);
  }

  *#purge(nowMs: number, keep: number, slotsPerStep: number): Generator<void, void> {
    if (this.#freed === 0 && this.#live <= keep && nowMs < this.#earliestExpiry) return;
    const epoch = this.#epoch;
    this.#insertedEarliest = Number.POSITIVE_INFINITY;
    const cutoff = this.#live > keep ? yield* this.#evictionCutoff(this.#live - keep) : 0;
    if (this.#epoch !== epoch) return;
    // Start after an empty slot: no cluster spans it, so no entry moves across the scan's start.
    const start = this.#emptySlot();
    this.#scanEarliest = Number.POSITIVE_INFINITY;
    for (let n = 1, steps = 0; n <= this.#mask; steps++) {
      assert(steps <= this.#mask + 1, 'a purge step advances');
      if (steps > 0) {
        yield;
        // The table grew, or changes were taken (entries clean now may not be on disk yet): stop.
        if (this.#epoch !== epoch) return;
      }
      n = this.#purgeSlots(start, n, Math.min(this.#mask + 1, n + slotsPerStep), nowMs, cutoff);
    }
    // Entries written behind the scan while it paused count too.
    this.#earliestExpiry = Math.min(this.#scanEarliest, this.#insertedEarliest);
  }

  /**
   * Purges scan positions [n, end) after `start` (a tight loop, no pause inside) and on to the end of
   * the cluster there; returns where the scan goes on. Notes the earliest expiry kept in #scanEarliest.
   * Dropped entries leave their slots empty at once, and each later entry of the cluster moves back
   * to the first empty slot from its home (as if inserted again in cluster order). A backward-shift
   * deletion per entry walked and moved the rest of the cluster each time; a purge drops about half
   * the entries, so whole clusters were shifted several times over.
   */
  #purgeSlots(start: number, n: number, end: number, nowMs: number, cutoff: number): number {
    const mask = this.#mask;
    const state = this.#state;
    const expires = this.#expires;
    let earliest = this.#scanEarliest;
    let droppedLive = 0;
    let droppedFreed = 0;
    // A slot of the cluster under the scan was emptied: probes of its later entries may cross it.
    let vacated = false;
    // Past `end` (or past the last position, where the scan wraps) only to finish a cluster: its
    // entries' probes are broken until they move back, and a pause would show them to a worker.
    const guard = n + 2 * (mask + 1);
    for (; n < end || vacated; n++) {
      if (n > guard) assert(false, 'a purge step ends at an empty slot');
      const i = (start + n) & mask;
      const flags = state[i] ?? empty;
      if ((flags & stateMask) === empty) {
        vacated = false;
      } else if (this.#drops(i, flags, nowMs, cutoff)) {
        if ((flags & stateMask) === live) droppedLive++;
        else droppedFreed++;
        this.#clear(i);
        vacated = true;
      } else {
        const at = vacated ? this.#moveBack(i) : i;
        earliest = Math.min(earliest, expires[at] ?? 0);
      }
    }
    this.#live -= droppedLive;
    this.#freed -= droppedFreed;
    this.#used -= droppedLive + droppedFreed;
    this.#scanEarliest = earliest;
    return n;
  }

  /** Dirty entries and freed ones not yet written stay whatever their age. */
  #drops(i: number, flags: number, nowMs: number, cutoff: number): boolean {
    if ((flags & dirtyBit) !== 0) return false;
    if (flags === freed) return true;
    return (this.#expires[i] ?? 0) <= nowMs || (this.#seq[i] ?? 0) < cutoff;
  }

  /** Empties slot i (a dropped entry's: the caller counts it and mends the probes after it). */
  #clear(i: number): void {
    this.#hash[i] = 0;
    this.#seq[i] = 0;
    this.#expires[i] = 0;
    this.#state[i] = empty;
  }

  /**
   * Moves the entry at slot i to the first empty slot from its home, if one comes before i: every
   * slot from its home to its new place is then held, so its probe is unbroken. Returns its slot.
   */
  #moveBack(i: number): number {
    const hash = this.#hash[i] ?? 0;
    let to = this.#home(hash);
    for (let probes = 0; to !== i && ((this.#state[to] ?? empty) & stateMask) !== empty; to = (to + 1) & this.#mask) {
      assert(probes++ <= this.#mask, 'an entry lies after its home');
    }
    if (to === i) return i;
    this.#hash[to] = hash;
    this.#seq[to] = this.#seq[i] ?? 0;
    this.#expires[to] = this.#expires[i] ?? 0;
    this.#state[to] = this.#state[i] ?? empty;
    this.#clear(i);
    return to;
  }

  #emptySlot(): number {
    for (let i = 0; i <= this.#mask; i++) if (((this.#state[i] ?? empty) & stateMask) === empty) return i;
    assert(false, 'the load limit leaves empty slots');
    return -1;
  }

  /**
   * The seq below which written live entries are evicted to drop at least `excess` of them: a
   * histogram of their seqs (seqs grow with time, so low seqs are the oldest keys), from a sample of
   * about evictionSampleSlots slots spread over the table. Walking every slot twice for it cost a
   * checkpoint ~20 ms at a million keys; eviction needs only about the oldest. Each sampled slot is
   * a cache miss: its two passes, with the purge's first slice, made a step of ~3 ms in a run at full
   * load (13.7 ms before the code was optimized), so each pass is a step of its own.
   */
  *#evictionCutoff(excess: number): Generator<void, number> {
    if (excess >= this.#live) return Number.POSITIVE_INFINITY;
    const stride = Math.max(1, Math.floor((this.#mask + 1) / evictionSampleSlots));
    const range = this.#liveSeqRange(stride);
    yield;
    if (range.highest === 0) return 0;
    const width = (range.highest - range.lowest + 1) / evictionBuckets;
    const counts = this.#countLiveSeqs(stride, range.lowest, width);
    yield;
    // Each sampled entry stands for `stride` of them.
    let seen = 0;
    for (let b = 0; b < evictionBuckets; b++) {
      seen += (counts[b] ?? 0) * stride;
      if (seen >= excess) return b === evictionBuckets - 1 ? Number.POSITIVE_INFINITY : range.lowest + (b + 1) * width;
    }
    return Number.POSITIVE_INFINITY;
  }

  #liveSeqRange(stride: number): { lowest: number; highest: number } {
    let lowest = Number.POSITIVE_INFINITY;
    let highest = 0;
    for (let i = 0; i <= this.#mask; i += stride) {
      if (this.#state[i] !== live) continue;
      const seq = this.#seq[i] ?? 0;
      if (seq < lowest) lowest = seq;
      if (seq > highest) highest = seq;
    }
    return { lowest, highest };
  }

  #countLiveSeqs(stride: number, lowest: number, width: number): Uint32Array {
    const counts = new Uint32Array(evictionBuckets);
    for (let i = 0; i <= this.#mask; i += stride) {
      if (this.#state[i] !== live) continue;
      const bucket = Math.min(evictionBuckets - 1, Math.max(0, Math.floor(((this.#seq[i] ?? 0) - lowest) / width)));
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * A hash's home slot: its top bits. Slots then run in hash order, so a checkpoint walking the table
   * hands the store its key changes nearly sorted, in the order of the disk index (keyed by hash):
   * LMDB then inserts them leaf after leaf instead of jumping about its B-tree.
   */
  #home(hash: number): number {
    return Math.floor(hash / this.#homeDivisor);
  }

  get #capacity(): number {
    return this.#mask + 1;
  }

  #write(i: number, hash: number, seq: number, expiresAt: number, state: number): void {
    if (((this.#state[i] ?? empty) & dirtyBit) === 0) this.#dirty++;
    this.#hash[i] = hash;
    this.#seq[i] = seq;
    this.#expires[i] = expiresAt;
    this.#state[i] = state | dirtyBit;
    if (expiresAt < this.#earliestExpiry) this.#earliestExpiry = expiresAt;
    if (expiresAt < this.#insertedEarliest) this.#insertedEarliest = expiresAt;
  }

  #grow(): void {
    this.#epoch++;
    const log2 = Math.log2(this.#capacity) + 1;
    assert(log2 <= capacityLog2Max, 'the key table stays within its largest size');
    const old = { hash: this.#hash, seq: this.#seq, expires: this.#expires, state: this.#state };
    this.#allocate(log2);
    for (let i = 0; i < old.state.length; i++) {
      const flags = old.state[i] ?? empty;
      if ((flags & stateMask) !== empty) this.#place(old.hash[i] ?? 0, old.seq[i] ?? 0, old.expires[i] ?? 0, flags);
    }
  }

  /** Inserts an entry known to be absent (rebuilds only), keeping its state and dirty flag. */
  #place(hash: number, seq: number, expires: number, flags: number): void {
    let i = this.#home(hash);
    for (let probes = 0; ((this.#state[i] ?? empty) & stateMask) !== empty; probes++) {
      assert(probes <= this.#mask, 'a rebuilt table has room');
      i = (i + 1) & this.#mask;
    }
    this.#hash[i] = hash;
    this.#seq[i] = seq;
    this.#expires[i] = expires;
    this.#state[i] = flags;
    this.#used++;
    if ((flags & stateMask) === live) this.#live++;
    else this.#freed++;
    if ((flags & dirtyBit) !== 0) this.#dirty++;
    if (expires < this.#earliestExpiry) this.#earliestExpiry = expires;
  }

  #allocate(log2: number): void {
    const capacity = 1 << log2;
    this.#mask = capacity - 1;
    this.#homeDivisor = 2 ** (53 - log2);
    this.#hash = new Float64Array(capacity);
    this.#seq = new Float64Array(capacity);
    this.#expires = new Float64Array(capacity);
    this.#state = new Uint8Array(capacity);
    this.#h.fill(0);
    this.#earliestExpiry = Number.POSITIVE_INFINITY;
    this.#insertedEarliest = Number.POSITIVE_INFINITY;
  }

  /** Places the table's columns and header in `buffer` (sharedTableBytes of it): it never grows. */
  #attach(buffer: SharedArrayBuffer): void {
    const log2 = sharedLog2(buffer.byteLength);
    const capacity = 2 ** log2;
    this.#mask = capacity - 1;
    this.#homeDivisor = 2 ** (53 - log2);
    this.#h = new Float64Array(buffer, 0, headerFields);
    let offset = headerFields * 8;
    this.#hash = new Float64Array(buffer, offset, capacity);
    this.#seq = new Float64Array(buffer, (offset += 8 * capacity), capacity);
    this.#expires = new Float64Array(buffer, (offset += 8 * capacity), capacity);
    this.#state = new Uint8Array(buffer, (offset += 8 * capacity), capacity);
    this.#fixed = true;
  }

  // The header's fields by name (`this.#used++` reads and writes the array).
  get #used(): number {
    return this.#h[field.used] ?? 0;
  }
  set #used(value: number) {
    this.#h[field.used] = value;
  }
  get #live(): number {
    return this.#h[field.live] ?? 0;
  }
  set #live(value: number) {
    this.#h[field.live] = value;
  }
  get #dirty(): number {
    return this.#h[field.dirty] ?? 0;
  }
  set #dirty(value: number) {
    this.#h[field.dirty] = value;
  }
  get #freed(): number {
    return this.#h[field.freed] ?? 0;
  }
  set #freed(value: number) {
    this.#h[field.freed] = value;
  }
  /** No entry expires before this (a lower bound), so purge() can skip tables with nothing to drop. */
  get #earliestExpiry(): number {
    return this.#h[field.earliestExpiry] ?? 0;
  }
  set #earliestExpiry(value: number) {
    this.#h[field.earliestExpiry] = value;
  }
  /** The earliest expiry written since a purge started (it may pause between steps). */
  get #insertedEarliest(): number {
    return this.#h[field.insertedEarliest] ?? 0;
  }
  set #insertedEarliest(value: number) {
    this.#h[field.insertedEarliest] = value;
  }
}
