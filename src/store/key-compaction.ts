// Compaction of one hash bucket of the on-disk key index: consecutive blocks (key-block.ts), oldest
// first, merged into one, the newer entry winning where two name the same (hash, seq). A merge that
// reaches the bucket's oldest block (a full merge) leaves tombstones nothing to hide, so it drops
// them with what they delete, and drops entries expired at `nowMs`: this is how expired keys leave
// the disk. A partial merge keeps both: an older block outside it may hold what they shadow.
import { assert } from '../domain/errors.js';
import { blockDoubles, doublesBlock, keyEntryBytes, keyEntryDoubles, type BlockStats } from './key-block.js';

/** Blocks [from, last] of a bucket to merge into one, and whether that merge is full. */
export interface CompactionPlan {
  readonly from: number;
  readonly full: boolean;
}

/**
 * What to merge of a bucket's blocks (oldest first), or undefined for nothing. A full merge once
 * about half the bucket is dead (deleted, or expired at `nowMs`): the space it takes stays within
 * about twice what is live. Otherwise the newest blocks, for as long as the next older one is no
 * larger than what they hold together: sizes then double from newest to oldest, as in a binary
 * counter, so a bucket holds a few blocks per doubling and an entry is rewritten about once per
 * doubling. (Merging every block each time rewrote the whole index over and over as it grew.)
 */
export function planCompaction(blocks: readonly BlockStats[], nowMs: number): CompactionPlan | undefined {
  let total = 0;
  let dead = 0;
  for (const block of blocks) {
    total += block.count;
    dead += deadEstimate(block, nowMs);
  }
  if (dead > 0 && 2 * dead >= total) return { from: 0, full: true };
  const last = blocks.length - 1;
  let from = last;
  let held = blocks[last]?.count ?? 0;
  while (from > 0 && (blocks[from - 1]?.count ?? 0) <= held) {
    from--;
    held += blocks[from]?.count ?? 0;
  }
  return from < last ? { from, full: from === 0 } : undefined;
}

/** Tombstones, and the share of entries expired at `nowMs` if expiries spread evenly over the block's range. */
function deadEstimate(block: BlockStats, nowMs: number): number {
  const entries = block.count - block.tombstones;
  if (entries === 0 || nowMs < block.earliest) return block.tombstones;
  if (nowMs >= block.latest) return block.count;
  return block.tombstones + (entries * (nowMs - block.earliest)) / (block.latest - block.earliest);
}

/** Two merge outputs, taken in turn, so that a merge never writes the array it reads; grown as needed. */
export class MergeScratch {
  readonly arrays: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  /** Scratch array `turn`, with room for `doubles`. */
  room(turn: number, doubles: number): Float64Array {
    let out = this.arrays[turn] ?? new Float64Array(0);
    if (out.length < doubles) {
      out = new Float64Array(2 ** Math.ceil(Math.log2(doubles)));
      this.arrays[turn] = out;
    }
    return out;
  }
}

/** The entries of work a stepped merge has left before it pauses; the caller refills it. */
export interface MergeBudget {
  left: number;
}

/**
 * The blocks merged into one (empty when nothing holds), or undefined when it would not change, in
 * steps: it yields whenever `budget.left` entries of work (each entry copied by a merge or weighed
 * for the result) are spent, and the caller refills the budget before going on (an infinite budget
 * merges in one step). The merges work on the blocks' doubles in place (key-block.ts) through the
 * two scratch arrays; only the result is new, and it is what the caller puts (it must outlive the put).
 * A bucket's merge grows with the index (a full merge took up to 11 ms, 150 s into a run at full
 * load). The blocks' bytes and `scratch` must stay as they are until it ends (a scratch per index:
 * several engines in one process compact in turns).
 */
export function* compactKeyBlocksInSteps(
  blocks: readonly Uint8Array[],
  nowMs: number,
  full: boolean,
  budget: MergeBudget,
  scratch: MergeScratch,
): Generator<void, Buffer | undefined> {
  const first = blocks[0];
  if (first === undefined) return undefined;
  let merged = blockDoubles(first);
  for (let i = 1; i < blocks.length; i++) {
    const newer = blockDoubles(blocks[i] ?? new Uint8Array());
    // The other scratch array than the one `merged` lies in.
    merged = yield* mergeNewer(merged, newer, scratch.room(i % 2, merged.length + newer.length), budget);
  }
  const out = new Float64Array(merged.length);
  let kept = 0;
  for (let at = 0; at < merged.length; at += keyEntryDoubles) {
    if (budget.left <= 0) yield;
    budget.left--;
    const expiresAt = merged[at + 2] ?? Number.NaN;
    if (full && (Number.isNaN(expiresAt) || expiresAt <= nowMs)) continue;
    out[kept * keyEntryDoubles] = merged[at] ?? 0;
    out[kept * keyEntryDoubles + 1] = merged[at + 1] ?? 0;
    out[kept * keyEntryDoubles + 2] = expiresAt;
    kept++;
  }
  if (blocks.length === 1 && kept * keyEntryBytes === first.length) return undefined;
  return doublesBlock(out, kept);
}

/** Merges two sorted entry arrays into `out`; of equal (hash, seq), the newer's entry. */
function* mergeNewer(older: Float64Array, newer: Float64Array, out: Float64Array, budget: MergeBudget): Generator<void, Float64Array> {
  const capacity = older.length + newer.length;
  assert(out.length >= capacity, 'a merge has room for both inputs');
  let i = 0;
  let j = 0;
  let n = 0;
  for (let steps = 0; i < older.length || j < newer.length; steps++) {
    assert(steps < capacity, 'a merge takes an entry per step');
    if (budget.left <= 0) yield;
    budget.left--;
    const order = i === older.length ? 1 : j === newer.length ? -1 : compare(older, i, newer, j);
    if (order < 0) {
      copyEntry(older, i, out, n);
      i += keyEntryDoubles;
    } else {
      copyEntry(newer, j, out, n);
      j += keyEntryDoubles;
      if (order === 0) i += keyEntryDoubles;
    }
    n += keyEntryDoubles;
  }
  return out.subarray(0, n);
}

function copyEntry(from: Float64Array, at: number, to: Float64Array, n: number): void {
  to[n] = from[at] ?? 0;
  to[n + 1] = from[at + 1] ?? 0;
  to[n + 2] = from[at + 2] ?? Number.NaN;
}

/** (hash, seq) of the entries starting at doubles i of a and j of b. */
function compare(a: Float64Array, i: number, b: Float64Array, j: number): number {
  const hashA = a[i] ?? 0;
  const hashB = b[j] ?? 0;
  if (hashA !== hashB) return hashA < hashB ? -1 : 1;
  const seqA = a[i + 1] ?? 0;
  const seqB = b[j + 1] ?? 0;
  return seqA === seqB ? 0 : seqA < seqB ? -1 : 1;
}
