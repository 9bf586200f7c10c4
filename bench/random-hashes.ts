// Deterministic key hashes for the benchmarks (and a property test), so that every run of one works
// on the same keys.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A generator of uniform 32-bit unsigned integers from a seed (pure-rand's xoroshiro128+). */
export function generator(seed: number): () => number {
  const rng = xoroshiro128plus(seed);
  return () => rng.next() >>> 0;
}

/** A uniform 53-bit hash, as key-hash.ts gives: 21 high bits and 32 low ones. */
export function hash53(next: () => number): number {
  return (next() >>> 11) * 2 ** 32 + next();
}
