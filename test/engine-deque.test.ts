// Goal: a shard's queue keeps operations in order through pushes, batch takes, requeues at the
// front and growth; method: fast-check command sequences against a plain array, compared in full
// after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../dist/engine/deque.js';

type Step = { push: number } | { take: number } | { requeue: number };

describe('deque', () => {
  it('behaves like an array used as a queue with a front', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ push: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ take: fc.integer({ min: 1, max: 7 }) }),
      fc.record({ requeue: fc.integer({ min: 1, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        const deque = new Deque<number>(2);
        const model: number[] = [];
        let next = 0;
        for (const s of steps) {
          if ('push' in s) {
            for (let i = 0; i < s.push; i++) {
              deque.push(next);
              model.push(next++);
            }
          } else if ('take' in s) {
            const target = new Array<number | undefined>(s.take).fill(undefined);
            const n = deque.takeInto(target, s.take);
            expect(target.slice(0, n)).toEqual(model.splice(0, s.take));
          } else {
            const back = Array.from({ length: s.requeue }, () => next++);
            deque.unshiftAll(back);
            model.unshift(...back);
          }
          expect(deque.length).toBe(model.length);
        }
        expect(deque.drain()).toEqual(model);
        expect(deque.length).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});
