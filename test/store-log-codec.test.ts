// Goal: the hand-written log codec round-trips every record exactly (any kind, int64 amounts,
// negative slots, Unicode keys and ids at their length limits) and refuses corrupt bytes; method:
// fast-check over random groups, plus truncated and padded buffers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../dist/domain/log-record.js';
import { opKinds } from '../dist/domain/op-kind.js';
import { decodeGroup, decodeRecordAt, encodeGroup } from '../dist/store/log-codec.js';

const record = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  kind: fc.constantFrom(...opKinds),
  slot: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  slot2: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  amount: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  chain: fc.string({ maxLength: 32 }),
  key: fc.string({ unit: 'binary', maxLength: 255 }),
  ref: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  at: fc.integer({ min: 0, max: 2 ** 50 }),
  id: fc.string({ unit: 'grapheme', maxLength: 16 }),
});

describe('log codec', () => {
  it('round-trips any group', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 50 }), (fields) => {
        const group = fields.map((f) => makeRecord(f));
        const bytes = encodeGroup(group);
        expect(decodeGroup(bytes)).toEqual(group);
        group.forEach((record, i) => expect(decodeRecordAt(bytes, i)).toEqual(record));
        expect(decodeRecordAt(bytes, group.length)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses truncated or padded bytes', () => {
    const bytes = encodeGroup([makeRecord({ seq: 1, kind: 'mint', slot: 0, amount: 5n, chain: 'base', key: 'k', at: 1 })]);
    expect(() => decodeGroup(bytes.subarray(0, bytes.length - 1))).toThrow(/corrupt/);
    expect(() => decodeGroup(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/corrupt/);
  });
});
