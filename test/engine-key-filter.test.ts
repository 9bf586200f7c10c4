// Goal: the filter of keys on disk never answers "no" for a key that may still be live, stays
// selective as it grows past its first stage (a fixed filter answered "maybe" for ~5% of new keys at
// 2.5M), and sheds expired keys so that it stays selective however many keys pass through it;
// method: pseudo-random 53-bit hashes added and probed, with stages retired as their keys expire,
// in fixed rounds and in fast-check's sequences of adds, retirements, clearing steps and moves to a
// new stage, through the
// filter and a worker's view of its shared memory.
import fc from 'fast-check';
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

/** Probes `count` fresh hashes (seeded `seed`, any in `added` left out): how many, and the share answered "maybe". */
function falsePositives(filter: KeyFilter, added: ArrayLike<number>, count: number, seed: number): { probed: number; share: number } {
  const seen = new Set(Array.from(added));
  let positives = 0;
  let probed = 0;
  for (const hash of hashes(count, seed)) {
    if (seen.has(hash)) continue;
    probed++;
    if (filter.mayContain(hash)) positives++;
  }
  return { probed, share: positives / probed };
}

describe('key filter', () => {
  it('has no false negatives and under 1% false positives across its stages', () => {
    // Stages of 2^20 keys: three of them.
    const filter = new KeyFilter(false, 20);
    const added = hashes(2_500_000, 1);
    expect(filter.mayContain(added[0] ?? 1)).toBe(false);
    for (const hash of added) filter.add(hash, 1e12);
    expect(filter.added).toBe(added.length);
    let missing = 0;
    for (const hash of added) if (!filter.mayContain(hash)) missing++;
    expect(missing).toBe(0);
    const { probed, share } = falsePositives(filter, added, 200_000, 2);
    expect(probed).toBeGreaterThan(190_000);
    expect(share).toBeLessThan(0.01);
  });

  it('sheds stages whose keys expired and fills them again, so it stays selective', () => {
    // Eight stages of 512 keys (4,096 in all); 60 rounds of 500 keys, each live 2 rounds.
    const filter = new KeyFilter(true, 9);
    const view = KeyFilter.attach(filter.buffer);
    const rounds = 60;
    const perRound = 500;
    const all = hashes(rounds * perRound, 3);
    for (let round = 0; round < rounds; round++) {
      for (let i = round * perRound; i < (round + 1) * perRound; i++) filter.add(all[i] ?? 1, round + 2);
      filter.retireExpiredBy(round);
      while (filter.clearRetired(1_000));
      // Every key that may be live (expiring after this round) is found, by both.
      for (let i = Math.max(0, round - 1) * perRound; i < (round + 1) * perRound; i++) {
        expect(filter.mayContain(all[i] ?? 1)).toBe(true);
        expect(view.mayContain(all[i] ?? 1)).toBe(true);
      }
      expect(filter.stages).toBeLessThanOrEqual(8);
    }
    // 30,000 keys passed through 4,096 keys of room; without retiring, nearly every probe says maybe.
    expect(filter.added).toBe(rounds * perRound);
    expect(filter.held).toBeLessThan(2_000);
    expect(falsePositives(view, all, 20_000, 4).share).toBeLessThan(0.02);
  });

  it('clears a retired stage before it is filled again', () => {
    // Stage 0 (64 keys) retires and is cleared; it is filled again first, then stages 1 to 7.
    const filter = new KeyFilter(true, 6);
    const view = KeyFilter.attach(filter.buffer);
    const old = hashes(64, 5);
    for (const hash of old) filter.add(hash, 10);
    expect(filter.retireExpiredBy(10)).toBe(1);
    expect(filter.held).toBe(0);
    for (const hash of old) expect(view.mayContain(hash)).toBe(false);
    expect(filter.clearRetired(3)).toBe(true);
    while (filter.clearRetired(3));
    const fresh = hashes(64 * 8, 6);
    for (const hash of fresh) filter.add(hash, 1_000);
    expect(filter.stages).toBe(8);
    expect(filter.held).toBe(fresh.length);
    // Stage 0 took 64 of them: its old bits are gone, so the old keys are rarely "maybe".
    let stale = 0;
    for (const hash of old) if (view.mayContain(hash)) stale++;
    expect(stale).toBeLessThan(8);
    for (const hash of fresh) expect(view.mayContain(hash)).toBe(true);
  });

  it('moves new keys to a new stage once the current one spans long enough, so old keys leave sooner', () => {
    const filter = new KeyFilter(true, 10);
    const view = KeyFilter.attach(filter.buffer);
    const [older, newer] = [hashes(100, 7), hashes(100, 8)];
    older.forEach((hash, i) => filter.add(hash, 10 + (i % 10)));
    // Expiries 10 to 19 span 9: not 10 or more, so nothing moves; past 5, the next keys move.
    expect(filter.rotateAfter(10)).toBe(false);
    expect(filter.rotateAfter(5)).toBe(true);
    expect(filter.stages).toBe(2);
    for (const hash of newer) filter.add(hash, 30);
    // Both stages had room for every key: only the move lets the older ones leave first.
    expect(filter.retireExpiredBy(20)).toBe(1);
    expect(filter.held).toBe(100);
    for (const hash of newer) expect(view.mayContain(hash)).toBe(true);
    let stale = 0;
    for (const hash of older) if (view.mayContain(hash)) stale++;
    expect(stale).toBeLessThan(5);
    // A stage that spans nothing yet stays.
    expect(filter.rotateAfter(5)).toBe(false);
  });

  it('spreads the keys over every stage once none is free, so past its size it degrades gently', () => {
    // Eight stages of 64 keys; 768 keys that stay live, half again what it was sized for.
    const filter = new KeyFilter(true, 6);
    const view = KeyFilter.attach(filter.buffer);
    const live = hashes(768, 9);
    for (const hash of live) filter.add(hash, 1_000);
    expect(filter.stages).toBe(8);
    for (const hash of live) expect(view.mayContain(hash)).toBe(true);
    // Spread, ~96 keys a stage: a few percent of new keys say maybe (the last stage alone taking
    // the 320 extra keys answered maybe for nearly all of them).
    expect(falsePositives(view, live, 20_000, 10).share).toBeLessThan(0.2);
  });

  it('lays out no more stages than it has room for, and its view reads that room', () => {
    const filter = new KeyFilter(true, 6, 3);
    const view = KeyFilter.attach(filter.buffer);
    expect(filter.buffer.byteLength).toBe(64 + 3 * 64 * 2);
    const live = hashes(288, 11);
    for (const hash of live) filter.add(hash, 1_000);
    expect(filter.stages).toBe(3);
    expect(filter.held).toBe(288);
    for (const hash of live) expect(view.mayContain(hash)).toBe(true);
  });

  it('never answers no for a key not yet expired by the last cutoff, whatever the order of steps', () => {
    const step = fc.oneof(
      fc.record({ add: fc.integer({ min: 1, max: 400 }), lifetime: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ retireBehind: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ clear: fc.integer({ min: 1, max: 5_000 }) }),
      fc.record({ rotateAfter: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ tick: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 1_000 }), (steps, seed) => {
        const filter = new KeyFilter(true, 6);
        const view = KeyFilter.attach(filter.buffer);
        const pool = hashes(120 * 400, seed);
        const added: Array<readonly [number, number]> = [];
        let now = 0;
        let cutoff = Number.NEGATIVE_INFINITY;
        for (const s of steps) {
          if ('add' in s) {
            for (let i = 0; i < s.add; i++) {
              const hash = pool[added.length] ?? 1;
              filter.add(hash, now + s.lifetime);
              added.push([hash, now + s.lifetime]);
            }
          } else if ('retireBehind' in s) {
            cutoff = Math.max(cutoff, now - s.retireBehind);
            filter.retireExpiredBy(cutoff);
          } else if ('clear' in s) {
            filter.clearRetired(s.clear);
          } else if ('rotateAfter' in s) {
            filter.rotateAfter(s.rotateAfter);
          } else {
            now++;
          }
          for (const [hash, expiresAt] of added) {
            if (expiresAt <= cutoff) continue;
            if (!filter.mayContain(hash) || !view.mayContain(hash)) return false;
          }
          if (filter.stages > 8) return false;
        }
        return true;
      }),
      { numRuns: 60 },
    );
  });
});

