// Goal: the filter of keys on disk never answers "no" for a key it was given, and stays selective
// as it grows past its first stage (a fixed filter answered "maybe" for ~5% of new keys at 2.5M);
// method: 2.5 million pseudo-random 53-bit hashes added, then all of them and 200,000 others probed.
import { describe, expect, it } from 'vitest';
import { KeyFilter } from '../dist/engine/key-filter.js';

/** Distinct 53-bit hashes from a 64-bit LCG-like mix (deterministic). */
function hashes(count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let a = seed | 0;
  let b = (seed * 7919) | 0;
  for (let i = 0; i < count; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) | 0;
    b = (Math.imul(b ^ (b >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    out[i] = ((b >>> 0) & 0x1f_ffff) * 2 ** 32 + (a >>> 0) + 1;
  }
  return out;
}

describe('key filter', () => {
  it('has no false negatives and under 1% false positives across its stages', () => {
    const filter = new KeyFilter();
    const added = hashes(2_500_000, 1);
    expect(filter.mayContain(added[0] ?? 1)).toBe(false);
    for (const hash of added) filter.add(hash);
    expect(filter.added).toBe(added.length);
    let missing = 0;
    for (const hash of added) if (!filter.mayContain(hash)) missing++;
    expect(missing).toBe(0);
    const seen = new Set(added);
    let positives = 0;
    let probed = 0;
    for (const hash of hashes(200_000, 2)) {
      if (seen.has(hash)) continue;
      probed++;
      if (filter.mayContain(hash)) positives++;
    }
    expect(probed).toBeGreaterThan(190_000);
    expect(positives / probed).toBeLessThan(0.01);
  });
});
