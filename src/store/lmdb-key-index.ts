// The on-disk idempotency-key index in LMDB: key blocks (key-block.ts) under [bucket, run]. Each
// checkpoint writes one run, a block per bucket it touches; run numbers only grow, so a bucket's
// blocks read in key order are oldest first. Every checkpoint also compacts an eighth of the
// buckets (and any bucket that has gathered that many blocks) into one block each, which bounds
// what a lookup reads and is where expired and deleted keys leave the disk. A lookup reads at most
// a few blocks of one bucket, in place.
import type { Database, RootDatabase } from 'lmdb';
import { assert } from '../domain/errors.js';
import { compactKeyBlocks } from './key-compaction.js';
import { applyKeyBlock, bucketOf, decodeKeyBlock, encodeKeyBlock, entriesOf, keyBucketCount } from './key-block.js';
import { KeyRunBuilder, type SortedRun } from './key-run.js';
import type { IdempotencyEntry, KeyChanges } from './store.js';

type BlockKey = [bucket: number, run: number];

/** Each bucket is compacted at least every this many checkpoints, and so holds about this many blocks at most. */
export const keyCompactionCycle = 8;
const bucketsPerTurn = 128;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class LmdbKeyIndex {
  readonly #root: RootDatabase;
  readonly #blocks: Database<Buffer, BlockKey>;
  /** Per bucket, the runs that have a committed block there, ascending. */
  readonly #runs: number[][] = Array.from({ length: keyBucketCount }, () => []);
  #nextRun = 1;
  #compactions = 0;

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#blocks = root.openDB({ name: 'key-blocks', encoding: 'binary' });
    // Keys come in order, so each bucket's list is ascending; a new run outnumbers every block.
    for (const [bucket, run] of this.#blocks.getKeys()) {
      this.#bucketRuns(bucket).push(run);
      this.#nextRun = Math.max(this.#nextRun, run + 1);
    }
    this.#migrateLegacyIndex();
  }

  /** The entries under a hash that hold after applying the bucket's blocks oldest first. */
  get(hash: number): IdempotencyEntry[] {
    const bucket = bucketOf(hash);
    const runs = this.#bucketRuns(bucket);
    if (runs.length === 0) return [];
    const held = new Map<number, number>();
    for (const run of runs) {
      // A reused buffer, valid until the next read: applied at once. A block compacted away
      // meanwhile reads as missing; the block it went into holds its entries.
      const bytes = this.#blocks.getBinaryFast([bucket, run]);
      if (bytes !== undefined) applyKeyBlock(bytes, hash, held);
    }
    return entriesOf(held);
  }

  /** Every hash with an entry on disk (tombstones aside), to seed the engine's filter. */
  *hashes(): Iterable<number> {
    for (const { value } of this.#blocks.getRange()) {
      const entries = decodeKeyBlock(value);
      for (let i = 0; i < entries.count; i++) {
        if (!Number.isNaN(entries.expiresAt[i])) yield entries.hash[i] ?? 0;
      }
    }
  }

  /** Writes the changes pulled from `source` (a slice per turn) as one run; resolves once committed. */
  async writeRun(source: () => KeyChanges | undefined): Promise<void> {
    const builder = new KeyRunBuilder();
    for (let changes = source(); changes !== undefined; changes = source()) {
      builder.add(changes);
      await nextTurn();
    }
    if (builder.count === 0) return;
    const run = this.#nextRun++;
    const sorted = builder.sorted();
    // Queued a slice of buckets per turn, committed together where lmdb batches them. A bucket lists
    // its block once that commits; every slice is awaited, so no failure goes unhandled.
    const slices: Array<Promise<void>> = [];
    for (let first = 0; first < keyBucketCount; first += bucketsPerTurn) {
      let touched: number[] = [];
      const committed = this.#root.batch(() => {
        touched = this.#putRun(sorted, run, first, first + bucketsPerTurn, (key, bytes) => void this.#blocks.put(key, bytes));
      });
      slices.push(committed.then(() => touched.forEach((bucket) => this.#bucketRuns(bucket).push(run))));
      await nextTurn();
    }
    await Promise.all(slices);
  }

  /**
   * Compacts the buckets due this time: a rotating eighth, and any with a full cycle of blocks.
   * Only committed blocks take part and nothing else writes the index meanwhile (the caller runs
   * one checkpoint at a time), so each merge sees all of its bucket and may drop tombstones.
   */
  async compact(nowMs: number): Promise<void> {
    const cycle = this.#compactions++ % keyCompactionCycle;
    const slices: Array<Promise<void>> = [];
    for (let first = 0; first < keyBucketCount; first += bucketsPerTurn) {
      const merged = this.#compactSlice(first, cycle, nowMs);
      if (merged.length === 0) continue;
      const plans = new Map<number, number[]>();
      const committed = this.#root.batch(() => {
        for (const [bucket, bytes] of merged) plans.set(bucket, this.#replaceBlocks(bucket, bytes));
      });
      slices.push(committed.then(() => plans.forEach((runs, bucket) => (this.#runs[bucket] = runs))));
      await nextTurn();
    }
    await Promise.all(slices);
  }

  /** Merges the due buckets among [first, first + bucketsPerTurn); only those that change. */
  #compactSlice(first: number, cycle: number, nowMs: number): Array<readonly [number, Buffer]> {
    const merged: Array<readonly [number, Buffer]> = [];
    for (let bucket = first; bucket < first + bucketsPerTurn; bucket++) {
      const runs = this.#bucketRuns(bucket);
      const due = runs.length >= keyCompactionCycle || (runs.length > 0 && bucket % keyCompactionCycle === cycle);
      if (!due) continue;
      const blocks: Buffer[] = [];
      for (const run of runs) {
        const bytes = this.#blocks.getBinary([bucket, run]);
        assert(bytes !== undefined, 'a listed key block is on disk');
        blocks.push(bytes);
      }
      const bytes = compactKeyBlocks(blocks, nowMs);
      if (bytes !== undefined) merged.push([bucket, bytes]);
    }
    return merged;
  }

  /** Queues the bucket's merged block under its newest run and the removal of the others; returns its runs after. */
  #replaceBlocks(bucket: number, bytes: Buffer): number[] {
    const runs = this.#bucketRuns(bucket);
    const newest = runs[runs.length - 1];
    assert(newest !== undefined, 'a compacted bucket has blocks');
    for (const run of runs) if (run !== newest) void this.#blocks.remove([bucket, run]);
    if (bytes.length === 0) {
      void this.#blocks.remove([bucket, newest]);
      return [];
    }
    void this.#blocks.put([bucket, newest], bytes);
    return [newest];
  }

  /** Puts the run's blocks of buckets [first, last); returns the buckets that got one. */
  #putRun(sorted: SortedRun, run: number, first: number, last: number, put: (key: BlockKey, bytes: Buffer) => void): number[] {
    const touched: number[] = [];
    for (let bucket = first; bucket < last; bucket++) {
      const from = sorted.starts[bucket] ?? 0;
      const to = sorted.starts[bucket + 1] ?? 0;
      if (to === from) continue;
      put([bucket, run], encodeKeyBlock(sorted.changes, sorted.order, from, to));
      touched.push(bucket);
    }
    return touched;
  }

  #bucketRuns(bucket: number): number[] {
    const runs = this.#runs[bucket];
    assert(runs !== undefined, 'a bucket is within the index');
    return runs;
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
    const touched = this.#root.transactionSync(() => this.#putRun(sorted, run, 0, keyBucketCount, (key, bytes) => this.#blocks.putSync(key, bytes)));
    for (const bucket of touched) this.#bucketRuns(bucket).push(run);
    legacy.dropSync();
  }
}
