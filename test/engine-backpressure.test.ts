// Goal: shard queues are bounded (an operation past shardQueueDepthMax is refused with ERR_CAPACITY
// and changes nothing), and durability 'none' still answers correctly and persists on close; method:
// a burst far larger than a tiny queue, then balance and supply checks; a 'none' engine reopened.
import { afterEach, describe, expect, it } from 'vitest';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

describe('bounded queues', () => {
  it('refuses with ERR_CAPACITY past the queue depth and applies everything it accepted', async () => {
    const fixture = await freshEngine({ mintRateLimit: null, shardQueueDepthMax: 8, workers: 1 });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ['alice']);
    const settled = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) => engine.mint({ account: 'alice', amount: 1n, chain: 'base', idempotencyKey: `k${i}` })),
    );
    const accepted = settled.filter((s) => s.status === 'fulfilled' && s.value.ok).length;
    const refused = settled.filter((s) => s.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_CAPACITY' });
    expect(accepted + refused.length).toBe(400);
    expect(await engine.balance('alice')).toBe(BigInt(accepted));
    expect((await engine.supply()).total).toBe(BigInt(accepted));
  });
});

describe("durability 'none'", () => {
  it('answers, serves reads and replays at once, and keeps everything after close and reopen', async () => {
    const fixture = await freshEngine({ mintRateLimit: null, durability: 'none' });
    dispose = fixture.dispose;
    await seedAccounts(fixture.engine, ['alice']);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => fixture.engine.mint({ account: 'alice', amount: 2n, chain: 'base', idempotencyKey: `k${i}` })),
    );
    const first = results[0];
    if (first === undefined || !first.ok) throw new Error('mint failed');
    expect(await fixture.engine.getMint(first.mintId)).toMatchObject({ idempotencyKey: 'k0' });
    const engine = await fixture.reopen();
    expect(await engine.balance('alice')).toBe(1000n);
    expect(await engine.mint({ account: 'alice', amount: 2n, chain: 'base', idempotencyKey: 'k0' })).toEqual({ ...first, replayed: true });
  });
});
