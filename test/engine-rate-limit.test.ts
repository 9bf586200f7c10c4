// Goal (seed: rate limiter, guarantee 6): exactly maxPerWindow of many concurrent mints to one account
// are accepted, refusals say when to retry and are not cached, replays do not count, the window
// reopens after windowMs, and a restart does not grant a fresh window; method: real engines with
// concurrent mints and the wall clock.
import { afterEach, describe, expect, it } from 'vitest';
import { freshEngine, seedAccounts } from './fixtures/engine.js';

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => dispose?.());

const mint = (i: number | string, account = 'alice') => ({ account, amount: 1n, chain: 'base', idempotencyKey: `m-${i}` });

describe('per-account mint rate limit', () => {
  it('accepts exactly maxPerWindow of 60 concurrent mints and tells the rest when to retry', async () => {
    const fixture = await freshEngine({ mintRateLimit: { maxPerWindow: 10, windowMs: 1000 } });
    dispose = fixture.dispose;
    const { engine } = fixture;
    await seedAccounts(engine, ['alice', 'bob']);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => engine.mint(mint(i))));
    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(50);
    for (const r of refused) {
      expect(r).toMatchObject({ code: 'RATE_LIMITED' });
      if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0);
      if (!r.ok) expect(r.retryAfterMs).toBeLessThanOrEqual(1000);
    }
    expect(await engine.balance('alice')).toBe(10n);
    expect((await engine.mint(mint('other', 'bob'))).ok).toBe(true);

    const replayOfAccepted = accepted[0];
    const index = results.indexOf(replayOfAccepted as (typeof results)[number]);
    expect(await engine.mint(mint(index))).toMatchObject({ ok: true, replayed: true });

    const wait = Math.max(...refused.map((r) => (r.ok ? 0 : (r.retryAfterMs ?? 0))));
    await new Promise((resolve) => setTimeout(resolve, wait + 20));
    const refusedIndex = results.findIndex((r) => !r.ok);
    expect(await engine.mint(mint(refusedIndex))).toMatchObject({ ok: true, replayed: false });
  });

  it('never lets any window hold more than maxPerWindow accepted mints, over bursts served by both threads', async () => {
    const maxPerWindow = 4;
    const windowMs = 200;
    const fixture = await freshEngine({ mintRateLimit: { maxPerWindow, windowMs } });
    dispose = fixture.dispose;
    const ids = ['a', 'b', 'c'];
    await seedAccounts(fixture.engine, ids);
    const accepted = new Map<string, number[]>(ids.map((id) => [id, []]));
    for (let burst = 0; burst < 12; burst++) {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => fixture.engine.mint(mint(`${burst}-${i}`, ids[i % 3]))),
      );
      for (const r of results) if (r.ok) accepted.get(r.account)?.push(r.createdAt);
      await new Promise((resolve) => setTimeout(resolve, 25 + burst * 7));
    }
    for (const times of accepted.values()) {
      expect(times.length).toBeGreaterThan(maxPerWindow);
      for (const start of times) {
        expect(times.filter((t) => t >= start && t < start + windowMs).length).toBeLessThanOrEqual(maxPerWindow);
      }
    }
  });

  it('keeps the window across a restart', async () => {
    const fixture = await freshEngine({ mintRateLimit: { maxPerWindow: 5, windowMs: 3000 } });
    dispose = fixture.dispose;
    await seedAccounts(fixture.engine, ['alice']);
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => fixture.engine.mint(mint(i))));
    expect(first.every((r) => r.ok)).toBe(true);
    const engine = await fixture.reopen();
    expect(await engine.mint(mint('after-restart'))).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
  });
});
