// Goal: the on-disk key index (sorted runs of key blocks, compacted bucket by bucket) reads exactly
// what applying every checkpoint's key changes in order would hold, keeps every live entry through
// compactions and reopening (and seeds the key filter with every live hash, and none that only a
// tombstone named), drops only expired or deleted ones, keeps its rewriting and its blocks
// per bucket logarithmic (tiers of four, merged in place), moves a pre-block index over, spreads a
// run's sort and a compaction over bounded steps, and queues a compaction's writes in few batches;
// method: fast-check sequences of checkpoints on hashes packed into a few buckets against a model,
// the compaction policy alone, and the steps, batches and blocks of large runs and merges counted.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { open, type RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { bucketOf, keyBucketCount, type BlockStats } from '../dist/store/key-block.js';
import { planCompaction } from '../dist/store/key-compaction.js';
import { compactionEntriesPerStep, keyCompactionCycle, LmdbKeyIndex } from '../dist/store/lmdb-key-index.js';
import { countingStepEntries, KeyRunBuilder, type SortedRun } from '../dist/store/key-run.js';
import { LmdbStore } from '../dist/store/lmdb-store.js';
import type { CheckpointDelta, KeyChanges } from '../dist/store/store.js';
import { generator, hash53 } from '../bench/random-hashes.js';
import { tempDirectory } from './fixtures/engine.js';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

function directory(): string {
  const dir = tempDirectory('shardmint-keys-');
  cleanups.push(dir.remove);
  return dir.path;
}

/** Hashes in buckets 0, 1, 9 (compacted in the same turn as 1) and the last, two or three each. */
const hashes = [0, 1, 9, 4095].flatMap((bucket) => [1, 2, 3].map((offset) => bucket * 2 ** 41 + offset)).filter((h) => h > 0 && h < 2 ** 53);

type Change = readonly [hash: number, seq: number, expiresAt: number];
const change: fc.Arbitrary<Change> = fc.tuple(
  fc.constantFrom(...hashes),
  fc.integer({ min: 1, max: 4 }),
  fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constant(Number.NaN)),
);
/** A checkpoint: its changes (in the order given; NaN deletes) and the time it is written at. */
const checkpoint = fc.record({ changes: fc.array(change, { maxLength: 8 }), advance: fc.integer({ min: 0, max: 40 }) });

/** The key blocks on disk in an environment. */
function blockCount(root: RootDatabase): number {
  return root.openDB({ name: 'key-blocks', encoding: 'binary' }).getKeysCount();
}

function columns(changes: readonly Change[]): KeyChanges {
  return {
    count: changes.length,
    hash: Float64Array.from(changes, ([hash]) => hash),
    seq: Float64Array.from(changes, ([, seq]) => seq),
    expiresAt: Float64Array.from(changes, ([, , expiresAt]) => expiresAt),
  };
}

function delta(seq: number, writtenAt: number, changes: readonly Change[]): CheckpointDelta {
  // Two slices, as the engine hands them over a range at a time.
  const half = Math.floor(changes.length / 2);
  const slices = [columns(changes.slice(0, half)), columns(changes.slice(half))];
  return {
    header: { seq, supply: 0n, reserves: 0n, clearing: 0n, chainSupply: {}, accountCount: 0, writtenAt },
    accounts: { count: 0, slot: new Int32Array(), balance: new BigInt64Array(), stateCode: new Uint8Array(), id: [] },
    idempotency: () => slices.shift(),
    refunded: [],
    reconciled: [],
  };
}

/** The store must hold every entry of the model live at `now`, and nothing the model does not hold. */
function expectMatches(store: LmdbStore, model: Map<number, Map<number, number>>, now: number): void {
  for (const hash of hashes) {
    const held = model.get(hash) ?? new Map<number, number>();
    const read = store.getIdempotency(hash);
    for (const { seq, expiresAt } of read) expect(held.get(seq), `hash ${hash} seq ${seq}`).toBe(expiresAt);
    const live = [...held].filter(([, expiresAt]) => expiresAt > now).map(([seq]) => seq);
    expect(read.map((entry) => entry.seq)).toEqual(expect.arrayContaining(live));
    expect(read.map((entry) => entry.seq)).toEqual([...read.map((entry) => entry.seq)].sort((a, b) => a - b));
  }
}

/**
 * A builder given these slices must order their entries by (hash, seq), keeping the last given of
 * equal pairs, and place each within its bucket's range.
 */
function expectSortedRun(slices: ReadonlyArray<readonly Change[]>): void {
  const builder = new KeyRunBuilder();
  for (const slice of slices) builder.add(columns(slice));
  expectOrders(builder.sorted(), slices);
}

/** `run`, sorted from these slices, orders their entries as expectSortedRun() says. */
function expectOrders({ changes, order, starts }: SortedRun, slices: ReadonlyArray<readonly Change[]>): void {
  const last = new Map<string, Change>();
  for (const entry of slices.flat()) last.set(`${entry[0]}:${entry[1]}`, entry);
  const expected = [...last.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const actual = [...order].map((i): Change => [changes.hash[i] ?? 0, changes.seq[i] ?? 0, changes.expiresAt[i] ?? 0]);
  expect(actual).toEqual(expected);
  for (const [at, [hash]] of actual.entries()) {
    const bucket = bucketOf(hash);
    expect(at >= (starts[bucket] ?? 0) && at < (starts[bucket + 1] ?? 0)).toBe(true);
  }
}

/**
 * Four runs (a tier) of 5,000 entries in each of buckets 0, 8, 16 and 24 (all weighed at a new
 * index's first compaction) and that compaction, whose steps must stop at the bound, inside a
 * bucket's merge too; then every entry reads back.
 */
async function compactInBoundedSteps(index: LmdbKeyIndex): Promise<void> {
  const perBucket = 5_000;
  const runs = [1, 2, 3, 4];
  const buckets = [0, 8, 16, 24];
  // Each bucket's merge alone is many times the bound, and all four together would be one step without it.
  expect(runs.length * perBucket).toBeGreaterThanOrEqual(4 * compactionEntriesPerStep);
  const run = (seq: number): Change[] => buckets.flatMap((bucket) => Array.from({ length: perBucket }, (_, i): Change => [bucket * 2 ** 41 + i + 1, seq, 1e12]));
  for (const seq of runs) {
    const slices = [columns(run(seq))];
    await index.writeRun(() => slices.shift(), async () => {});
  }
  let pauses = 0;
  await index.compact(0, async () => {
    pauses++;
  });
  // A bucket's merge takes each of its 20,000 entries once: a pause per bound's worth of that (a
  // step per bucket when a bucket's merge ran whole).
  const work = buckets.length * runs.length * perBucket;
  expect(pauses).toBeGreaterThanOrEqual(Math.floor(work / compactionEntriesPerStep));
  expect(pauses).toBeLessThanOrEqual(Math.ceil(work / compactionEntriesPerStep) + buckets.length);
  for (const bucket of buckets) {
    for (const i of [0, perBucket - 1]) expect(index.get(bucket * 2 ** 41 + i + 1)).toEqual(runs.map((seq) => ({ seq, expiresAt: 1e12 })));
  }
}

describe('key index on disk', () => {
  it('reads what the changes applied in order hold, through compactions and reopening', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(checkpoint, { minLength: 1, maxLength: 2 * keyCompactionCycle + 2 }), async (checkpoints) => {
        const path = directory();
        let store = new LmdbStore({ directory: path, durability: 'none' });
        const model = new Map<number, Map<number, number>>();
        /** Hashes ever given an entry (not only tombstones): the only ones the filter's seed may hold. */
        const everSet = new Set<number>();
        let now = 0;
        for (const [n, { changes, advance }] of checkpoints.entries()) {
          now += advance;
          for (const [hash, seq, expiresAt] of changes) {
            if (!Number.isNaN(expiresAt)) everSet.add(hash);
            const held = model.get(hash) ?? new Map<number, number>();
            if (Number.isNaN(expiresAt)) held.delete(seq);
            else held.set(seq, expiresAt);
            model.set(hash, held);
          }
          await store.writeCheckpoint(delta(n + 1, now, changes));
          expectMatches(store, model, now);
        }
        await store.close();
        store = new LmdbStore({ directory: path, durability: 'none' });
        expectMatches(store, model, now);
        // The filter's seed covers every live entry.
        const seeded = new Map<number, number>();
        store.idempotencyKeys((hash, expiresAt) => seeded.set(hash, Math.max(expiresAt, seeded.get(hash) ?? expiresAt)));
        // With its latest expiry, so that the filter keeps it as long as it may be live.
        for (const [hash, held] of model) {
          const latest = Math.max(...held.values());
          if (latest > now) expect(seeded.get(hash), `hash ${hash}`).toBeGreaterThanOrEqual(latest);
        }
        // And nothing a tombstone alone named.
        for (const hash of seeded.keys()) expect(everSet.has(hash), `hash ${hash} seeded from tombstones`).toBe(true);
        await store.close();
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a second key write while one is under way (a run reuses its memory), and takes the next once it ends', async () => {
    const path = directory();
    const store = new LmdbStore({ directory: path, durability: 'none' });
    const [a = 1, b = 1] = hashes;
    const slices = (changes: readonly Change[]) => {
      const left = [columns(changes)];
      return () => left.shift();
    };
    const first = store.writeIdempotency(slices([[a, 1, 1_000]]), 0);
    await expect(store.writeIdempotency(slices([[b, 1, 1_000]]), 0)).rejects.toThrow(/one run is written at a time/);
    await first;
    await store.writeIdempotency(slices([[b, 2, 1_000]]), 0);
    expect(store.getIdempotency(a)).toEqual([{ seq: 1, expiresAt: 1_000 }]);
    expect(store.getIdempotency(b)).toEqual([{ seq: 2, expiresAt: 1_000 }]);
    await store.close();
  });

  it('drops expired and deleted entries within one compaction cycle', async () => {
    const path = directory();
    const store = new LmdbStore({ directory: path, durability: 'none' });
    await store.writeCheckpoint(delta(1, 0, [[hashes[0] ?? 1, 1, 10], [hashes[3] ?? 1, 2, 1_000], [hashes[6] ?? 1, 3, 1_000]]));
    await store.writeCheckpoint(delta(2, 0, [[hashes[6] ?? 1, 3, Number.NaN]]));
    for (let n = 0; n < keyCompactionCycle; n++) await store.writeCheckpoint(delta(3 + n, 20, []));
    const seeded: number[][] = [];
    store.idempotencyKeys((hash, expiresAt) => seeded.push([hash, expiresAt]));
    expect(seeded).toEqual([[hashes[3], 1_000]]);
    expect(store.getIdempotency(hashes[0] ?? 1)).toEqual([]);
    await store.close();
  });

  it('keeps, in a merge of the newest blocks only, the tombstones that hide entries of older ones', async () => {
    const path = directory();
    const store = new LmdbStore({ directory: path, durability: 'none' });
    const [a = 1, b = 1, c = 1] = hashes;
    // Bucket 0 is weighed at the 1st and the (cycle + 1)th checkpoint: then it holds a block of
    // five, a tombstone and three blocks of one, and only the four newest are a tier.
    await store.writeCheckpoint(delta(1, 0, [[a, 1, 1_000], [a, 2, 1_000], [b, 1, 1_000], [b, 2, 1_000], [c, 1, 1_000]]));
    await store.writeCheckpoint(delta(2, 0, [[a, 1, Number.NaN]]));
    await store.writeCheckpoint(delta(3, 0, [[c, 2, 1_000]]));
    await store.writeCheckpoint(delta(4, 0, [[b, 3, 1_000]]));
    await store.writeCheckpoint(delta(5, 0, [[c, 3, 1_000]]));
    for (let n = 6; n <= keyCompactionCycle + 1; n++) await store.writeCheckpoint(delta(n, 20, []));
    expect(store.getIdempotency(a)).toEqual([{ seq: 2, expiresAt: 1_000 }]);
    expect(store.getIdempotency(b)).toEqual([1, 2, 3].map((seq) => ({ seq, expiresAt: 1_000 })));
    expect(store.getIdempotency(c)).toEqual([1, 2, 3].map((seq) => ({ seq, expiresAt: 1_000 })));
    await store.close();
    const root = open({ path: join(path, 'state.mdb'), maxDbs: 16 });
    expect(blockCount(root)).toBe(2);
    await root.close();
  });

  it('merges every tier due in a bucket at one compaction, each in its place among the others', async () => {
    const path = directory();
    const root = open({ path: join(path, 'keys.mdb'), maxDbs: 4 });
    try {
      const index = new LmdbKeyIndex(root);
      const [a = 1, b = 1, c = 1] = hashes;
      // Bucket 0 gets four runs of 40 entries, then four of two: two tiers, the older more than
      // twice the size of the newer. Run 3 gives an entry of run 1 a later expiry (within a tier);
      // run 6 deletes an entry of run 2 and run 7 one of run 5 (across tiers, and within one).
      const filler = (seq: number): Change[] => Array.from({ length: 38 }, (_, i): Change => [c + 10 + i, seq, 500]);
      const runs: Change[][] = [
        [[a, 1, 100], [b, 1, 100], ...filler(1)],
        [[a, 2, 100], [b, 2, 100], ...filler(2)],
        [[a, 1, 300], [b, 3, 100], ...filler(3)],
        [[a, 4, 100], [b, 4, 100], ...filler(4)],
        [[c, 5, 100], [a, 5, 100]],
        [[a, 2, Number.NaN], [c, 6, 100]],
        [[c, 5, Number.NaN], [c, 7, 100]],
        [[c, 8, 100], [b, 8, 100]],
      ];
      const model = new Map<number, Map<number, number>>();
      for (const changes of runs) {
        const slices = [columns(changes)];
        await index.writeRun(() => slices.shift(), async () => {});
        for (const [hash, seq, expiresAt] of changes) {
          const held = model.get(hash) ?? new Map<number, number>();
          if (Number.isNaN(expiresAt)) held.delete(seq);
          else held.set(seq, expiresAt);
          model.set(hash, held);
        }
      }
      await index.compact(0, async () => {});
      expect(blockCount(root)).toBe(2);
      for (const hash of [a, b, c, c + 10, c + 47]) {
        const held = [...(model.get(hash) ?? new Map<number, number>())].sort(([x], [y]) => x - y);
        expect(index.get(hash), `hash ${hash}`).toEqual(held.map(([seq, expiresAt]) => ({ seq, expiresAt })));
      }
      expect(index.get(a)).toEqual([{ seq: 1, expiresAt: 300 }, { seq: 4, expiresAt: 100 }, { seq: 5, expiresAt: 100 }]);
    } finally {
      await root.close();
    }
  });

  it('keeps few blocks per bucket and rewrites each entry about once per fourfold growth of the index', () => {
    // The policy alone, on block sizes: a checkpoint adds a block of `run` entries (or of 1 to
    // 2 × run), and every keyCompactionCycle-th checkpoint the bucket is weighed (nothing expires),
    // or every one once crowded, as the index does.
    const crowded = 32;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 50, max: 2_000 }), fc.boolean(), fc.nat(), (run, checkpoints, vary, seed) => {
        const next = generator(seed);
        let blocks: BlockStats[] = [];
        let rewritten = 0;
        let total = 0;
        let most = 0;
        for (let n = 1; n <= checkpoints; n++) {
          const count = vary ? 1 + (next() % (2 * run)) : run;
          total += count;
          blocks.push({ count, tombstones: 0, earliest: 1e12, latest: 1e12 });
          most = Math.max(most, blocks.length);
          if (n % keyCompactionCycle !== 0 && blocks.length < crowded) continue;
          const plans = planCompaction(blocks, 0, blocks.length >= crowded);
          // Ranges newest first, apart, each merged into one block in its place.
          for (const [i, plan] of plans.entries()) {
            expect(plan.full).toBe(plan.from === 0);
            expect(plan.from).toBeLessThan(plan.to);
            expect(plan.to).toBeLessThan(i === 0 ? blocks.length : (plans[i - 1]?.from ?? 0));
            const merged = blocks.slice(plan.from, plan.to + 1).reduce((sum, block) => sum + block.count, 0);
            rewritten += merged;
            blocks = [...blocks.slice(0, plan.from), { count: merged, tombstones: 0, earliest: 1e12, latest: 1e12 }, ...blocks.slice(plan.to + 1)];
          }
        }
        const tiers = Math.log(checkpoints / keyCompactionCycle) / Math.log(4) + 1;
        // Blocks of 1 to 2 × run entries do not all make one size: the small ones gather a tier of
        // their own below the run's (a seed found 25 blocks against 24.1 without it).
        expect(most).toBeLessThanOrEqual(4 * (tiers + (vary ? 1 : 0)) + keyCompactionCycle);
        expect(rewritten).toBeLessThanOrEqual(total * tiers);
      }),
    );
  });

  it('merges a bucket whole once about half of it is dead, and never for less', () => {
    const live = { count: 100, tombstones: 0, earliest: 1_000, latest: 2_000 };
    expect(planCompaction([live], 1_400)).toEqual([]);
    expect(planCompaction([live], 1_500)).toEqual([{ from: 0, to: 0, full: true }]);
    expect(planCompaction([live, { count: 60, tombstones: 60, earliest: Infinity, latest: -Infinity }], 0)).toEqual([]);
    expect(planCompaction([{ ...live, count: 120 }, { count: 130, tombstones: 130, earliest: Infinity, latest: -Infinity }], 0)).toEqual([{ from: 0, to: 1, full: true }]);
  });

  it('bounds the entries a compaction step merges, and reads every entry after the merges', async () => {
    // Each of the four buckets is then a full merge of 20,000 entries, all within the first 32
    // buckets: one step before the bound, one per bucket with it (it stops after the bucket that
    // reaches it).
    const path = directory();
    const root = open({ path: join(path, 'keys.mdb'), maxDbs: 4 });
    try {
      await compactInBoundedSteps(new LmdbKeyIndex(root));
    } finally {
      await root.close();
    }
  });

  it("queues a compaction's writes in batches of a thousand or more, not a step's worth each", async () => {
    const path = directory();
    const root = open({ path: join(path, 'keys.mdb'), maxDbs: 4 });
    let batches = 0;
    // The index's environment, its batches counted.
    const counted = new Proxy(root, {
      get(target, property): unknown {
        if (property === 'batch') {
          return (callback: () => void) => {
            batches++;
            return target.batch(callback);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      const index = new LmdbKeyIndex(counted);
      // Four runs of an entry in each of the 512 buckets weighed at the first compaction: each
      // bucket's four blocks merge (three removes and a put): 2,048 writes, four in each of the 128
      // stretches of 32 buckets, each stretch a step.
      const weighed = Array.from({ length: keyBucketCount / keyCompactionCycle }, (_, i) => i * keyCompactionCycle);
      for (const seq of [1, 2, 3, 4]) {
        const slices = [columns(weighed.map((bucket): Change => [bucket * 2 ** 41 + 5, seq, 1e12]))];
        await index.writeRun(() => slices.shift(), async () => {});
      }
      batches = 0;
      let pauses = 0;
      await index.compact(0, async () => {
        pauses++;
      });
      expect(pauses).toBeGreaterThanOrEqual(keyBucketCount / 32);
      expect(batches).toBeLessThanOrEqual(2);
      for (const bucket of [0, weighed.at(-1) ?? 0]) expect(index.get(bucket * 2 ** 41 + 5)).toHaveLength(4);
      expect(blockCount(root)).toBe(weighed.length);
    } finally {
      await root.close();
    }
  });

  it('moves an index written one entry per key (before key blocks) into blocks at open', async () => {
    const path = directory();
    mkdirSync(path, { recursive: true });
    const legacyRoot = open({ path: join(path, 'state.mdb'), maxDbs: 16 });
    const legacy = legacyRoot.openDB<number, [number, number]>({ name: 'key-index' });
    for (const [hash, seq, expiresAt] of [[hashes[0] ?? 1, 1, 500], [hashes[0] ?? 1, 4, 600], [2 ** 53 - 7, 2, 700]] as const) {
      await legacy.put([hash, seq], expiresAt);
    }
    await legacyRoot.close();
    for (let reopen = 0; reopen < 2; reopen++) {
      const store = new LmdbStore({ directory: path, durability: 'flush' });
      expect(store.getIdempotency(hashes[0] ?? 1)).toEqual([{ seq: 1, expiresAt: 500 }, { seq: 4, expiresAt: 600 }]);
      expect(store.getIdempotency(2 ** 53 - 7)).toEqual([{ seq: 2, expiresAt: 700 }]);
      await store.close();
    }
    const after = open({ path: join(path, 'state.mdb'), maxDbs: 16 });
    const options = { name: 'key-index', create: false };
    expect(after.openDB(options)).toBeUndefined();
    await after.close();
  });

  it('orders a run by bucket, then hash and seq, keeping the last of equal entries', () => {
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 6 }), { maxLength: 4 }), (slices) => {
        expectSortedRun(slices);
      }),
    );
  });

  it('orders buckets of hundreds of entries given as several nearly sorted walks, as the key tables hand them over', () => {
    // Two buckets, hashes spread within them, seqs 1-3 so that equal (hash, seq) pairs recur.
    const entry = fc.tuple(fc.constantFrom(7, 8), fc.integer({ min: 0, max: 2 ** 41 - 1 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 }));
    // A walk: sorted by hash, then neighbours swapped here and there (a table's displaced slots).
    const walk = fc.tuple(fc.array(entry, { maxLength: 300, size: 'max' }), fc.array(fc.nat(), { maxLength: 40, size: 'max' })).map(([entries, swaps]) => {
      const changes = entries.map(([bucket, low, seq, expiresAt]): Change => [bucket * 2 ** 41 + low, seq, expiresAt]).sort((a, b) => a[0] - b[0]);
      for (const at of swaps) {
        const i = 1 + (at % Math.max(1, changes.length - 1));
        const [a, b] = [changes[i - 1], changes[i]];
        if (a !== undefined && b !== undefined) [changes[i - 1], changes[i]] = [b, a];
      }
      return changes;
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(walk, fc.shuffledSubarray(hashes.map((hash): Change => [hash, 1, 5]))), { minLength: 1, maxLength: 4 }), (walks) => {
        expectSortedRun(walks);
      }),
      { numRuns: 300 },
    );
  });

  it('orders runs large enough to be counted by finer groups than buckets, and clusters of keys alike in their top bits', () => {
    // Runs of thousands of entries: two or three tables' walks of uniform hashes (sorted, then
    // neighbours swapped here and there), and a cluster of entries sharing their top 30 bits,
    // shuffled, which the one insertion sort per bucket must give up on and leave to the merges.
    const run = fc.record({
      seed: fc.integer(),
      walks: fc.integer({ min: 1, max: 3 }),
      perWalk: fc.integer({ min: 2_000, max: 30_000 }),
      cluster: fc.integer({ min: 0, max: 3_000 }),
      seqs: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(run, ({ seed, walks, perWalk, cluster, seqs }) => {
        const random = new Random(seed);
        const given: Change[][] = [];
        for (let w = 0; w < walks; w++) {
          const walk = Array.from({ length: perWalk }, (): Change => [random.hash(), random.below(seqs) + 1, random.below(200) + 1]).sort((a, b) => a[0] - b[0]);
          for (let i = 1; i < walk.length; i += 1 + random.below(12)) [walk[i - 1], walk[i]] = [walk[i] as Change, walk[i - 1] as Change];
          given.push(walk);
        }
        const top = random.hash() - (random.hash() % 2 ** 23);
        given.push(Array.from({ length: cluster }, (): Change => [top + random.below(2 ** 23), random.below(seqs) + 1, 5]));
        expectSortedRun(given);
      }),
      { numRuns: 12 },
    );
  });

  it('spreads a large run\'s sort over steps, its counting passes included, and orders it as one sort would', () => {
    // Each counting pass yields every countingStepEntries entries: taken whole, half a million keys
    // held the main thread 3 - 12 ms at once in a loaded run.
    const random = new Random(11);
    const count = 3 * countingStepEntries + 123;
    const entries = Array.from({ length: count }, (): Change => [random.hash(), random.below(3) + 1, random.below(200) + 1]);
    const stepped = new KeyRunBuilder();
    stepped.add(columns(entries));
    const bucketsPerStep = 32;
    const stepsMax = stepped.stepsMax(bucketsPerStep);
    const steps = stepped.sortedInSteps(bucketsPerStep);
    let yields = 0;
    let step = steps.next();
    for (; step.done !== true; step = steps.next()) {
      yields++;
      expect(yields).toBeLessThanOrEqual(stepsMax);
    }
    // The buckets' steps, and at least two per full step of entries (counted, then placed).
    expect(yields).toBeGreaterThanOrEqual(Math.ceil(keyBucketCount / bucketsPerStep) - 1 + 2 * Math.floor(count / countingStepEntries));
    expectOrders(step.value, [entries]);
  });
});

/** Uniform values from a seed, so that a failing run of the property repeats. */
class Random {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = generator(seed);
  }

  /** An integer in [0, n), n at most 2^32. */
  below(n: number): number {
    return Math.floor((this.#next() / 2 ** 32) * n);
  }

  /** A 53-bit hash, as key-hash.ts gives. */
  hash(): number {
    return hash53(this.#next);
  }
}
