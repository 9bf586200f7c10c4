// Goal: the ring of recent log entries finds the entry holding a record exactly as a search of every
// key would, for records within the keys it still holds, answers undefined before them, and hands
// back the bytes pushed with an entry while it is one of the newest; method: fast-check ascending key
// sequences, longer than both rings, against a plain array model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentEntryKeys } from '../dist/store/recent-entry-keys.js';

describe('recent entry keys', () => {
  it('answers the greatest key at or before a seq among those held, and the newest entries’ bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 20_000 })), (steps, probes) => {
        const ring = new RecentEntryKeys(4, 2);
        const keys: number[] = [];
        const pushed = new Map<number, Uint8Array>();
        let key = 0;
        for (const step of steps) {
          key += step;
          keys.push(key);
          const bytes = Uint8Array.of(keys.length);
          pushed.set(key, bytes);
          ring.push(key, bytes);
        }
        const held = keys.slice(-16);
        const withBytes = new Set(keys.slice(-4));
        for (const seq of [...probes, ...keys, ...keys.map((k) => k - 1)]) {
          const expected = seq < (held[0] ?? 0) ? undefined : held.filter((k) => k <= seq).at(-1);
          expect(ring.atOrBefore(seq)).toBe(expected);
          const expectedBytes = expected !== undefined && withBytes.has(expected) ? pushed.get(expected) : undefined;
          // One search gives the key and, for the newest entries, the bytes.
          const index = ring.indexAtOrBefore(seq);
          expect(index < 0 ? undefined : ring.keyAt(index)).toBe(expected);
          expect(ring.bytesAt(index)).toBe(expectedBytes);
        }
      }),
    );
  });

  it('refuses keys out of order', () => {
    const ring = new RecentEntryKeys(2, 1);
    ring.push(10, Uint8Array.of(1));
    expect(() => ring.push(10, Uint8Array.of(2))).toThrow();
  });
});
