// Goal: the engine's map of in-flight keys behaves exactly like a Map under any mix of sets and
// deletes (plain, or only of an entry holding a given value), across growth and the backward shifts
// of deletion; method: fast-check command sequences over keys chosen to share home slots near the
// end of the table (so clusters form and wrap round), checked against a Map after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from '../dist/engine/int-map.js';

describe('int map', () => {
  it('agrees with a Map under sets and deletes', () => {
    // Homes 60..65 of a 64-slot table, four keys each; plus the largest keys.
    const colliding = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })).map(([home, k]) => 60 + home + 64 * k);
    const key = fc.oneof({ weight: 9, arbitrary: colliding }, { weight: 1, arbitrary: fc.constantFrom(0x7fff_fffe, 0x7fff_ffff) });
    // A removal is plain, or only of the entry if it holds the value given: its current one, or another.
    const step = fc.record({ key, remove: fc.boolean(), only: fc.constantFrom('plain', 'current', 'other') });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const map = new IntMap<string>(6);
        const model = new Map<number, string>();
        steps.forEach(({ key: k, remove, only }, n) => {
          if (remove && only !== 'plain') {
            const value = only === 'current' ? (model.get(k) ?? 'none') : `other${n}`;
            const holds = model.get(k) === value;
            expect(map.deleteIf(k, value)).toBe(holds);
            if (holds) model.delete(k);
          } else if (remove) expect(map.delete(k)).toBe(model.delete(k));
          else {
            map.set(k, `v${n}`);
            model.set(k, `v${n}`);
          }
          expect(map.size).toBe(model.size);
          for (const [held, value] of model) expect(map.get(held)).toBe(value);
        });
        for (let k = 0; k <= 300; k++) expect(map.get(k)).toBe(model.get(k));
      }),
      { numRuns: 500 },
    );
  });
});
