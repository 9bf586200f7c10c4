// Compaction of one hash bucket of the on-disk key index: consecutive blocks (key-block.ts), oldest
// first, merged into one, the newer entry winning where two name the same (hash, seq). A merge that
// reaches the bucket's oldest block (a full merge) leaves tombstones nothing to hide, so it drops
// them with what they delete, and drops entries expired at `nowMs`: this is how expired keys leave
// the disk. A partial merge keeps both: an older block outside it may hold what they shadow.
import { assert } from '../domain/errors.js';
import { blockDoubles, doublesBlock, keyEntryBytes, keyEntryDoubles, type BlockStats } from './key-block.js';

/** Blocks [from, to] of a bucket to merge into one, and whether that merge is full (from its oldest). */
export interface CompactionPlan {
  readonly from: number;
  readonly to: number;
  readonly full: boolean;
}

/** Blocks of about one size that gather before they merge into one (a tier's fan-in). */
export const compactionFanIn = 4;

/**
 * What to merge of a bucket's blocks (oldest first): ranges that do not overlap, newest first, or
 * none. A full merge once about half the bucket is dead (deleted, or expired at `nowMs`): the space
 * it takes stays within about twice what is live. Otherwise in tiers: every run of at least
 * `compactionFanIn` consecutive blocks of about one size (each at most twice the largest newer one
 * of the run). Sizes then grow fourfold from tier to tier, a bucket holds about three blocks per
 * tier, and an entry is rewritten once per tier: half as often as merging by pairs (a binary
 * counter). Every tier due merges at once: one at a time, new blocks (the newest tier) kept older
 * tiers waiting. A `crowded` bucket (a lookup reads every block) with no tier due merges its newest
 * `compactionFanIn` whatever their sizes.
 */
export function planCompaction(blocks: readonly BlockStats[], nowMs: number, crowded = false): CompactionPlan[] {
  let total = 0;
  let dead = 0;
  for (const block of blocks) {
    total += block.count;
    dead += deadEstimate(block, nowMs);
  }
  if (dead > 0 && 2 * dead >= total) return [{ from: 0, to: blocks.length - 1, full: true }];
  const tiers = tiersDue(blocks);
  if (tiers.length > 0 || !crowded || blocks.length < compactionFanIn) return tiers;
  return [planOf(blocks.length - compactionFanIn, blocks.length - 1)];
}

/** The runs of at least `compactionFanIn` blocks of about one size, walking from the newest back. */
function tiersDue(blocks: readonly BlockStats[]): CompactionPlan[] {
  const due: CompactionPlan[] = [];
  let to = blocks.length - 1;
  let largest = blocks[to]?.count ?? 0;
  for (let from = to; from >= 0; from--) {
    const older = from > 0 ? (blocks[from - 1]?.count ?? 0) : Number.POSITIVE_INFINITY;
    if (older <= 2 * largest) {
      largest = Math.max(largest, older);
      continue;
    }
    if (to - from + 1 >= compactionFanIn) due.push(planOf(from, to));
    to = from - 1;
    largest = older;
  }
  return due;
}

function planOf(from: number, to: number): CompactionPlan {
  return { from, to, full: from === 0 };
}

/** Tombstones, and the share of entries expired at `nowMs` if expiries spread evenly over the block's range. */
function deadEstimate(block: BlockStats, nowMs: number): number {
  const entries = block.count - block.tombstones;
  if (entries === 0 || nowMs < block.earliest) return block.tombstones;
  if (nowMs >= block.latest) return block.count;
  return block.tombstones + (entries * (nowMs - block.earliest)) / (block.latest - block.earliest);
}

/** The entries of work a stepped merge has left before it pauses; the caller refills it. */
export interface MergeBudget {
  left: number;
}

/**
 * The blocks merged into one (empty when nothing holds), or undefined when it would not change, in
 * steps: it yields whenever `budget.left` entries of work (each entry taken from a block) are spent,
 * and the caller refills the budget before going on (an infinite budget merges in one step). One
 * pass takes the blocks' entries in (hash, seq) order through a heap of the blocks (k-way), so each
 * entry is read and copied once: merging pairwise, oldest first, copied what was merged so far again
 * at each newer block (eight blocks of n and an older one of 8n took ~4 copies per entry, the merge
 * ~1.7 s of the main thread in a minute at full load). The blocks' doubles are read in place
 * (key-block.ts), so their bytes must stay as they are until it ends; the result is new memory,
 * what the caller puts (it must outlive the put). Each block holds a (hash, seq) once (runs and
 * merges keep only the last given).
 */
export function* compactKeyBlocksInSteps(blocks: readonly Uint8Array[], nowMs: number, full: boolean, budget: MergeBudget): Generator<void, Buffer | undefined> {
  const first = blocks[0];
  if (first === undefined) return undefined;
  const sources = blocks.map(blockDoubles);
  const heap = new BlockHeap(sources);
  const out = new Float64Array(sources.reduce((sum, doubles) => sum + doubles.length, 0));
  const entries = out.length / keyEntryDoubles;
  let kept = 0;
  let taken = 0;
  let lastHash = Number.NaN;
  let lastSeq = Number.NaN;
  for (let source = heap.top(); source >= 0; source = heap.top()) {
    assert(taken < entries, 'a merge takes each entry once');
    if (budget.left <= 0) yield;
    budget.left--;
    taken++;
    const doubles = sources[source];
    assert(doubles !== undefined, 'the heap holds blocks of the merge');
    const at = heap.take(source);
    const hash = doubles[at] ?? 0;
    const seq = doubles[at + 1] ?? 0;
    const expiresAt = doubles[at + 2] ?? Number.NaN;
    // Of equal (hash, seq) the heap gives the newest block's first: older ones are what it replaced.
    if (hash === lastHash && seq === lastSeq) continue;
    lastHash = hash;
    lastSeq = seq;
    if (full && (Number.isNaN(expiresAt) || expiresAt <= nowMs)) continue;
    out[kept * keyEntryDoubles] = hash;
    out[kept * keyEntryDoubles + 1] = seq;
    out[kept * keyEntryDoubles + 2] = expiresAt;
    kept++;
  }
  if (blocks.length === 1 && kept * keyEntryBytes === first.length) return undefined;
  return doublesBlock(out, kept);
}

/**
 * A binary min-heap of the blocks of a merge by their next entry: by (hash, seq), and of equal ones
 * the newest block (the greater index) first.
 */
class BlockHeap {
  readonly #sources: readonly Float64Array[];
  /** Each block's next entry, in doubles. */
  readonly #next: Int32Array;
  readonly #heap: Int32Array;
  #size = 0;

  constructor(sources: readonly Float64Array[]) {
    this.#sources = sources;
    this.#next = new Int32Array(sources.length);
    this.#heap = new Int32Array(sources.length);
    for (let source = 0; source < sources.length; source++) if ((sources[source]?.length ?? 0) > 0) this.#push(source);
  }

  /** The block whose next entry comes first, or -1 once all are taken. */
  top(): number {
    return this.#size === 0 ? -1 : (this.#heap[0] ?? -1);
  }

  /** Takes the top block's next entry: returns where it lies (in doubles) and moves the block on. */
  take(source: number): number {
    assert(this.#size > 0, 'a block is left to take from');
    assert(this.#heap[0] === source, 'the top block is taken');
    const at = this.#next[source] ?? 0;
    const next = at + keyEntryDoubles;
    this.#next[source] = next;
    if (next >= (this.#sources[source]?.length ?? 0)) {
      this.#size--;
      this.#heap[0] = this.#heap[this.#size] ?? -1;
    }
    if (this.#size > 0) this.#siftDown(0);
    return at;
  }

  #push(source: number): void {
    let at = this.#size++;
    this.#heap[at] = source;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#before(source, this.#heap[parent] ?? 0)) break;
      this.#heap[at] = this.#heap[parent] ?? 0;
      this.#heap[parent] = source;
      at = parent;
    }
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    let at = from;
    for (let steps = 0; steps < 32; steps++) {
      const left = 2 * at + 1;
      if (left >= this.#size) return;
      const right = left + 1;
      const child = right < this.#size && this.#before(heap[right] ?? 0, heap[left] ?? 0) ? right : left;
      const source = heap[at] ?? 0;
      if (!this.#before(heap[child] ?? 0, source)) return;
      heap[at] = heap[child] ?? 0;
      heap[child] = source;
      at = child;
    }
    assert(false, 'a heap of at most 2^32 blocks is sifted in 32 steps');
  }

  /** Whether block a's next entry comes before block b's. */
  #before(a: number, b: number): boolean {
    const doublesA = this.#sources[a] ?? emptyDoubles;
    const doublesB = this.#sources[b] ?? emptyDoubles;
    const i = this.#next[a] ?? 0;
    const j = this.#next[b] ?? 0;
    const hashA = doublesA[i] ?? 0;
    const hashB = doublesB[j] ?? 0;
    if (hashA !== hashB) return hashA < hashB;
    const seqA = doublesA[i + 1] ?? 0;
    const seqB = doublesB[j + 1] ?? 0;
    if (seqA !== seqB) return seqA < seqB;
    return a > b;
  }
}

const emptyDoubles = new Float64Array(0);
