// Goal: key blocks keep their on-disk format (24-byte entries of little-endian doubles) whichever
// way they are encoded, and a compaction's merge of blocks, read in place or copied whatever their
// alignment, holds exactly what applying them oldest first would, whole or in steps of any bound
// (two merges taking turns); method: fast-check blocks against a
// DataView reference encoding and a Map model of the merge.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockDoubles, doublesBlock, encodeKeyBlock, keyEntryBytes, keyEntryDoubles } from '../dist/store/key-block.js';
import { compactKeyBlocksInSteps } from '../dist/store/key-compaction.js';

type Entry = readonly [hash: number, seq: number, expiresAt: number];

/** Entries sorted by (hash, seq), one per pair: what a block holds. Few hashes, so that blocks overlap. */
const block: fc.Arbitrary<Entry[]> = fc
  .uniqueArray(
    fc.tuple(
      fc.integer({ min: 1, max: 12 }).map((h) => h * 2 ** 40 + 7),
      fc.integer({ min: 1, max: 6 }),
      fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.NaN)),
    ),
    { selector: ([hash, seq]) => `${hash}/${seq}`, maxLength: 40, size: 'max' },
  )
  .map((entries) => entries.sort(([hashA, seqA], [hashB, seqB]) => hashA - hashB || seqA - seqB));

/** The format, written field by field: what every block on disk already is. */
function referenceBytes(entries: readonly Entry[]): Buffer {
  const bytes = Buffer.alloc(entries.length * keyEntryBytes);
  entries.forEach(([hash, seq, expiresAt], i) => {
    bytes.writeDoubleLE(hash, i * keyEntryBytes);
    bytes.writeDoubleLE(seq, i * keyEntryBytes + 8);
    bytes.writeDoubleLE(expiresAt, i * keyEntryBytes + 16);
  });
  return bytes;
}

/** A compaction's merge in one step (an infinite budget). */
function compactKeyBlocks(blocks: readonly Uint8Array[], now: number, full: boolean): Buffer | undefined {
  const step = compactKeyBlocksInSteps(blocks, now, full, { left: Number.POSITIVE_INFINITY }).next();
  if (step.done !== true) throw new Error('a merge with an infinite budget runs in one step');
  return step.value;
}

/** The bytes at `offset` within a larger buffer (lmdb-js hands out buffers at any offset). */
function placed(bytes: Buffer, offset: number): Uint8Array {
  const room = new Uint8Array(bytes.length + offset + 8);
  room.set(bytes, offset);
  return room.subarray(offset, offset + bytes.length);
}

/** A block's entries read field by field, as referenceBytes() writes them. */
function entriesOf(bytes: Uint8Array): Entry[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: bytes.length / keyEntryBytes }, (_, i): Entry => {
    const at = i * keyEntryBytes;
    return [buffer.readDoubleLE(at), buffer.readDoubleLE(at + 8), buffer.readDoubleLE(at + 16)];
  });
}

/** Blocks applied oldest first; a full merge then drops tombstones and entries expired at `now`. */
function modelMerge(blocks: readonly Entry[][], now: number, full: boolean): Entry[] {
  const held = new Map<string, Entry>();
  for (const entries of blocks) for (const entry of entries) held.set(`${entry[0]}/${entry[1]}`, entry);
  return [...held.values()]
    .filter(([, , expiresAt]) => !full || (!Number.isNaN(expiresAt) && expiresAt > now))
    .sort(([hashA, seqA], [hashB, seqB]) => hashA - hashB || seqA - seqB);
}

describe('key blocks', () => {
  it('encodes a sorted run into the same bytes as the field-by-field format, sharing the given memory', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 5 }), (entries, lead) => {
        // The run's columns in a shuffled order, and the order that sorts them.
        const count = entries.length + lead;
        const changes = { count, hash: new Float64Array(count), seq: new Float64Array(count), expiresAt: new Float64Array(count) };
        const order = new Uint32Array(entries.length);
        entries.forEach(([hash, seq, expiresAt], i) => {
          const at = count - 1 - i;
          changes.hash[at] = hash;
          changes.seq[at] = seq;
          changes.expiresAt[at] = expiresAt;
          order[i] = at;
        });
        const into = new Float64Array((entries.length + 2) * keyEntryDoubles);
        const bytes = encodeKeyBlock(changes, order, 0, entries.length, into.subarray(keyEntryDoubles));
        expect(Buffer.compare(bytes, referenceBytes(entries))).toBe(0);
        expect(bytes.buffer).toBe(into.buffer);
        expect(entriesOf(bytes)).toEqual(entries);
      }),
    );
  });

  it('reads a block in place where it is aligned and from a copy where it is not, and writes doubles back as the format', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 15 }), (entries, offset) => {
        const bytes = placed(referenceBytes(entries), offset);
        const doubles = blockDoubles(bytes);
        expect(Array.from(doubles)).toEqual(entries.flat());
        expect(doubles.buffer === bytes.buffer).toBe(offset % 8 === 0);
        expect(Buffer.compare(doublesBlock(doubles, entries.length), referenceBytes(entries))).toBe(0);
      }),
    );
  });

  it('merges blocks as applying them oldest first would, newest winning, dropping the dead only in a full merge', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(block, fc.integer({ min: 0, max: 15 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (given, now, full) => {
          const blocks = given.map(([entries, offset]) => placed(referenceBytes(entries), offset));
          const before = blocks.map((bytes) => Buffer.from(bytes));
          const merged = compactKeyBlocks(blocks, now, full);
          const expected = modelMerge(
            given.map(([entries]) => entries),
            now,
            full,
          );
          const unchanged = given.length === 1 && expected.length === given[0]?.[0].length;
          if (unchanged) expect(merged).toBeUndefined();
          else expect(entriesOf(merged ?? new Uint8Array(1))).toEqual(expected);
          // The blocks read in place are not written.
          blocks.forEach((bytes, i) => expect(Buffer.compare(Buffer.from(bytes), before[i] ?? Buffer.alloc(0))).toBe(0));
        },
      ),
    );
  });

  it('merges in steps of any bound as it merges whole, two merges taking turns', () => {
    const blocks = fc.array(fc.tuple(block, fc.integer({ min: 0, max: 15 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(blocks, blocks, fc.integer({ min: 0, max: 100 }), fc.boolean(), fc.integer({ min: 1, max: 30 }), (givenA, givenB, now, full, bound) => {
        const bytesA = givenA.map(([entries, offset]) => placed(referenceBytes(entries), offset));
        const bytesB = givenB.map(([entries, offset]) => placed(referenceBytes(entries), offset));
        const budgetA = { left: bound };
        const budgetB = { left: bound };
        const a = compactKeyBlocksInSteps(bytesA, now, full, budgetA);
        const b = compactKeyBlocksInSteps(bytesB, now, full, budgetB);
        let yields = 0;
        let stepA = a.next();
        let stepB = b.next();
        for (let turns = 0; stepA.done !== true || stepB.done !== true; turns++) {
          expect(turns).toBeLessThan(10_000);
          if (stepA.done !== true) {
            yields++;
            budgetA.left = bound;
            stepA = a.next();
          }
          if (stepB.done !== true) {
            budgetB.left = bound;
            stepB = b.next();
          }
        }
        const same = (stepped: Buffer | undefined, whole: Buffer | undefined): void => {
          if (whole === undefined) expect(stepped).toBeUndefined();
          else expect(Buffer.compare(stepped ?? Buffer.alloc(0), whole)).toBe(0);
        };
        same(stepA.value, compactKeyBlocks(bytesA, now, full));
        same(stepB.value, compactKeyBlocks(bytesB, now, full));
        // It takes every entry of every block once, and pauses whenever the bound is spent.
        const entries = givenA.reduce((sum, [given]) => sum + given.length, 0);
        expect(yields).toBeGreaterThanOrEqual(Math.floor(entries / bound) - 1);
        expect(yields).toBeLessThanOrEqual(Math.ceil(entries / bound));
      }),
    );
  });
});
