// The on-disk idempotency-key index is a set of key blocks: each checkpoint writes its key changes
// as one block per hash bucket, sorted, in one put per bucket, instead of one B-tree put per key (a
// random page each, ~1.5 µs and growing with the tree). A block is an array of 24-byte entries,
// (hash, seq, expiresAt) as little-endian doubles, ascending by hash then seq; a NaN expiry is a
// tombstone that deletes (hash, seq) from older blocks. Readers apply a bucket's blocks oldest first.
import { assert } from '../domain/errors.js';
import type { IdempotencyEntry, KeyChanges } from './store.js';

export const keyEntryBytes = 24;
/** 4,096 buckets: a checkpoint of a million keys writes blocks of ~250 entries (6 KB). */
export const keyBucketBits = 12;
export const keyBucketCount = 2 ** keyBucketBits;
const bucketDivisor = 2 ** (53 - keyBucketBits);

export function bucketOf(hash: number): number {
  return Math.floor(hash / bucketDivisor);
}

/** A block's entries as doubles: (hash, seq, expiresAt) each. */
export const keyEntryDoubles = 3;
/** Blocks are little-endian doubles: on such a host they are read and written as Float64Arrays,
 * a plain store per field (through a DataView with its byte-order argument it took ~4 times as long). */
const hostLittleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Encodes entries `order[from..to)` of `changes`, which the caller has sorted by (hash, seq), into
 * `into` (at least `keyEntryDoubles` doubles per entry); the block's bytes are `into`'s memory, so
 * it must not be reused until the block has been written.
 */
export function encodeKeyBlock(changes: KeyChanges, order: Uint32Array, from: number, to: number, into: Float64Array): Buffer {
  const count = to - from;
  assert(count >= 0, 'a block holds its range of entries');
  assert(into.length >= count * keyEntryDoubles, 'a block has room for its entries');
  const bytes = Buffer.from(into.buffer, into.byteOffset, count * keyEntryBytes);
  if (!hostLittleEndian) return encodeBigEndianHost(changes, order, from, to, bytes);
  for (let i = from, at = 0; i < to; i++, at += keyEntryDoubles) {
    const index = order[i] ?? 0;
    into[at] = changes.hash[index] ?? 0;
    into[at + 1] = changes.seq[index] ?? 0;
    into[at + 2] = changes.expiresAt[index] ?? Number.NaN;
  }
  return bytes;
}

function encodeBigEndianHost(changes: KeyChanges, order: Uint32Array, from: number, to: number, bytes: Buffer): Buffer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = from, at = 0; i < to; i++, at += keyEntryBytes) {
    const index = order[i] ?? 0;
    view.setFloat64(at, changes.hash[index] ?? 0, true);
    view.setFloat64(at + 8, changes.seq[index] ?? 0, true);
    view.setFloat64(at + 16, changes.expiresAt[index] ?? Number.NaN, true);
  }
  return bytes;
}

/**
 * A block's entries as `keyEntryDoubles` doubles each: a view of its bytes where the host and the
 * alignment allow (valid as long as the bytes are), otherwise a copy.
 */
export function blockDoubles(bytes: Uint8Array): Float64Array {
  const doubles = entryCount(bytes) * keyEntryDoubles;
  if (hostLittleEndian && bytes.byteOffset % Float64Array.BYTES_PER_ELEMENT === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, doubles);
  const copy = new Float64Array(doubles);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < doubles; i++) copy[i] = view.getFloat64(i * Float64Array.BYTES_PER_ELEMENT, true);
  return copy;
}

/** The bytes of a block whose entries are `doubles[0, count * keyEntryDoubles)`; shares their memory on a little-endian host. */
export function doublesBlock(doubles: Float64Array, count: number): Buffer {
  assert(count * keyEntryDoubles <= doubles.length, 'a block is within its doubles');
  const length = count * keyEntryBytes;
  if (hostLittleEndian) return Buffer.from(doubles.buffer, doubles.byteOffset, length);
  const bytes = Buffer.allocUnsafe(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < count * keyEntryDoubles; i++) view.setFloat64(i * Float64Array.BYTES_PER_ELEMENT, doubles[i] ?? 0, true);
  return bytes;
}

/**
 * Applies a block's entries under `hash` to `into` (seq → expiry; NaN deletes): called on a
 * bucket's blocks oldest first, it leaves the entries that hold. Reads in place (binary search).
 */
export function applyKeyBlock(bytes: Uint8Array, hash: number, into: Map<number, number>): void {
  const count = entryCount(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (view.getFloat64(middle * keyEntryBytes, true) < hash) low = middle + 1;
    else high = middle;
  }
  for (let at = low * keyEntryBytes; at < bytes.length && view.getFloat64(at, true) === hash; at += keyEntryBytes) {
    const seq = view.getFloat64(at + 8, true);
    const expiresAt = view.getFloat64(at + 16, true);
    if (Number.isNaN(expiresAt)) into.delete(seq);
    else into.set(seq, expiresAt);
  }
}

/** What compaction weighs of a block, so as not to read it again. */
export interface BlockStats {
  readonly count: number;
  readonly tombstones: number;
  /** The earliest and latest expiry of its entries, tombstones aside (±Infinity when it has none). */
  readonly earliest: number;
  readonly latest: number;
}

export function blockStats(bytes: Uint8Array): BlockStats {
  const count = entryCount(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let tombstones = 0;
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  for (let at = 16; at < bytes.length; at += keyEntryBytes) {
    const expiresAt = view.getFloat64(at, true);
    if (Number.isNaN(expiresAt)) tombstones++;
    else {
      earliest = Math.min(earliest, expiresAt);
      latest = Math.max(latest, expiresAt);
    }
  }
  return { count, tombstones, earliest, latest };
}

export function entriesOf(held: ReadonlyMap<number, number>): IdempotencyEntry[] {
  return [...held].sort(([a], [b]) => a - b).map(([seq, expiresAt]) => ({ seq, expiresAt }));
}

function entryCount(bytes: Uint8Array): number {
  if (bytes.length % keyEntryBytes !== 0) throw new Error(`shardmint: corrupt key block (${bytes.length} bytes)`);
  const count = bytes.length / keyEntryBytes;
  assert(Number.isSafeInteger(count), 'a key block holds whole entries');
  return count;
}
