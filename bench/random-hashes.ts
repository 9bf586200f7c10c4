// Deterministic key hashes for the benchmarks, so that every run of one works on the same keys.

/** A generator of 32-bit integers (mulberry32: exact in 32-bit integer arithmetic). */
export function generator(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform 53-bit hash, as key-hash.ts gives: 21 high bits and 32 low ones. */
export function hash53(next: () => number): number {
  return (next() >>> 11) * 2 ** 32 + next();
}
