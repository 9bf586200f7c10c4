// Goal: the ring of recent log-entry keys finds the entry holding a record exactly as a search of
// every key would, for records within the keys it still holds, and answers undefined before them;
// method: fast-check ascending key sequences, longer than the ring, against a plain array model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentEntryKeys } from '../dist/store/recent-entry-keys.js';

describe('recent entry keys', () => {
  it('answers the greatest key at or before a seq among those held', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 20_000 })), (steps, probes) => {
        const ring = new RecentEntryKeys(4);
        const keys: number[] = [];
        let key = 0;
        for (const step of steps) {
          key += step;
          keys.push(key);
          ring.push(key);
        }
        const held = keys.slice(-16);
        for (const seq of [...probes, ...keys, ...keys.map((k) => k - 1)]) {
          const expected = seq < (held[0] ?? 0) ? undefined : held.filter((k) => k <= seq).at(-1);
          expect(ring.atOrBefore(seq)).toBe(expected);
        }
      }),
    );
  });

  it('refuses keys out of order', () => {
    const ring = new RecentEntryKeys(2);
    ring.push(10);
    expect(() => ring.push(10)).toThrow();
  });
});
