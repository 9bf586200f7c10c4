// The on-disk idempotency-key index in LMDB: key blocks (key-block.ts) under [bucket, run]. Each
// checkpoint writes one run, a block per bucket it touches; run numbers only grow, so a bucket's
// blocks read in key order are oldest first. Every checkpoint also weighs an eighth of the buckets
// (and any that gathered too many blocks) for compaction (key-compaction.ts): their newest blocks
// merge in tiers of four, and a bucket about half dead is merged whole, which is where
// expired and deleted keys leave the disk. A lookup reads the few blocks of one bucket, in place.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, RootDatabase } from 'lmdb';
import { assert } from '../domain/errors.js';
import { compactKeyBlocksInSteps, planCompaction, type CompactionPlan, type MergeBudget } from './key-compaction.js';
import { applyKeyBlock, blockDoubles, blockStats, bucketOf, encodeKeyBlock, entriesOf, keyBucketCount, keyEntryBytes, keyEntryDoubles, type BlockStats } from './key-block.js';
import { KeyRunBuilder, type SortedRun } from './key-run.js';
import type { IdempotencyEntry, KeyChanges, Pause } from './store.js';

type BlockKey = [bucket: number, run: number];

/** Each bucket is weighed for compaction at least every this many checkpoints. */
export const keyCompactionCycle = 8;
/** A bucket with this many blocks is weighed at every checkpoint (a bound on what a lookup reads). */
const bucketBlocksDue = 32;
/** Buckets sorted, written or merged per event-loop turn: each turn delays every operation in flight. */
const bucketsPerTurn = 32;
/**
 * Entries of merge work a compaction step does at most (each entry a merge takes from a block; a
 * bucket's merge is split across steps): steps of 32 buckets whatever their merges
 * took up to 6.9 ms in a run at full load, and a bucket's merge grows with the index (whole, up to
 * 11 ms 150 s into a run). Timed in 40 s runs at full load, when merges went by pairs, a step took
 * 0.3 – 1 µs per entry merged (reading the blocks, merging, encoding the result): 1,400 – 7,300
 * entries in 0.9 – 2.6 ms in one run, 2,400 – 4,500 in 1.8 – 4.7 ms in another.
 */
export const compactionEntriesPerStep = 2_048;
/**
 * Puts and removes a compaction queues together, in one batch (one LMDB transaction unless
 * lmdb-js's writer is done before the next comes). Queued a step's merges at a time, the paced steps
 * made hundreds of small transactions of state.mdb per compaction, and those took ~1.1 ms of p99 and
 * ~9% of throughput (three alternating pairs of 20 s runs against one batch per compaction; batches
 * of this many did as well). A batch of this many took 0.3 – 2.7 ms of the main thread.
 */
const compactionWritesPerBatch = 1_024;

/** A run's block of a bucket: the bucket, the block's bytes (in the run's memory) and its stats. */
type RunBlock = readonly [bucket: number, bytes: Buffer, stats: BlockStats];

/** A merge due in a bucket: its plan, and copies of the blocks of its range. */
interface MergeDue {
  readonly plan: CompactionPlan;
  readonly blocks: Uint8Array[];
}

/** A bucket's merges of one compaction, newest range first: each plan and what its blocks merged into. */
interface BucketMerges {
  readonly bucket: number;
  readonly results: ReadonlyArray<readonly [CompactionPlan, Buffer]>;
}

/** A committed block of a bucket; its stats are read when first needed after open. */
interface BlockRef {
  readonly run: number;
  stats: BlockStats | undefined;
}

export class LmdbKeyIndex {
  readonly #root: RootDatabase;
  readonly #blocks: Database<Buffer, BlockKey>;
  /** Per bucket, its committed blocks, ascending by run. */
  readonly #buckets: BlockRef[][] = Array.from({ length: keyBucketCount }, () => []);
  #nextRun = 1;
  #compactions = 0;
  /** Reused by every run (one checkpoint writes at a time). */
  readonly #builder = new KeyRunBuilder();
  /** The encoded blocks of a run (key-block.ts), reused by the next: a run returns only once every
   * put of it has settled, so lmdb-js no longer reads them. */
  #runDoubles = new Float64Array(0);
  #writing = false;

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#blocks = root.openDB({ name: 'key-blocks', encoding: 'binary' });
    // Keys come in order, so each bucket's list is ascending; a new run outnumbers every block.
    for (const [bucket, run] of this.#blocks.getKeys()) {
      this.#bucketBlocks(bucket).push({ run, stats: undefined });
      this.#nextRun = Math.max(this.#nextRun, run + 1);
    }
    this.#migrateLegacyIndex();
  }

  /** The entries under a hash that hold after applying the bucket's blocks oldest first. */
  get(hash: number): IdempotencyEntry[] {
    const bucket = bucketOf(hash);
    const blocks = this.#bucketBlocks(bucket);
    if (blocks.length === 0) return [];
    const held = new Map<number, number>();
    for (const { run } of blocks) {
      // A reused buffer, valid until the next read: applied at once. A block compacted away
      // meanwhile reads as missing; the block it went into holds its entries.
      const bytes = this.#blocks.getBinaryFast([bucket, run]);
      if (bytes !== undefined) applyKeyBlock(bytes, hash, held);
    }
    return entriesOf(held);
  }

  /**
   * Visits the hash and expiry of every entry on disk (tombstones aside), to seed the engine's
   * filter. Each block's bytes (a buffer lmdb-js may reuse at its next read) are visited before the
   * next is read, so the visitor must not read the index.
   */
  visitEntries(visit: (hash: number, expiresAt: number) => void): void {
    for (const { value } of this.#blocks.getRange()) {
      const doubles = blockDoubles(value);
      for (let at = 0; at < doubles.length; at += keyEntryDoubles) {
        const expiresAt = doubles[at + 2] ?? Number.NaN;
        if (!Number.isNaN(expiresAt)) visit(doubles[at] ?? 0, expiresAt);
      }
    }
  }

  /** Writes the changes pulled from `source` (a slice per step) as one run; resolves once committed. */
  async writeRun(source: () => KeyChanges | undefined, pause: Pause = nextTurn): Promise<void> {
    assert(!this.#writing, 'one run is written at a time');
    this.#writing = true;
    try {
      await this.#writeRun(source, pause);
    } finally {
      this.#writing = false;
    }
  }

  async #writeRun(source: () => KeyChanges | undefined, pause: Pause): Promise<void> {
    const builder = this.#builder;
    builder.clear();
    for (let changes = source(); changes !== undefined; changes = source()) {
      builder.add(changes);
      await pause();
    }
    if (builder.count === 0) return;
    const run = this.#nextRun++;
    const sorted = await this.#sortInSteps(builder, pause);
    const into = this.#runRoom(sorted.order.length * keyEntryDoubles);
    // Queued a slice of buckets per step, committed together where lmdb batches them (queued in
    // batches of compactionWritesPerBatch puts instead, three alternating pairs of 20 s runs gave p99
    // 11.42, 11.23, 11.99 against 10.17, 10.95, 11.69 ms). A bucket lists its block once that
    // commits; every slice is awaited, so no failure goes unhandled.
    const slices: Array<Promise<void>> = [];
    for (let first = 0; first < keyBucketCount; first += bucketsPerTurn) {
      const blocks = this.#encodeRun(sorted, into, first, first + bucketsPerTurn);
      const committed = this.#root.batch(() => blocks.forEach(([bucket, bytes]) => void this.#blocks.put([bucket, run], bytes)));
      slices.push(committed.then(() => blocks.forEach(([bucket, , stats]) => this.#bucketBlocks(bucket).push({ run, stats }))));
      await pause();
    }
    await settledAll(slices);
  }

  /** The run's encoding memory, grown to hold `doubles`. */
  #runRoom(doubles: number): Float64Array {
    if (this.#runDoubles.length < doubles) this.#runDoubles = new Float64Array(2 ** Math.ceil(Math.log2(doubles)));
    return this.#runDoubles;
  }

  async #sortInSteps(builder: KeyRunBuilder, pause: Pause): Promise<SortedRun> {
    const stepsMax = builder.stepsMax(bucketsPerTurn);
    const steps = builder.sortedInSteps(bucketsPerTurn);
    for (let step = steps.next(), turns = 0; ; step = steps.next(), turns++) {
      if (step.done === true) return step.value;
      assert(turns <= stepsMax, 'a sort ends');
      await pause();
    }
  }

  /**
   * Compacts the buckets due this time: a rotating eighth, and any holding many blocks. Only
   * committed blocks take part and nothing else writes the index meanwhile (the caller runs one
   * checkpoint at a time), so a merge that reaches a bucket's oldest block sees all of it, even
   * across the pauses inside it.
   */
  async compact(nowMs: number, pause: Pause = nextTurn): Promise<void> {
    const cycle = this.#compactions++ % keyCompactionCycle;
    const slices: Array<Promise<void>> = [];
    let merged: BucketMerges[] = [];
    let writes = 0;
    const queue = (): void => {
      if (merged.length > 0) slices.push(this.#replaceMerged(merged));
      merged = [];
      writes = 0;
    };
    const budget: MergeBudget = { left: compactionEntriesPerStep };
    // Every step's work is bounded by the budget; merges done so far are queued once they make a batch.
    const step = async (): Promise<void> => {
      if (writes >= compactionWritesPerBatch) queue();
      budget.left = compactionEntriesPerStep;
      await pause();
    };
    for (let bucket = 0; bucket < keyBucketCount; bucket++) {
      // A bucket's merges are queued together, once all have run: each plan's range is an index
      // into the bucket's blocks as they were.
      const results: Array<readonly [CompactionPlan, Buffer]> = [];
      for (const due of this.#mergesDue(bucket, cycle, nowMs)) {
        const bytes = await this.#mergeInSteps(due, nowMs, budget, step);
        if (bytes !== undefined) results.push([due.plan, bytes]);
      }
      if (results.length > 0) {
        merged.push({ bucket, results });
        writes += results.reduce((sum, [plan]) => sum + plan.to - plan.from + 1, 0);
      }
      // A stretch of buckets that merged anything (even into nothing new) pauses after its last;
      // one that only weighed buckets goes on.
      const stretchEnds = bucket % bucketsPerTurn === bucketsPerTurn - 1;
      if (budget.left <= 0 || (stretchEnds && budget.left < compactionEntriesPerStep)) await step();
    }
    queue();
    await Promise.all(slices);
  }

  /** The merges of `bucket` due this time (newest first), each with its plan and its blocks. */
  #mergesDue(bucket: number, cycle: number, nowMs: number): MergeDue[] {
    const blocks = this.#bucketBlocks(bucket);
    const crowded = blocks.length >= bucketBlocksDue;
    const due = crowded || (blocks.length > 0 && bucket % keyCompactionCycle === cycle);
    if (!due) return [];
    const plans = planCompaction(
      blocks.map((block) => this.#statsOf(bucket, block)),
      nowMs,
      crowded,
    );
    // Copies (not in place): the merge may pause, and lmdb-js reuses its buffer at the next read.
    return plans.map((plan) => ({ plan, blocks: blocks.slice(plan.from, plan.to + 1).map(({ run }) => this.#read(bucket, run)) }));
  }

  /** Runs one bucket's merge, calling `step` whenever its budget is spent; resolves with its result. */
  async #mergeInSteps(due: MergeDue, nowMs: number, budget: MergeBudget, step: () => Promise<void>): Promise<Buffer | undefined> {
    const merge = compactKeyBlocksInSteps(due.blocks, nowMs, due.plan.full, budget);
    const entries = due.blocks.reduce((sum, bytes) => sum + bytes.length / keyEntryBytes, 0);
    // It takes each entry once; the first step may have only what the step before left of the budget.
    const stepsMax = Math.ceil(entries / compactionEntriesPerStep) + 1;
    for (let steps = 0; ; steps++) {
      assert(steps <= stepsMax, "a bucket's merge ends");
      const next = merge.next();
      if (next.done === true) return next.value;
      await step();
    }
  }

  /** Queues the merged blocks in place of their sources; the bucket lists follow once committed. */
  #replaceMerged(merged: readonly BucketMerges[]): Promise<void> {
    const lists = new Map<number, BlockRef[]>();
    const committed = this.#root.batch(() => {
      // Newest range first, so that the ranges older than it keep their indexes.
      for (const { bucket, results } of merged) {
        lists.set(
          bucket,
          results.reduce((blocks, [plan, bytes]) => this.#replaceRange(bucket, blocks, plan, bytes), this.#bucketBlocks(bucket)),
        );
      }
    });
    return committed.then(() => lists.forEach((blocks, bucket) => (this.#buckets[bucket] = blocks)));
  }

  #statsOf(bucket: number, block: BlockRef): BlockStats {
    // In place: the stats are taken before the next read reuses the buffer.
    block.stats ??= blockStats(this.#read(bucket, block.run, true));
    return block.stats;
  }

  #read(bucket: number, run: number, inPlace = false): Uint8Array {
    const bytes = inPlace ? this.#blocks.getBinaryFast([bucket, run]) : this.#blocks.getBinary([bucket, run]);
    assert(bytes !== undefined, 'a listed key block is on disk');
    return bytes;
  }

  /**
   * Queues the merged block under the newest run of the plan's range of `blocks` and the removal of
   * the others; returns the bucket's blocks after. The merged block keeps its place: blocks older
   * and newer than the range still read before and after it.
   */
  #replaceRange(bucket: number, blocks: readonly BlockRef[], plan: CompactionPlan, bytes: Buffer): BlockRef[] {
    const newest = blocks[plan.to];
    assert(newest !== undefined, 'a merged range lies within the bucket');
    assert(plan.from <= plan.to, 'a merged range holds a block');
    for (const { run } of blocks.slice(plan.from, plan.to)) void this.#blocks.remove([bucket, run]);
    const before = blocks.slice(0, plan.from);
    const after = blocks.slice(plan.to + 1);
    if (bytes.length === 0) {
      void this.#blocks.remove([bucket, newest.run]);
      return [...before, ...after];
    }
    void this.#blocks.put([bucket, newest.run], bytes);
    return [...before, { run: newest.run, stats: blockStats(bytes) }, ...after];
  }

  /** Encodes the run's blocks of buckets [first, last) into `into`: each bucket that gets one, with its block. */
  #encodeRun(sorted: SortedRun, into: Float64Array, first: number, last: number): RunBlock[] {
    const blocks: RunBlock[] = [];
    for (let bucket = first; bucket < last; bucket++) {
      const from = sorted.starts[bucket] ?? 0;
      const to = sorted.starts[bucket + 1] ?? 0;
      if (to === from) continue;
      const bytes = encodeKeyBlock(sorted.changes, sorted.order, from, to, into.subarray(from * keyEntryDoubles, to * keyEntryDoubles));
      blocks.push([bucket, bytes, blockStats(bytes)]);
    }
    return blocks;
  }

  #bucketBlocks(bucket: number): BlockRef[] {
    const blocks = this.#buckets[bucket];
    assert(blocks !== undefined, 'a bucket is within the index');
    return blocks;
  }

  /**
   * Data directories of version 0.1.0 before key blocks held one LMDB entry per key in 'key-index'
   * ([hash, seq] → expiresAt). They move into one run, synchronously at open; a crash before the
   * old database is dropped only moves them again (the same entries, harmless).
   */
  #migrateLegacyIndex(): void {
    // lmdb-js takes `create` (and then answers undefined for a missing database) but does not type it.
    const options = { name: 'key-index', create: false };
    const legacy: Database<number, [number, number]> | undefined = this.#root.openDB(options);
    if (legacy === undefined) return;
    const rows = [...legacy.getRange()];
    const builder = new KeyRunBuilder();
    builder.add({
      count: rows.length,
      hash: Float64Array.from(rows, ({ key }) => key[0]),
      seq: Float64Array.from(rows, ({ key }) => key[1]),
      expiresAt: Float64Array.from(rows, ({ value }) => value),
    });
    const run = this.#nextRun++;
    const sorted = builder.sorted();
    const into = new Float64Array(sorted.order.length * keyEntryDoubles);
    const blocks = this.#encodeRun(sorted, into, 0, keyBucketCount);
    this.#root.transactionSync(() => blocks.forEach(([bucket, bytes]) => this.#blocks.putSync([bucket, run], bytes)));
    for (const [bucket, , stats] of blocks) this.#bucketBlocks(bucket).push({ run, stats });
    legacy.dropSync();
  }
}

/** Waits for every promise to settle, then fails with the first failure: a run's memory is reused
 * by the next, so no put of it may still be pending when it returns, even when one failed. */
async function settledAll(promises: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
