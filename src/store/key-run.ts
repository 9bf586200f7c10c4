// A checkpoint's key changes, gathered slice by slice and then ordered into one sorted run of
// blocks, a block per hash bucket (key-block.ts). Ordering is a stable counting sort by the hash's
// top bits (the bucket's and as many more as make groups of about one entry), then one insertion
// sort per bucket, which has only each group's few entries to put in order. The engine walks each
// key table's slots in hash order, one table after the other, so a counting sort by bucket alone
// left each bucket as one nearly sorted sequence per table, concatenated, and sorting that took
// ~18 ms for half a million keys in two tables, against ~10 ms this way. Hashes packed into few
// groups would make the insertion sort quadratic: past a budget of moves, insertion sorts of short
// chunks merged bottom-up finish the bucket. A builder is reused run after run: growing fresh
// arrays for every checkpoint of a few hundred thousand keys cost ~40 ms each (zero-filled pages,
// copies, and the collections large buffers set off).
import { assert } from '../domain/errors.js';
import { keyBucketBits, keyBucketCount } from './key-block.js';
import type { KeyChanges } from './store.js';

const initialCapacity = 1024;
/** Entries insertion-sorted before merging, where a bucket's one insertion sort gave up: short
 * enough to stay cheap in any order, long enough that a bucket needs few merge passes. */
const sortChunk = 32;
/** Hash bits below the bucket's that the counting sort goes by at most: 2^20 groups (8 MiB of starts and places) at a million keys or more. */
const fineBitsMax = 8;
/** Moves per entry a bucket's single insertion sort may make before the chunks and merges take over. */
const movesPerEntryMax = 8;
/**
 * Entries counted or placed, or groups summed, per step of the counting sort. Taken at once, its
 * passes over half a million keys held the main thread 3 – 12 ms in a run at full load (timed between
 * a key write's pauses), and every operation in flight waited for them: a stall seen as a burst of
 * ~1,024 answers over 10 ms. In steps of this many, none took over 1.5 ms but in a run's first write
 * (up to 3.5 ms, before the code is optimized).
 */
export const countingStepEntries = 65_536;

/** A builder's sorted entries; valid until the builder is cleared or added to. */
export interface SortedRun {
  readonly changes: KeyChanges;
  /** Indexes into `changes`, by bucket, then (hash, seq); of equal (hash, seq) only the last given. */
  readonly order: Uint32Array;
  /** Bucket b's entries are order[starts[b] .. starts[b + 1]). */
  readonly starts: Uint32Array;
}

export class KeyRunBuilder {
  #hash = new Float64Array(initialCapacity);
  #seq = new Float64Array(initialCapacity);
  #expiresAt = new Float64Array(initialCapacity);
  #order = new Uint32Array(initialCapacity);
  /** The left half of a merge (sized to the largest bucket merged so far). */
  #scratch = new Uint32Array(sortChunk);
  /** The counting sort's groups' starts, and the next free place in each. */
  #groupStarts = new Uint32Array(keyBucketCount + 1);
  #next = new Uint32Array(keyBucketCount);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Empties the builder for the next run, keeping its arrays. */
  clear(): void {
    this.#count = 0;
  }

  add(changes: KeyChanges): void {
    this.#reserve(this.#count + changes.count);
    this.#hash.set(changes.hash.subarray(0, changes.count), this.#count);
    this.#seq.set(changes.seq.subarray(0, changes.count), this.#count);
    this.#expiresAt.set(changes.expiresAt.subarray(0, changes.count), this.#count);
    this.#count += changes.count;
  }

  sorted(): SortedRun {
    const stepsMax = this.stepsMax(keyBucketCount);
    const steps = this.sortedInSteps(keyBucketCount);
    for (let step = steps.next(), n = 0; ; step = steps.next(), n++) {
      if (step.done === true) return step.value;
      assert(n <= stepsMax, 'a sort ends');
    }
  }

  /**
   * The most steps sortedInSteps(bucketsPerStep) yields for what the builder holds now: a bound for
   * a caller's loop.
   */
  stepsMax(bucketsPerStep: number): number {
    const groups = keyBucketCount * 2 ** this.#fineBits();
    return 2 * Math.ceil(this.#count / countingStepEntries) + Math.ceil((groups + 1) / countingStepEntries) + Math.ceil(keyBucketCount / bucketsPerStep) + 1;
  }

  /**
   * As sorted(), pausing within the counting passes (every countingStepEntries entries or groups),
   * after them, and after every `bucketsPerStep` buckets, so that a caller can spread it over
   * event-loop turns (at a quarter of a million keys it took ~15 ms, during which nothing else ran).
   * Nothing may be added meanwhile.
   */
  *sortedInSteps(bucketsPerStep: number): Generator<void, SortedRun> {
    assert(bucketsPerStep >= 1, 'a sort step covers a bucket or more');
    const changes: KeyChanges = { count: this.#count, hash: this.#hash, seq: this.#seq, expiresAt: this.#expiresAt };
    const { order, starts } = yield* this.#countingSort();
    yield;
    // Sort and drop superseded duplicates bucket by bucket; the survivors close up, so each
    // bucket's start moves down by what the buckets before it dropped.
    let kept = 0;
    for (let b = 0; b < keyBucketCount; b++) {
      const from = starts[b] ?? 0;
      const to = starts[b + 1] ?? 0;
      this.#sortBucket(order, from, to);
      starts[b] = kept;
      kept = this.#keepLast(order, from, to, kept);
      if (b % bucketsPerStep === bucketsPerStep - 1 && b < keyBucketCount - 1) yield;
    }
    starts[keyBucketCount] = kept;
    return { changes, order: order.subarray(0, kept), starts };
  }

  /** Hash bits below the bucket's that the counting sort goes by: groups of about one entry. */
  #fineBits(): number {
    return Math.max(0, Math.min(fineBitsMax, Math.ceil(Math.log2(Math.max(1, this.#count) / keyBucketCount))));
  }

  /**
   * A stable counting sort of the entries by their hash's top bits: the bucket's, and as many more
   * as make groups of about one entry. Each bucket then arrives at #sortBucket nearly sorted
   * (entries out of order only within a group), and one insertion sort finishes it. Yields within
   * its passes (see countingStepEntries); returns the entries' order and each bucket's start in it.
   */
  *#countingSort(): Generator<void, { order: Uint32Array; starts: Uint32Array }> {
    const count = this.#count;
    const fineBits = this.#fineBits();
    const groups = keyBucketCount * 2 ** fineBits;
    const divisor = 2 ** (53 - keyBucketBits - fineBits);
    if (this.#groupStarts.length < groups + 1) this.#groupStarts = new Uint32Array(groups + 1);
    const starts = this.#groupStarts;
    starts.fill(0, 0, groups + 1);
    for (let from = 0; from < count; from += countingStepEntries) {
      this.#countGroups(from, Math.min(count, from + countingStepEntries), divisor, groups);
      yield;
    }
    for (let from = 0; from < groups; from += countingStepEntries) {
      const to = Math.min(groups, from + countingStepEntries);
      for (let g = from; g < to; g++) starts[g + 1] = (starts[g + 1] ?? 0) + (starts[g] ?? 0);
      yield;
    }
    if (this.#next.length < groups) this.#next = new Uint32Array(groups);
    this.#next.set(starts.subarray(0, groups));
    if (this.#order.length < count) this.#order = new Uint32Array(this.#hash.length);
    for (let from = 0; from < count; from += countingStepEntries) {
      this.#placeInGroups(from, Math.min(count, from + countingStepEntries), divisor);
      if (from + countingStepEntries < count) yield;
    }
    const bucketStarts = new Uint32Array(keyBucketCount + 1);
    for (let b = 0; b <= keyBucketCount; b++) bucketStarts[b] = starts[b * 2 ** fineBits] ?? 0;
    return { order: this.#order, starts: bucketStarts };
  }

  /** Counts entries [from, to) into their groups' (next) starts. */
  #countGroups(from: number, to: number, divisor: number, groups: number): void {
    const hash = this.#hash;
    const starts = this.#groupStarts;
    for (let i = from; i < to; i++) {
      const group = Math.floor((hash[i] ?? 0) / divisor);
      // A hash outside [0, 2^53) would fall outside the groups, and out of the run unseen.
      assert(group >= 0, 'a key hash is not negative');
      assert(group < groups, 'a key hash is below 2^53');
      starts[group + 1] = (starts[group + 1] ?? 0) + 1;
    }
  }

  /** Places entries [from, to) at their groups' next free places, in the order given (stable). */
  #placeInGroups(from: number, to: number, divisor: number): void {
    const hash = this.#hash;
    const next = this.#next;
    const order = this.#order;
    for (let i = from; i < to; i++) {
      const group = Math.floor((hash[i] ?? 0) / divisor);
      const at = next[group] ?? 0;
      order[at] = i;
      next[group] = at + 1;
    }
  }

  /** Ascending by (hash, seq, index): one insertion sort, or, past its budget, chunks insertion-sorted and merged in passes of doubling width. */
  #sortBucket(order: Uint32Array, from: number, to: number): void {
    // After the counting sort an entry is out of place only among its group's: one insertion sort
    // of the bucket ends in a few moves per entry. Hashes packed into few groups
    // (many keys alike in their top bits) would make it quadratic, so past a budget of moves the
    // chunks and merges below finish the job from where it stopped.
    if (this.#insertionSort(order, from, to, movesPerEntryMax * (to - from))) return;
    for (let lo = from; lo < to; lo += sortChunk) this.#insertionSort(order, lo, Math.min(to, lo + sortChunk), Number.POSITIVE_INFINITY);
    for (let width = sortChunk; width < to - from; width *= 2) {
      for (let lo = from; lo + width < to; lo += 2 * width) {
        const mid = lo + width;
        // Already in order across the seam (a bucket of one table's sequence): nothing to merge.
        if (this.#after(order[mid - 1] ?? 0, order[mid] ?? 0)) this.#merge(order, lo, mid, Math.min(to, lo + 2 * width));
      }
    }
  }

  /** Merges the sorted order[lo, mid) and order[mid, hi) in place, through a copy of the left one. */
  #merge(order: Uint32Array, lo: number, mid: number, hi: number): void {
    const length = mid - lo;
    assert(length > 0 && mid < hi, 'a merge joins two non-empty sorted ranges');
    if (this.#scratch.length < length) this.#scratch = new Uint32Array(2 ** Math.ceil(Math.log2(length)));
    const left = this.#scratch;
    left.set(order.subarray(lo, mid));
    let i = 0;
    let j = mid;
    let k = lo;
    // Ties cannot happen (the index breaks them); the left entry goes first unless it sorts after.
    while (i < length && j < hi) order[k++] = this.#after(left[i] ?? 0, order[j] ?? 0) ? (order[j++] ?? 0) : (left[i++] ?? 0);
    // What is left of the right range is already in place.
    while (i < length) order[k++] = left[i++] ?? 0;
  }

  /**
   * Ascending by (hash, seq, index): equal entries keep the order they were given in. Stops once it
   * has made `movesMax` moves (the range is then still a permutation of itself); returns whether it
   * sorted the whole range.
   */
  #insertionSort(order: Uint32Array, from: number, to: number, movesMax: number): boolean {
    let moves = 0;
    for (let i = from + 1; i < to; i++) {
      const index = order[i] ?? 0;
      let j = i - 1;
      while (j >= from && this.#after(order[j] ?? 0, index)) {
        order[j + 1] = order[j] ?? 0;
        j--;
      }
      order[j + 1] = index;
      moves += i - 1 - j;
      if (moves > movesMax) return false;
    }
    return true;
  }

  #after(a: number, b: number): boolean {
    const hashA = this.#hash[a] ?? 0;
    const hashB = this.#hash[b] ?? 0;
    if (hashA !== hashB) return hashA > hashB;
    const seqA = this.#seq[a] ?? 0;
    const seqB = this.#seq[b] ?? 0;
    if (seqA !== seqB) return seqA > seqB;
    return a > b;
  }

  /** Moves the sorted order[from..to) down to start at `kept`, keeping only the last of equal (hash, seq). */
  #keepLast(order: Uint32Array, from: number, to: number, kept: number): number {
    assert(kept <= from, 'survivors close up downwards');
    for (let i = from; i < to; i++) {
      const index = order[i] ?? 0;
      const next = order[i + 1];
      const superseded = i + 1 < to && next !== undefined && this.#hash[next] === this.#hash[index] && this.#seq[next] === this.#seq[index];
      if (!superseded) order[kept++] = index;
    }
    return kept;
  }

  #reserve(count: number): void {
    if (count <= this.#hash.length) return;
    let capacity = this.#hash.length;
    while (capacity < count) capacity *= 2;
    this.#hash = grown(this.#hash, capacity, this.#count);
    this.#seq = grown(this.#seq, capacity, this.#count);
    this.#expiresAt = grown(this.#expiresAt, capacity, this.#count);
  }
}

function grown(old: Float64Array, capacity: number, used: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(capacity);
  next.set(old.subarray(0, used));
  return next;
}
