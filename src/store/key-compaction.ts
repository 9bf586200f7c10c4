// Compaction of one hash bucket of the on-disk key index: consecutive blocks (key-block.ts), oldest
// first, merged into one, the newer entry winning where two name the same (hash, seq). A merge that
// reaches the bucket's oldest block (a full merge) leaves tombstones nothing to hide, so it drops
// them with what they delete, and drops entries expired at `nowMs`: this is how expired keys leave
// the disk. A partial merge keeps both: an older block outside it may hold what they shadow.
import { decodeKeyBlock, keyEntryBytes, type BlockStats, type KeyEntries } from './key-block.js';

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

/** The blocks merged into one (empty when nothing holds), or undefined when it would not change. */
export function compactKeyBlocks(blocks: readonly Uint8Array[], nowMs: number, full: boolean): Buffer | undefined {
  const first = blocks[0];
  if (first === undefined) return undefined;
  let merged = decodeKeyBlock(first);
  for (let i = 1; i < blocks.length; i++) merged = mergeNewer(merged, decodeKeyBlock(blocks[i] ?? new Uint8Array()));
  const bytes = Buffer.allocUnsafe(merged.count * keyEntryBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  for (let i = 0; i < merged.count; i++) {
    const expiresAt = merged.expiresAt[i] ?? Number.NaN;
    if (full && (Number.isNaN(expiresAt) || expiresAt <= nowMs)) continue;
    view.setFloat64(at, merged.hash[i] ?? 0, true);
    view.setFloat64(at + 8, merged.seq[i] ?? 0, true);
    view.setFloat64(at + 16, expiresAt, true);
    at += keyEntryBytes;
  }
  if (blocks.length === 1 && at === first.length) return undefined;
  return bytes.subarray(0, at);
}

/** Merges two sorted blocks; of equal (hash, seq), the newer block's entry. */
function mergeNewer(older: KeyEntries, newer: KeyEntries): KeyEntries {
  const capacity = older.count + newer.count;
  const out = { hash: new Float64Array(capacity), seq: new Float64Array(capacity), expiresAt: new Float64Array(capacity) };
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < older.count || j < newer.count) {
    const order = i === older.count ? 1 : j === newer.count ? -1 : compare(older, i, newer, j);
    if (order < 0) {
      copyEntry(older, i++, out, n++);
    } else {
      copyEntry(newer, j++, out, n++);
      if (order === 0) i++;
    }
  }
  return { count: n, ...out };
}

function copyEntry(from: KeyEntries, at: number, to: Omit<KeyEntries, 'count'>, n: number): void {
  to.hash[n] = from.hash[at] ?? 0;
  to.seq[n] = from.seq[at] ?? 0;
  to.expiresAt[n] = from.expiresAt[at] ?? Number.NaN;
}

function compare(a: KeyEntries, i: number, b: KeyEntries, j: number): number {
  const hashA = a.hash[i] ?? 0;
  const hashB = b.hash[j] ?? 0;
  if (hashA !== hashB) return hashA < hashB ? -1 : 1;
  const seqA = a.seq[i] ?? 0;
  const seqB = b.seq[j] ?? 0;
  return seqA === seqB ? 0 : seqA < seqB ? -1 : 1;
}
