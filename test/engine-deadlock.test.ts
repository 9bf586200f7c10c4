// Goal (seed: deadlock): concurrent mints with opposite-direction and circular transfers across both
// workers all finish and conserve money; method: thousands of operations on three hot accounts in two
// shards, all in flight at once, under a test timeout, then balance and supply checks.
import { afterEach, describe, expect, it } from 'vitest';
import { parseUsdc } from '../dist/index.js';
import { expectConserved, freshEngine, seedAccounts, sumBalances } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

describe('no deadlock (seed scenario)', () => {
  it('finishes opposite and circular transfers with concurrent mints, conserving money', { timeout: 30_000 }, async () => {
    const fixture = await freshEngine({ mintRateLimit: null });
    dispose = fixture.dispose;
    const { engine } = fixture;
    const ids = ['a', 'b', 'c', 'd'];
    await seedAccounts(engine, ids);
    for (const id of ids) {
      const r = await engine.mint({ account: id, amount: parseUsdc('1000'), chain: 'ethereum', idempotencyKey: `seed-${id}` });
      expect(r.ok).toBe(true);
    }
    const pairs = [['a', 'b'], ['b', 'a'], ['b', 'c'], ['c', 'a'], ['a', 'c'], ['c', 'b'], ['d', 'a'], ['a', 'd']];
    const operations = Array.from({ length: 4000 }, (_, i) => {
      const [from, to] = pairs[i % pairs.length] as [string, string];
      if (i % 5 === 0) return engine.mint({ account: from, amount: 7n, chain: 'solana', idempotencyKey: `m${i}` });
      return engine.transfer({ from, to, amount: BigInt(1 + (i % 13)), idempotencyKey: `t${i}` });
    });
    const results = await Promise.all(operations);
    const applied = results.filter((r) => r.ok).length;
    expect(applied).toBe(results.length);
    const minted = parseUsdc('1000') * 4n + 7n * 800n;
    expect(await sumBalances(engine, ids)).toBe(minted);
    expect((await engine.supply()).total).toBe(minted);
    await expectConserved(engine, ids);
    expect(engine.metrics().operations['transfer']?.['ok']).toBe(3200);
  });
});
