// Goal: the one parameter object the engine refills for every hot-path call never carries one call's
// parameters into another, neither for a call that waits past its turn for a key sharing its
// in-flight slot nor for a call whose argument getter calls the engine; method: a real engine,
// two keys found to share an in-flight slot, calls made in one turn, and the balances after.
import { afterEach, describe, expect, it } from 'vitest';
import { keyHash } from '../dist/domain/key-hash.js';
import { inFlightSlot } from '../dist/engine/engine-core.js';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const chain = 'ethereum';

/** Two keys of `scope` whose hashes differ but share the engine's in-flight slot. */
function keysSharingASlot(scope: string): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; i < 1_000_000; i++) {
    const key = `c${i}`;
    const slot = inFlightSlot(keyHash(scope, key));
    const other = seen.get(slot);
    if (other !== undefined && keyHash(scope, other) !== keyHash(scope, key)) return [other, key];
    seen.set(slot, key);
  }
  throw new Error('no two keys share a slot among the first million');
}

describe('the call spec the engine reuses', () => {
  it('runs a call that waited for its slot with its own parameters, after later calls refilled the spec', async () => {
    const fixture = await freshEngine({ mintRateLimit: null });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ['alice', 'bob']);
    const [first, second] = keysSharingASlot('alice');
    // One turn: the second waits for the first (same slot, another key); the third refills the spec.
    const a = engine.mint({ account: 'alice', amount: 100n, chain, idempotencyKey: first });
    const b = engine.mint({ account: 'alice', amount: 2n, chain, idempotencyKey: second });
    const c = engine.mint({ account: 'bob', amount: 7n, chain, idempotencyKey: 'z' });
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra).toMatchObject({ ok: true, account: 'alice', amount: 100n, replayed: false });
    expect(rb).toMatchObject({ ok: true, account: 'alice', amount: 2n, replayed: false });
    expect(rc).toMatchObject({ ok: true, account: 'bob', amount: 7n, replayed: false });
    expect(await engine.balance('alice')).toBe(102n);
    expect(await engine.balance('bob')).toBe(7n);
    expect((await engine.supply()).total).toBe(109n);
  });

  it('keeps a call\'s parameters when reading an argument makes another call', async () => {
    const fixture = await freshEngine({ mintRateLimit: null });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ['alice', 'bob']);
    let inner: Promise<unknown> | undefined;
    const outer = engine.mint({
      account: 'alice',
      amount: 5n,
      chain,
      get idempotencyKey(): string {
        inner ??= engine.transfer({ from: 'bob', to: 'alice', amount: 1n, idempotencyKey: 'inner' });
        return 'outer';
      },
    });
    expect(await outer).toMatchObject({ ok: true, account: 'alice', amount: 5n });
    expect(await inner).toMatchObject({ ok: false, code: 'INSUFFICIENT_FUNDS', message: expect.stringContaining('bob or alice') as unknown });
    expect(await engine.balance('alice')).toBe(5n);
    expect(await engine.balance('bob')).toBe(0n);
  });
});
