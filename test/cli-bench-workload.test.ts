// Goal: the bench's request source, which keeps its pool of recent keys as columns, hands out every
// duplicate as exactly the request first sent with that key, and each duplicate knows the id that
// key's first answer got, whether that answer came before or after it was drawn, and none after a
// refusal; method: fast-check runs of thousands of draws (past the pool's 4,096 slots, so slots are
// reused under requests still in flight), answered in a random order, against a model of the keys.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestSource, type BenchShape, type Drawn } from '../dist/cli/bench-workload.js';

const shape: BenchShape = {
  accounts: Array.from({ length: 64 }, (_, i) => `acct-${i}`),
  shards: 2,
  mix: [
    ['mint', 40],
    ['transfer', 20],
    ['burn', 10],
    ['pay', 20],
    ['refund', 10],
  ],
  duplicates: 0.3,
  crossShard: 0.5,
  skew: 0,
  chain: 'ethereum',
};

function keyOf(drawn: Drawn): string {
  return drawn.request.args.idempotencyKey;
}

describe('bench request source', () => {
  it('repeats first requests exactly and knows the ids their keys first got', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 2, max: 60 }), (seed, walk, answerPercent) => {
        const source = new RequestSource(shape, seed);
        source.notePayment('acct-1', 'pay_1', 1_000n);
        const firstRequest = new Map<string, Drawn['request']>();
        /** Key -> the id its first request's answer got (set once answered; absent if refused or not yet). */
        const answeredId = new Map<string, string>();
        const inFlight: Drawn[] = [];
        const duplicates: Drawn[] = [];
        let state = walk;
        const roll = (n: number): number => {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          return state % n;
        };
        for (let step = 0; step < 9_000; step++) {
          const drawn = source.next();
          if (source.lastWasDuplicate) {
            expect(drawn.request).toEqual(firstRequest.get(keyOf(drawn)));
            duplicates.push(drawn);
          } else {
            expect(firstRequest.has(keyOf(drawn))).toBe(false);
            firstRequest.set(keyOf(drawn), drawn.request);
            inFlight.push(drawn);
          }
          // Answer some fresh requests in flight, in any order (so some outlive their pool slot); one in
          // ten is refused.
          while (inFlight.length > 0 && roll(100) < answerPercent) {
            const [answered] = inFlight.splice(roll(inFlight.length), 1) as [Drawn];
            if (roll(10) > 0) {
              answered.id = `id-${keyOf(answered)}`;
              answeredId.set(keyOf(answered), answered.id);
            }
            source.answered(answered);
          }
          if (source.lastWasDuplicate) expect(drawn.originalId).toBe(answeredId.get(keyOf(drawn)));
        }
        for (const drawn of duplicates) expect(drawn.originalId).toBe(answeredId.get(keyOf(drawn)));
        expect(firstRequest.size).toBeGreaterThan(4_096);
      }),
      { numRuns: 12 },
    );
  });

  it('draws the same requests for the same seed', () => {
    const keys = (seed: number): string[] => {
      const source = new RequestSource(shape, seed);
      return Array.from({ length: 5_000 }, () => JSON.stringify(source.next().request, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    };
    expect(keys(42)).toEqual(keys(42));
    expect(keys(42)).not.toEqual(keys(43));
  });
});
