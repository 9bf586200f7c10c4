// Goal: checkpointed account chunks decode to exactly the rows encoded (any ids up to the byte
// limit, any balance, the chunk's slots), and damaged bytes are reported, not misread; method:
// fast-check round trips over random chunks, and every truncation of one encoded chunk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAccountChunk, encodeAccountChunk } from '../dist/store/account-codec.js';
import { accountRows } from '../dist/store/conformance.js';
import { accountChunkSlots } from '../dist/store/store.js';

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

const id = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => utf8Bytes(s) <= 64);

describe('account chunk codec', () => {
  it('round-trips any chunk of rows', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.uniqueArray(fc.integer({ min: 0, max: accountChunkSlots - 1 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(id, fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.integer({ min: 0, max: 3 })), { minLength: 40, maxLength: 40 }),
        (chunk, offsets, values) => {
          const list = [...offsets].sort((a, b) => a - b).map((offset, i) => {
            const [name, balance, stateCode] = values[i] as [string, bigint, number];
            return { slot: chunk * accountChunkSlots + offset, id: name, balance, stateCode };
          });
          expect(decodeAccountChunk(chunk, encodeAccountChunk(accountRows(list), 0, list.length))).toEqual(list);
        },
      ),
    );
  });

  it('reports a truncated chunk instead of misreading it', () => {
    const list = [
      { slot: 3, id: 'alice', balance: 5n, stateCode: 0 },
      { slot: 9, id: 'bob', balance: 7n, stateCode: 1 },
    ];
    const bytes = encodeAccountChunk(accountRows(list), 0, 2);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeAccountChunk(0, bytes.subarray(0, length))).toThrow(/corrupt account chunk/);
    }
  });
});
