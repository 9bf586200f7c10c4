// Goal: the account registry maps every id to its slot and back exactly like a Map would, across
// its table's growth, for ids given as other string objects with the same characters, and for ids
// whose hashes collide; method: a fast-check model against a Map, and ids found by a birthday
// search to share a full hash under a fixed seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccountRegistry, accountIdHash } from '../dist/engine/account-registry.js';

/** Two different ids with the same hash under `seed` (about 2^15 tries for a 30-bit hash). */
function collidingIds(seed: number): [string, string] {
  const seen = new Map<number, string>();
  for (let n = 0; n < 1 << 20; n++) {
    const id = `id-${n}`;
    const hash = accountIdHash(id, seed);
    const earlier = seen.get(hash);
    if (earlier !== undefined) return [earlier, id];
    seen.set(hash, id);
  }
  throw new Error('no collision in 2^20 ids');
}

describe('account registry', () => {
  it('agrees with a Map for adds and lookups of any ids', () => {
    const id = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 400 }).map((n) => `acct-${n}`));
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.boolean()), { maxLength: 400 }), fc.integer(), (steps, seed) => {
        const registry = new AccountRegistry(1_000, seed);
        const model = new Map<string, number>();
        for (const [account, add] of steps) {
          if (add && !model.has(account)) {
            expect(registry.add(account)).toBe(model.size);
            model.set(account, model.size);
          }
          // A copy with the same characters is another string object: found by content, not identity.
          expect(registry.slotOf(account.split('').join(''))).toBe(model.get(account));
        }
        expect(registry.count).toBe(model.size);
        for (const [account, slot] of model) {
          expect(registry.slotOf(account)).toBe(slot);
          expect(registry.idOf(slot)).toBe(account);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart ids whose hashes are equal', () => {
    const seed = 7;
    const [first, second] = collidingIds(seed);
    expect(accountIdHash(first, seed)).toBe(accountIdHash(second, seed));
    const registry = new AccountRegistry(16, seed);
    expect(registry.add(first)).toBe(0);
    expect(registry.slotOf(second)).toBeUndefined();
    expect(registry.add(second)).toBe(1);
    expect(registry.slotOf(first)).toBe(0);
    expect(registry.slotOf(second)).toBe(1);
  });

  it('refuses an account beyond its capacity and registers an id once', () => {
    const registry = new AccountRegistry(2);
    registry.add('a');
    registry.add('b');
    expect(() => registry.add('c')).toThrow(expect.objectContaining({ code: 'ERR_CAPACITY' }));
    expect(() => registry.add('a')).toThrow(/registered once/);
    expect(registry.slotOf('c')).toBeUndefined();
  });

  it('keeps 100,000 accounts after its table grew from the smallest size', () => {
    const registry = new AccountRegistry(100_000);
    for (let n = 0; n < 100_000; n++) registry.add(`acct-${n}`);
    for (let n = 0; n < 100_000; n += 97) expect(registry.slotOf(`acct-${n}`)).toBe(n);
    expect(registry.slotOf('acct-100000')).toBeUndefined();
  });
});
