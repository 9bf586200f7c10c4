// Compaction of one hash bucket of the on-disk key index: its blocks (key-block.ts), oldest first,
// merged into one. Because every block of the bucket takes part, tombstones have nothing left to
// hide and are dropped with what they delete, and so are entries expired at `nowMs`: this is how
// expired keys leave the disk.
import { decodeKeyBlock, keyEntryBytes, type KeyEntries } from './key-block.js';

/** The bucket's one merged block (empty when nothing holds), or undefined when it would not change. */
export function compactKeyBlocks(blocks: readonly Uint8Array[], nowMs: number): Buffer | undefined {
  const first = blocks[0];
  if (first === undefined) return undefined;
  let merged = decodeKeyBlock(first);
  for (let i = 1; i < blocks.length; i++) merged = mergeNewer(merged, decodeKeyBlock(blocks[i] ?? new Uint8Array()));
  const bytes = Buffer.allocUnsafe(merged.count * keyEntryBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  for (let i = 0; i < merged.count; i++) {
    const expiresAt = merged.expiresAt[i] ?? Number.NaN;
    if (Number.isNaN(expiresAt) || expiresAt <= nowMs) continue;
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
