// Goal: the commit pipeline's ring of held operations behaves as a map of sequence numbers whose
// lowest key is taken in order, across growth and wrap-around; method: fast-check command sequences
// (hold a seq ahead of the base, take the base) against a Map, checked after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeqRing } from '../dist/engine/seq-ring.js';

describe('seq ring', () => {
  it('holds and hands out sequence numbers like a map, in order from the base', () => {
    const step = fc.oneof(fc.record({ hold: fc.integer({ min: 0, max: 300 }) }), fc.record({ take: fc.integer({ min: 1, max: 40 }) }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.array(step, { maxLength: 120 }), (start, steps) => {
        const ring = new SeqRing<string>(start, 2);
        const model = new Map<number, string>();
        let base = start;
        for (const s of steps) {
          if ('hold' in s) {
            const seq = base + s.hold;
            if (model.has(seq)) continue;
            ring.set(seq, `v${seq}`);
            model.set(seq, `v${seq}`);
          } else {
            for (let n = 0; n < s.take; n++) {
              const value = ring.takeBase();
              expect(value).toBe(model.get(base));
              if (value === undefined) break;
              model.delete(base);
              base++;
            }
          }
          expect(ring.base).toBe(base);
          expect(ring.size).toBe(model.size);
          expect([...ring.values()].sort()).toEqual([...model.values()].sort());
          for (const seq of model.keys()) expect(ring.has(seq)).toBe(true);
          expect(ring.has(base + 301)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
